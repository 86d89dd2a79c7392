// Package localstacktest starts the parts of package localstack from tests
// and stops them in t.Cleanup. Parts that run an external program (moto,
// RIE, the bootstrap build) skip under go test -short. Otherwise a missing
// moto_server or aws-lambda-rie fails the test with the fix, `make tools`,
// so that a machine without the tools never passes by skipping.
package localstacktest

import (
	"context"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// Identity returns a new identity for localstack.DefaultUser.
func Identity(tb testing.TB) *localstack.Identity {
	tb.Helper()
	id, err := localstack.NewIdentity(localstack.DefaultUser)
	if err != nil {
		tb.Fatalf("NewIdentity: %v", err)
	}
	return id
}

// Emulator serves an OFS emulator that trusts id, as StartEmulator sets it
// up with cfg.
func Emulator(tb testing.TB, cfg emulator.Config, id *localstack.Identity) *localstack.OFS {
	tb.Helper()
	ofs, err := localstack.StartEmulator(cfg, id)
	if err != nil {
		tb.Fatalf("StartEmulator: %v", err)
	}
	tb.Cleanup(ofs.Stop)
	return ofs
}

// Moto starts moto_server.
func Moto(tb testing.TB) *localstack.Moto {
	tb.Helper()
	skipShort(tb, "moto_server")
	moto, err := localstack.StartMoto(context.Background())
	if err != nil {
		tb.Fatalf("StartMoto: %v", err) // a missing tool's error names `make tools`
	}
	tb.Cleanup(moto.Stop)
	return moto
}

// Bootstrap builds the function's bootstrap for this machine into a
// temporary folder and returns its path.
func Bootstrap(tb testing.TB) string {
	tb.Helper()
	skipShort(tb, "a bootstrap build")
	root, err := localstack.RepoRoot()
	if err != nil {
		tb.Fatalf("RepoRoot: %v", err)
	}
	path, err := localstack.BuildBootstrap(context.Background(), root, tb.TempDir())
	if err != nil {
		tb.Fatalf("BuildBootstrap: %v", err)
	}
	return path
}

// RIEPath returns the path of aws-lambda-rie.
func RIEPath(tb testing.TB) string {
	tb.Helper()
	skipShort(tb, "aws-lambda-rie")
	root, err := localstack.RepoRoot()
	if err != nil {
		tb.Fatalf("RepoRoot: %v", err)
	}
	path, err := localstack.FindRIE(root)
	if err != nil {
		tb.Fatalf("FindRIE: %v", err) // a missing tool's error names `make tools`
	}
	return path
}

// Stack starts moto, the emulator and RIE as StartStack does. An empty
// cfg.Bootstrap is built with Bootstrap, and an empty cfg.RIEPath found with
// RIEPath. RIE's output is logged when the test fails.
func Stack(tb testing.TB, cfg localstack.StackConfig) *localstack.Stack {
	tb.Helper()
	skipShort(tb, "moto_server and aws-lambda-rie")
	if cfg.RIEPath == "" {
		cfg.RIEPath = RIEPath(tb)
	}
	if cfg.Bootstrap == "" {
		cfg.Bootstrap = Bootstrap(tb)
	}
	stack, err := localstack.StartStack(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("StartStack: %v", err) // a missing tool's error names `make tools`
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("RIE and bootstrap output:\n%s", stack.RIE.Output())
		}
		stack.Stop()
	})
	return stack
}

func skipShort(tb testing.TB, requirement string) {
	tb.Helper()
	if testing.Short() {
		tb.Skipf("skipped under -short: the test needs %s", requirement)
	}
}
