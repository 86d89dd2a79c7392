package localstack

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

const (
	// Region is the AWS region of every local client and of the function.
	Region = "us-east-1"
	// motoStartTimeout bounds moto_server's start. moto 5.2.1 starts in
	// about half a second on an idle 2-core machine, and the limit leaves
	// room for a loaded one.
	motoStartTimeout = 60 * time.Second
	// clientTimeout bounds one HTTP request to a local server.
	clientTimeout = 30 * time.Second
)

// Moto is a moto_server process on a loopback port, behind an in-process
// proxy that counts the AWS operations it forwards.
type Moto struct {
	process *process
	proxy   *http.Server
	url     string

	mu    sync.Mutex
	calls map[string]int
}

// StartMoto starts `moto_server -H 127.0.0.1 -p PORT` on a free port and
// waits until it responds to HTTP requests. moto_server gets this
// process's environment without any AWS_ variable, plus fake credentials,
// so it can never use real ones. The error wraps ErrToolNotFound when
// moto_server is not on PATH. Call Stop when done.
func StartMoto(ctx context.Context) (*Moto, error) {
	path, err := findMoto()
	if err != nil {
		return nil, err
	}
	addr, err := freeAddress()
	if err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(addr)
	proc, err := startProcess(path, []string{"-H", host, "-p", port}, motoEnv(), "", nil)
	if err != nil {
		return nil, err
	}

	target := &url.URL{Scheme: "http", Host: addr}
	readyURL := target.String() + "/moto-api/"
	client := &http.Client{Timeout: time.Second}
	err = proc.waitReady(ctx, motoStartTimeout, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, readyURL, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
	if err != nil {
		proc.stop()
		return nil, fmt.Errorf("localstack: moto_server: %w", err)
	}

	m := &Moto{process: proc, calls: map[string]int{}}
	if err := m.startProxy(target); err != nil {
		proc.stop()
		return nil, err
	}
	return m, nil
}

// motoEnv returns this process's environment without AWS_ variables, plus
// fake credentials and Region.
func motoEnv() []string {
	var env []string
	for _, entry := range os.Environ() {
		if !strings.HasPrefix(entry, "AWS_") {
			env = append(env, entry)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION="+Region, "AWS_EC2_METADATA_DISABLED=true")
}

// startProxy serves a reverse proxy to target on a free loopback port.
func (m *Moto) startProxy(target *url.URL) error {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("localstack: listening for the moto proxy failed: %w", err)
	}
	forward := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host // SigV4 signed the host the client used
		},
		// The client sees the 502; the default handler would also log a
		// line for every request cancelled by a stopping caller.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	m.proxy = &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.count(r.Header.Get("X-Amz-Target"))
			forward.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: clientTimeout,
	}
	m.url = "http://" + listener.Addr().String()
	go func() { _ = m.proxy.Serve(listener) }() // Serve returns when Stop closes it
	return nil
}

func (m *Moto) count(target string) {
	if target == "" {
		target = "unknown"
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[target]++
}

// URL returns the endpoint to give AWS clients, such as
// http://127.0.0.1:40123. It is the counting proxy's address.
func (m *Moto) URL() string { return m.url }

// Calls returns how many requests named target in their X-Amz-Target
// header, such as "secretsmanager.GetSecretValue". Secrets Manager and other
// services with a JSON protocol send that header; query-protocol services
// such as SQS count as "unknown".
func (m *Moto) Calls(target string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[target]
}

// Stop closes the proxy and its connections, then stops moto_server. It is
// safe to call twice.
func (m *Moto) Stop() {
	_ = m.proxy.Close() // its only error is the listener's, already closed on a second call
	m.process.stop()
}

// SecretsClient returns a Secrets Manager client for endpoint with the fake
// credentials test/test and Region. It loads no shared configuration, so it
// never reads ~/.aws or queries the instance metadata service.
func SecretsClient(endpoint string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Timeout: clientTimeout},
	})
}

// AWSEnv returns the AWS SDK environment of a function that reads Secrets
// Manager at endpoint: fake credentials, Region, the endpoint override and
// IMDS disabled. The shared config and credentials files point to
// /dev/null, so the SDK reads no profile from ~/.aws.
func AWSEnv(endpoint string) map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":                "test",
		"AWS_SECRET_ACCESS_KEY":            "test",
		"AWS_REGION":                       Region,
		"AWS_DEFAULT_REGION":               Region,
		"AWS_EC2_METADATA_DISABLED":        "true",
		"AWS_ENDPOINT_URL_SECRETS_MANAGER": endpoint,
		"AWS_CONFIG_FILE":                  os.DevNull,
		"AWS_SHARED_CREDENTIALS_FILE":      os.DevNull,
	}
}
