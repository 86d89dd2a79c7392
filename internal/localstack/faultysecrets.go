package localstack

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// FaultySecrets is a loopback endpoint in front of moto that responds to
// Secrets Manager requests with an error instead, on demand, the way the
// real service does: status 400 with the error code in the X-Amzn-Errortype
// header and the body's __type. Tests use it for faults that moto does not
// produce, such as ThrottlingException and AccessDeniedException.
type FaultySecrets struct {
	server *http.Server
	url    string
	calls  atomic.Int32

	mu        sync.Mutex
	code      string // the error code to respond with, or "" to forward
	remaining int    // how many more requests fail; negative means all
	delay     time.Duration
}

// StartFaultySecrets starts the endpoint on 127.0.0.1, forwarding to the
// moto server at motoURL. Call Stop when done.
func StartFaultySecrets(motoURL string) (*FaultySecrets, error) {
	target, err := url.Parse(motoURL)
	if err != nil {
		return nil, fmt.Errorf("localstack: moto URL %q is invalid: %w", motoURL, err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("localstack: listening on 127.0.0.1 failed: %w", err)
	}
	f := &FaultySecrets{url: "http://" + listener.Addr().String()}
	proxy := httputil.NewSingleHostReverseProxy(target)
	f.server = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			f.calls.Add(1)
			code, delay, fail := f.take()
			time.Sleep(delay)
			if !fail {
				proxy.ServeHTTP(w, r)
				return
			}
			w.Header().Set("X-Amzn-Errortype", code)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"__type":%q,"message":"injected %s"}`, code, code)
		})}
	go func() { _ = f.server.Serve(listener) }() // Serve returns when Stop closes it
	return f, nil
}

// URL returns the endpoint, for SecretsClient or AWS_ENDPOINT_URL_SECRETS_MANAGER.
func (f *FaultySecrets) URL() string { return f.url }

// Calls returns how many requests reached the endpoint.
func (f *FaultySecrets) Calls() int { return int(f.calls.Load()) }

// FailNext makes the next n requests fail with the error code; n < 0 means
// every request until the next FailNext, and an empty code forwards again.
func (f *FaultySecrets) FailNext(code string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.code, f.remaining = code, n
}

// SetDelay makes every request wait d before the response.
func (f *FaultySecrets) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// take uses up one failure, if one is set.
func (f *FaultySecrets) take() (code string, delay time.Duration, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.code == "" || f.remaining == 0 {
		return "", f.delay, false
	}
	if f.remaining > 0 {
		f.remaining--
	}
	return f.code, f.delay, true
}

// Stop closes the endpoint.
func (f *FaultySecrets) Stop() { _ = f.server.Close() }
