package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"time"
)

const (
	// rieStartTimeout bounds RIE's start. It listens within milliseconds;
	// the function itself starts on the first invoke.
	rieStartTimeout = 15 * time.Second
	// invokeTimeout bounds one invoke, cold start included. It exceeds the
	// 30 s function timeout that Stack sets, so RIE reports a timeout first.
	invokeTimeout = 2 * time.Minute
	// maxInvokeResponse bounds the response read from RIE. Lambda's own
	// limit for a synchronous response is 6 MB.
	maxInvokeResponse = 6 << 20
	// invokePath is RIE's Invoke API path; RIE serves no other function
	// name than "function".
	invokePath = "/2015-03-31/functions/function/invocations"
)

// RIEConfig describes the function that StartRIE runs.
type RIEConfig struct {
	// Bootstrap is the path of a bootstrap built for this machine's GOOS and
	// GOARCH, as BuildBootstrap writes it. Required.
	Bootstrap string
	// Env is the function's whole environment. RIE and the bootstrap get
	// these variables plus PATH and HOME from this process, unless Env sets
	// them, and nothing else, so real AWS credentials never reach them.
	Env map[string]string
	// RIEPath is the aws-lambda-rie binary. Empty means the one that FindRIE
	// returns for the repository that contains the working directory.
	RIEPath string
	// Output, when set, receives a copy of what RIE and the bootstrap print.
	Output io.Writer
}

// RIE is the Lambda Runtime Interface Emulator running one function on a
// loopback port. RIE serves one invoke at a time, so Invoke takes turns.
type RIE struct {
	process *process
	url     string
	client  *http.Client
	mu      sync.Mutex // held for the length of one invoke
}

// StartRIE starts aws-lambda-rie with cfg.Bootstrap, its Invoke API and
// Runtime API each on a free 127.0.0.1 port, and waits until the Invoke API
// accepts connections. The function starts on the first invoke. The error
// wraps ErrToolNotFound when RIE is not installed. Call Stop when done.
func StartRIE(ctx context.Context, cfg RIEConfig) (*RIE, error) {
	if cfg.Bootstrap == "" {
		return nil, errors.New("localstack: RIEConfig.Bootstrap is required; " +
			"build one with BuildBootstrap")
	}

	riePath := cfg.RIEPath
	if riePath == "" {
		root, err := RepoRoot()
		if err != nil {
			return nil, err
		}
		if riePath, err = FindRIE(root); err != nil {
			return nil, err
		}
	}
	invokeAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	runtimeAddr, err := freeAddress()
	if err != nil {
		return nil, err
	}

	env := baseEnv()
	for name, value := range cfg.Env {
		env[name] = value
	}
	args := []string{
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", runtimeAddr,
		cfg.Bootstrap,
	}
	proc, err := startProcess(riePath, args, envList(env), filepath.Dir(cfg.Bootstrap), cfg.Output)
	if err != nil {
		return nil, err
	}
	if err := proc.waitReady(ctx, rieStartTimeout, dialCheck(invokeAddr)); err != nil {
		proc.stop()
		return nil, fmt.Errorf("localstack: aws-lambda-rie: %w", err)
	}

	return &RIE{
		process: proc,
		url:     "http://" + invokeAddr + invokePath,
		client:  &http.Client{Timeout: invokeTimeout},
	}, nil
}

// Invoke sends payload as one synchronous invoke and returns RIE's status
// and body. The body is the handler's result, or for a function error an
// object that ParseFunctionError reads. Invokes run one at a time.
func (r *RIE) Invoke(ctx context.Context, payload []byte) (status int, body []byte, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, fmt.Errorf("localstack: building the invoke request failed: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return 0, nil, fmt.Errorf("localstack: invoking the function failed: %w", err)
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(io.LimitReader(resp.Body, maxInvokeResponse))
	if err != nil {
		err = fmt.Errorf("localstack: reading the invoke response failed: %w", err)
		return resp.StatusCode, body, err
	}
	return resp.StatusCode, body, nil
}

// Output returns what RIE and the bootstrap have printed so far, up to
// 64 MiB: RIE's own log lines, START/END/REPORT lines and the function's
// logs, interleaved.
func (r *RIE) Output() []byte { return r.process.output.Bytes() }

// OutputDropped returns how many bytes of output went past the 64 MiB that
// Output keeps. A scan of Output is complete only when this is zero.
func (r *RIE) OutputDropped() int64 { return r.process.output.Dropped() }

// Stop stops RIE and the bootstrap. It is safe to call twice.
func (r *RIE) Stop() { r.process.stop() }

// FunctionError is the error object that Lambda returns when a handler
// fails: the Go type name of the error and its message.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// ParseFunctionError returns the function error in an invoke response body,
// or false when body is a handler result. A result that is itself an
// object with a non-empty errorMessage would read as an error, which no
// result of the startchat function is.
func ParseFunctionError(body []byte) (*FunctionError, bool) {
	var fnErr FunctionError
	if err := json.Unmarshal(body, &fnErr); err != nil || fnErr.Message == "" {
		return nil, false
	}
	return &fnErr, true
}
