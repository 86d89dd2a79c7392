package localstack

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

const (
	// pollInterval is the pause between two readiness checks.
	pollInterval = 50 * time.Millisecond
	// stopGrace is how long a stopped process group may take to exit after
	// SIGTERM before it gets SIGKILL.
	stopGrace = 5 * time.Second
	// maxOutput bounds the output kept from one process. RIE and the
	// function print about a kilobyte per invoke, so only a runaway process
	// reaches it. Output past the limit is counted and dropped.
	maxOutput = 64 << 20
)

// process is a child process that runs in its own process group, so that
// stopping it also stops the processes it started, such as the bootstrap
// that RIE runs.
type process struct {
	name   string
	cmd    *exec.Cmd
	output *outputBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // the result of Wait, readable after done
}

// startProcess starts path with args and exactly env, in dir, capturing its
// stdout and stderr. A non-nil copyTo also receives a copy of the output.
func startProcess(path string, args, env []string, dir string, copyTo io.Writer) (*process, error) {
	output := &outputBuffer{copyTo: copyTo}
	cmd := exec.Command(path, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdout = output
	cmd.Stderr = output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// WaitDelay bounds Wait when a grandchild keeps the output pipe open.
	cmd.WaitDelay = stopGrace
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("localstack: starting %s failed: %w", path, err)
	}
	p := &process{name: path, cmd: cmd, output: output, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace,
// and waits for the process to exit. Stopping an exited process is a no-op.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM) // an error means the group has exited
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-p.done:
	case <-timer.C:
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// The leader may exit on SIGTERM before its children do, so the group
	// gets a final SIGKILL, which fails harmlessly when it is empty.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// exitError describes how the process ended, for startup failures.
func (p *process) exitError() error {
	if p.err == nil {
		return fmt.Errorf("%s exited", p.name)
	}
	return fmt.Errorf("%s exited: %w", p.name, p.err)
}

// waitReady calls check every pollInterval until it returns nil. It fails
// when the process exits, after timeout, or when ctx ends, and the error
// then includes the last check error and the process output.
func (p *process) waitReady(ctx context.Context, timeout time.Duration,
	check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := check(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-p.done:
			return fmt.Errorf("%w before it was ready; output:\n%s",
				p.exitError(), p.output.Bytes())
		case <-ctx.Done():
			return fmt.Errorf("%s was not ready within %v (last check: %v); output:\n%s",
				p.name, timeout, err, p.output.Bytes())
		case <-ticker.C:
		}
	}
}

// dialCheck returns a readiness check that succeeds once addr accepts TCP
// connections.
func dialCheck(addr string) func(context.Context) error {
	return func(ctx context.Context) error {
		var dialer net.Dialer
		conn, err := dialer.DialContext(ctx, "tcp", addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
}

// freeAddress returns a loopback address whose port was free a moment ago.
// Another process may take the port before the caller binds it, and the
// caller's readiness check then reports the failed start.
func freeAddress() (string, error) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("localstack: finding a free loopback port failed: %w", err)
	}
	addr := listener.Addr().(*net.TCPAddr)
	if err := listener.Close(); err != nil {
		return "", fmt.Errorf("localstack: releasing port %d failed: %w", addr.Port, err)
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(addr.Port)), nil
}

// baseEnv returns PATH and HOME from this process, the only variables that
// child processes inherit without being named.
func baseEnv() map[string]string {
	env := map[string]string{}
	for _, name := range []string{"PATH", "HOME"} {
		if value, ok := os.LookupEnv(name); ok {
			env[name] = value
		}
	}
	return env
}

// envList turns env into the NAME=value form of exec.Cmd.Env.
func envList(env map[string]string) []string {
	list := make([]string, 0, len(env))
	for name, value := range env {
		list = append(list, name+"="+value)
	}
	return list
}

// outputBuffer collects a process's output for concurrent readers.
type outputBuffer struct {
	copyTo io.Writer

	mu      sync.Mutex
	buf     bytes.Buffer
	dropped int64
}

// Write keeps p up to maxOutput bytes in all and copies it to copyTo. It
// always reports success, so the process never gets a write error.
func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	keep := min(len(p), max(maxOutput-b.buf.Len(), 0))
	b.buf.Write(p[:keep])
	b.dropped += int64(len(p) - keep)
	if b.copyTo != nil {
		_, _ = b.copyTo.Write(p) // a failing copy must not stop the process
	}
	return len(p), nil
}

// Bytes returns a copy of the output kept so far.
func (b *outputBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// Dropped returns how many bytes of output were dropped past maxOutput.
func (b *outputBuffer) Dropped() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.dropped
}
