package localstacktest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// SyncBuffer is a bytes.Buffer that a server's goroutines and a test can
// use at once: loggers write to it while the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// RunWithMoto runs a package's tests with one moto_server that they share,
// for a TestMain: it stores the server in *moto, runs m and stops the
// server. Under -short it starts nothing, and tests that need moto skip.
func RunWithMoto(m *testing.M, moto **localstack.Moto) int {
	flag.Parse()
	if !testing.Short() {
		server, err := localstack.StartMoto(context.Background())
		if err != nil {
			fmt.Fprintln(os.Stderr, "starting moto_server failed:", err)
			return 1
		}
		defer server.Stop()
		*moto = server
	}
	return m.Run()
}
