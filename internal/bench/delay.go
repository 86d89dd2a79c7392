// Package bench contains the measuring code of cmd/bench and of the
// startchat benchmarks. DelayProxy adds a fixed round-trip delay, and Env
// puts a Secrets Manager endpoint and the OFS emulator behind such proxies.
// Naive is the flow that the function is compared with, and StubOFS serves
// benchmarks without a network. The rest builds bootstraps, reads processes
// and parses `go test -bench` output.
//
// Every server it starts listens on 127.0.0.1 only.
package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// DelayProxy is a reverse proxy on a loopback port that waits its delay
// before forwarding each request, so that every request through it costs
// one simulated network round trip. A new connection costs one more, as a
// TCP handshake does; TLS, which the loopback servers do not speak, would
// cost one or two more. It counts requests by X-Amz-Target (AWS JSON
// operations) or else by path, connections, and the delay it injected.
type DelayProxy struct {
	delay time.Duration

	server      *http.Server
	url         string
	connections atomic.Int64
	injected    atomic.Int64 // nanoseconds

	mu       sync.Mutex
	requests map[string]int
}

// StartDelayProxy serves a proxy to target, an http://host:port URL, on a
// free 127.0.0.1 port. The Host header of each request is kept, because an
// AWS SigV4 signature covers it. Call Stop when done.
func StartDelayProxy(target string, delay time.Duration) (*DelayProxy, error) {
	targetURL, err := url.Parse(target)
	if err != nil || targetURL.Host == "" {
		return nil, fmt.Errorf("bench: proxy target %q is not an http://host:port URL", target)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("bench: listening for the delay proxy failed: %w", err)
	}
	p := &DelayProxy{delay: delay, url: "http://" + listener.Addr().String(), requests: map[string]int{}}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(targetURL)
			r.Out.Host = r.In.Host
		},
		// The default transport keeps only 2 idle connections per host,
		// which would add connection setup to bursts that the client
		// under test does not cause.
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute},
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	p.server = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p.count(r)
			if !p.sleep(r.Context()) {
				return // the client gave up
			}
			forward.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, state http.ConnState) {
			if state == http.StateNew {
				p.connections.Add(1)
			}
		},
	}
	go func() { _ = p.server.Serve(&handshakeListener{Listener: listener, proxy: p}) }() // Serve returns when Stop closes it
	return p, nil
}

// URL returns the proxy's base URL, such as http://127.0.0.1:40125.
func (p *DelayProxy) URL() string { return p.url }

// Requests returns how many requests named operation in X-Amz-Target, or
// had operation as their path when they sent no X-Amz-Target.
func (p *DelayProxy) Requests(operation string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[operation]
}

// Connections returns how many TCP connections the proxy has accepted.
func (p *DelayProxy) Connections() int64 { return p.connections.Load() }

// Injected returns the total time spent in the delays so far, for requests
// and for new connections, as measured: each sleep lasts a little longer
// than the delay. Delays that overlap in time are each counted.
func (p *DelayProxy) Injected() time.Duration { return time.Duration(p.injected.Load()) }

// Stop closes the listener and every connection.
func (p *DelayProxy) Stop() { _ = p.server.Close() }

func (p *DelayProxy) count(r *http.Request) {
	key := r.Header.Get("X-Amz-Target")
	if key == "" {
		key = r.URL.Path
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[key]++
}

// sleep waits the delay and reports whether ctx was still live at the end.
func (p *DelayProxy) sleep(ctx context.Context) bool {
	if p.delay <= 0 {
		return ctx.Err() == nil
	}
	began := time.Now()
	timer := time.NewTimer(p.delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		p.injected.Add(int64(time.Since(began)))
		return true
	case <-ctx.Done():
		return false
	}
}

// handshakeListener delays the first read of every accepted connection by
// the proxy's delay, which the client sees as a slow connection setup.
type handshakeListener struct {
	net.Listener
	proxy *DelayProxy
}

func (l *handshakeListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &handshakeConn{Conn: conn, proxy: l.proxy}, nil
}

// handshakeConn is a connection whose first Read waits the delay. The
// server reads each connection in its own goroutine, so the wait holds up
// no other connection.
type handshakeConn struct {
	net.Conn
	proxy *DelayProxy
	once  sync.Once
}

func (c *handshakeConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		began := time.Now()
		time.Sleep(c.proxy.delay)
		c.proxy.injected.Add(int64(time.Since(began)))
	})
	return c.Conn.Read(b)
}
