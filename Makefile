# Build, test and run the startchat Lambda function.
#
#   make build-StartChatFunction  what `sam build` runs (BuildMethod: makefile)
#   make build                    go build ./... and an arm64 bootstrap in bin/
#   make ofschat                  the setup and diagnosis tool, as bin/ofschat
#   make tools                    install pinned tools into .tools/bin, check the others
#   make test                     vet, all tests with -race (end-to-end included), fuzz and bench smoke, cfn-lint
#   make fuzz FUZZTIME=5m         run each fuzz target for FUZZTIME
#   make bench                    measure warm and cold cost; rewrites docs/benchmarks.md
#   make demo                     start a chat for every file in events/, all on 127.0.0.1
#   make lint                     gofmt, go vet and cfn-lint only
#   make clean                    remove build outputs (bin/, .aws-sam/)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
GO ?= go

TOOLS_BIN := $(CURDIR)/.tools/bin
RIE := $(TOOLS_BIN)/aws-lambda-rie
RIE_PACKAGE := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
GOTESTSUM := $(TOOLS_BIN)/gotestsum
GOTESTSUM_VERSION := v1.13.0

# The end-to-end tests start moto and RIE; 10 minutes is far above their
# usual run time, so that a hung process fails the run instead of CI's limit.
TEST_TIMEOUT := 10m

.PHONY: build build-StartChatFunction ofschat tools test fuzz bench demo lint clean

# SAM sets ARTIFACTS_DIR. GOARCH is written out, not a variable, because a
# test checks it against Architectures in template.yaml. The flags must stay
# in step with localstack.BuildBootstrap, which builds the same bootstrap for
# this machine's architecture. The files in bundle/, such as a chat templates
# file for OFS_TEMPLATES_FILE, go into the package next to bootstrap.
build-StartChatFunction:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set; run sam build, or make build" >&2; exit 2; }
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags "-s -w" -o $(ARTIFACTS_DIR)/bootstrap ./functions/startchat
	@if [ -d bundle ]; then cp -R bundle/. "$(ARTIFACTS_DIR)/"; fi

build:
	$(GO) build ./...
	$(MAKE) --no-print-directory build-StartChatFunction ARTIFACTS_DIR=$(CURDIR)/bin

ofschat:
	$(GO) build -trimpath -o bin/ofschat ./cmd/ofschat

tools: $(RIE) $(GOTESTSUM)
	@command -v moto_server >/dev/null || { echo "moto_server is not on PATH; install moto[server] 5.2.1 (pip install 'moto[server]==5.2.1'), which the machine image provides" >&2; exit 1; }
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is not on PATH; install cfn-lint 1.51 (pip install 'cfn-lint==1.51.*'), which the machine image provides" >&2; exit 1; }

$(RIE):
	GOBIN=$(TOOLS_BIN) $(GO) install $(RIE_PACKAGE)@$(RIE_VERSION)

$(GOTESTSUM):
	GOBIN=$(TOOLS_BIN) $(GO) install gotest.tools/gotestsum@$(GOTESTSUM_VERSION)

test: tools
	$(GO) build ./...
	$(GO) vet ./...
	$(GOTESTSUM) --format pkgname -- -race -count=1 -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=3s
	$(GO) test -count=1 -short -run '^TestHandlerDirectAllocs$$' ./functions/startchat
	$(GO) run ./cmd/bench -smoke
	cfn-lint template.yaml

# Most figures are ratios of two things measured in the same run, so the
# machine's speed cancels out. docs/benchmarks.md describes each one.
bench: tools
	$(GO) run ./cmd/bench

# Each fuzz target runs for FUZZTIME: a few seconds in make test, minutes
# before a change to a parser lands (make fuzz FUZZTIME=5m).
FUZZTIME ?= 30s
FUZZ_TARGETS := pkg/ofs:FuzzDecodePEM pkg/ofs:FuzzParseTokenResponse pkg/ofs:FuzzNewAPIError \
	functions/startchat:FuzzDetectTrigger internal/notify:FuzzNotification

fuzz:
	@for target in $(FUZZ_TARGETS); do \
		pkg=$${target%%:*}; name=$${target##*:}; \
		echo "fuzz $$name for $(FUZZTIME)"; \
		out=$$($(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg 2>&1) || \
			{ echo "$$out"; exit 1; }; \
		echo "$$out" | tail -n 1; \
	done

demo: tools
	$(GO) run ./cmd/demo

lint:
	@unformatted=$$(gofmt -l .); if [ -n "$$unformatted" ]; then echo "gofmt needed:" $$unformatted >&2; exit 1; fi
	$(GO) vet ./...
	cfn-lint template.yaml

clean:
	rm -rf bin .aws-sam
