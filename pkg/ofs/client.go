package ofs

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// DefaultIssuer is the iss claim when Config.Issuer is empty. OFS records
// it and does not check it.
const DefaultIssuer = "ofs-startchat"

// defaultHTTPTimeout bounds one OFS request when Config.HTTPClient is nil.
const defaultHTTPTimeout = 30 * time.Second

// Config tunes a Client. The zero value uses the defaults below.
type Config struct {
	// BaseURL is the scheme and host of the OFS API, such as
	// "https://acme.test.fs.ocs.oraclecloud.com", with no path. Empty means
	// https://<instance>.fs.ocs.oraclecloud.com. It must be https unless its
	// host is loopback.
	BaseURL string
	// HTTPClient sends the requests. Nil means a client with a 30 s timeout
	// and TLS 1.2 or later that follows no redirects. A redirect is returned
	// as an *APIError, because following one would send the credentials to
	// another host.
	HTTPClient *http.Client
	// Issuer is the assertion's iss claim. Empty means DefaultIssuer.
	Issuer string
	// Now is the clock for assertions and token expiry. Nil means time.Now.
	Now func() time.Time
	// Retry bounds the retries of each token and chat request.
	Retry RetryPolicy
}

// Client starts OFS chats for one set of credentials. It is safe for
// concurrent use; callers share one cached access token.
type Client struct {
	creds     *Credentials
	baseURL   string
	http      *http.Client
	issuer    string
	now       func() time.Time
	mu        sync.Mutex
	token     cachedToken
	inflight  singleflight.Group
	retry     RetryPolicy
	cooldowns cooldowns
}

// NewClient checks cfg and returns a Client for creds.
func NewClient(creds *Credentials, cfg Config) (*Client, error) {
	if creds == nil || creds.PrivateKey == nil {
		return nil, errors.New("ofs: NewClient needs credentials with a private key; use ParseCredentials")
	}
	base, err := resolveBaseURL(cfg.BaseURL, creds.Instance)
	if err != nil {
		return nil, err
	}
	c := &Client{creds: creds, baseURL: base, http: cfg.HTTPClient, issuer: cfg.Issuer, now: cfg.Now,
		retry: cfg.Retry.withDefaults()}
	if c.http == nil {
		c.http = newHTTPClient()
	}
	if c.issuer == "" {
		c.issuer = DefaultIssuer
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// maxIdleConnsPerHost is how many idle connections the default client
// keeps to OFS. The startchat function sends up to 10 chats at once for an
// SQS batch. With net/http's default of 2, each batch opened 8 new
// connections, and each costs a TCP and TLS handshake of 2 or 3 round trips
// (docs/benchmarks.md, P3).
const maxIdleConnsPerHost = 16

// newHTTPClient returns the default client: a 30 s timeout, TLS 1.2 or
// later, up to maxIdleConnsPerHost idle connections, and no redirects.
func newHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	transport.MaxIdleConnsPerHost = maxIdleConnsPerHost
	return &http.Client{
		Timeout:   defaultHTTPTimeout,
		Transport: transport,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// BaseURL returns the OFS API base the client sends to.
func (c *Client) BaseURL() string { return c.baseURL }

// ValidateBaseURL checks an explicit OFS base URL: an absolute https URL,
// or http with a loopback host, with no path, query or user info.
func ValidateBaseURL(raw string) error {
	_, err := resolveBaseURL(raw, "")
	return err
}

// resolveBaseURL validates an explicit base URL or derives the production
// one from the instance name.
func resolveBaseURL(raw, instance string) (string, error) {
	if raw == "" {
		if strings.ContainsAny(instance, "/:@ ") {
			return "", &CredentialsError{Field: "instance", Reason: fmt.Sprintf("%q is not an "+
				"instance name; use the name from OFS Configuration > About, such as acme.test", instance)}
		}
		return "https://" + instance + ".fs.ocs.oraclecloud.com", nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("ofs: base URL %q is not an absolute http(s) URL; use the form "+
			"https://acme.test.fs.ocs.oraclecloud.com", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("ofs: base URL %q must be a scheme and host only, with no path, "+
			"query or user; every API path starts with /rest/", raw)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", fmt.Errorf("ofs: base URL %q uses http; use https (plain http is allowed "+
			"only for a loopback host such as 127.0.0.1)", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// maxResponseBody bounds how much of an OFS response is read. Both success
// bodies are a few hundred bytes.
const maxResponseBody = 1 << 20

// response is an OFS HTTP response with its body already read.
type response struct {
	*http.Response
	body []byte
}

// send performs req and reads the bounded body. A request that got no
// response returns a *NetworkError wrapping the cause (the context's error
// when the context ended first). A redirect returns an *APIError naming the
// location's host, since following it would send credentials elsewhere.
func (c *Client) send(ctx context.Context, endpoint Endpoint, req *http.Request) (*response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		err = stripURL(err)
		if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		return nil, &NetworkError{Endpoint: endpoint, URL: req.URL.Redacted(), Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		return nil, &NetworkError{Endpoint: endpoint, URL: req.URL.Redacted(),
			Err: fmt.Errorf("reading the response body: %w", stripURL(err))}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		apiErr := newAPIError(endpoint, resp, nil, c.now())
		apiErr.Hint = "OFS responded with a redirect, which is not followed; set the base URL " +
			"to the instance's API host"
		if loc, err := resp.Location(); err == nil {
			apiErr.Hint = fmt.Sprintf("OFS redirected to host %q, which is not followed; set the "+
				"base URL to the instance's API host", loc.Host)
		}
		return nil, apiErr
	}
	return &response{Response: resp, body: body}, nil
}

// stripURL removes the *url.Error wrapper, whose text repeats the method
// and URL that NetworkError already names.
func stripURL(err error) error {
	if urlErr, ok := err.(*url.Error); ok {
		return urlErr.Err
	}
	return err
}
