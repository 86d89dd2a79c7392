package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// syncBuffer is a bytes.Buffer that the server's goroutines and the test can
// use at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// writeCertificate writes a self-signed certificate for key to a temporary
// file and returns its path.
func writeCertificate(t *testing.T, key *rsa.PrivateKey) string {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "startchat"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating certificate: %v", err)
	}
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatalf("writing certificate: %v", err)
	}
	return path
}

// assertionClaims is an assertion claim set with aud as a plain string.
type assertionClaims struct {
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

func (assertionClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (assertionClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (assertionClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (assertionClaims) GetIssuer() (string, error)                   { return "", nil }
func (assertionClaims) GetSubject() (string, error)                  { return "", nil }
func (assertionClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

func TestRunServesUntilCancelled(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("generating key: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stdoutReader, stdoutWriter := io.Pipe()
	stderr := &syncBuffer{}
	args := []string{"-cert", writeCertificate(t, key), "-helpdesks", "5,6", "-token-ttl", "90s"}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, stdoutWriter, stderr)
		stdoutWriter.Close()
	}()

	stdout := bufio.NewReader(stdoutReader)
	line, err := stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first stdout line: %v (stderr: %s)", err, stderr.String())
	}
	match := regexp.MustCompile(`^ofs-emulator listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	if match == nil {
		t.Fatalf("stdout line = %q, want ofs-emulator listening on http://127.0.0.1:PORT", line)
	}
	baseURL := match[1]

	now := time.Now()
	assertion, err := jwt.NewWithClaims(jwt.SigningMethodRS256, assertionClaims{
		Sub: "dispatcher1", Aud: "ofsc:acme.test:startchat",
		Iat: now.Add(-30 * time.Second).Unix(), Exp: now.Add(5 * time.Minute).Unix(),
	}).SignedString(key)
	if err != nil {
		t.Fatalf("signing assertion: %v", err)
	}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	resp, err := http.PostForm(baseURL+"/rest/oauthTokenService/v2/token", form)
	if err != nil {
		t.Fatalf("token request: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"expires_in":90`) {
		t.Errorf("token response = %d %s, want 200 with expires_in 90", resp.StatusCode, body)
	}
	resp, err = http.Post(baseURL+"/_emulator/helpdesks", "application/json", strings.NewReader(`{"id":7}`))
	if err != nil {
		t.Fatalf("admin request: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Errorf("admin status = %d, want 204", resp.StatusCode)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run() = %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return within 10s of cancel")
	}
	rest, _ := io.ReadAll(stdout)
	if len(rest) != 0 {
		t.Errorf("stdout after the first line = %q, want nothing", rest)
	}
	logs := stderr.String()
	for _, want := range []string{
		"method=POST path=/rest/oauthTokenService/v2/token status=200",
		"method=POST path=/_emulator/helpdesks status=204",
		"ofs-emulator stopped",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, assertion[:20]) || strings.Contains(logs, "Authorization") {
		t.Errorf("stderr contains request credentials:\n%s", logs)
	}
}

func TestRunRejectsNonLoopbackAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.1.2.3:8080", "example.com:80", "[::]:0", "no-port"} {
		t.Run(addr, func(t *testing.T) {
			err := run(context.Background(), []string{"-addr", addr}, io.Discard, io.Discard)
			if err == nil {
				t.Fatalf("run(-addr %s) = nil, want an error", addr)
			}
			if addr != "no-port" && !strings.Contains(err.Error(), "not a loopback address") {
				t.Errorf("run(-addr %s) = %v, want a loopback error", addr, err)
			}
		})
	}
}

func TestListenLoopbackAcceptsLocalhost(t *testing.T) {
	listener, err := listenLoopback("localhost:0")
	if err != nil {
		t.Fatalf("listenLoopback(localhost:0) = %v", err)
	}
	defer listener.Close()
	if got := listener.Addr().String(); !strings.HasPrefix(got, "127.0.0.1:") {
		t.Errorf("listener address = %q, want 127.0.0.1:PORT", got)
	}
}

func TestParseFlags(t *testing.T) {
	opts, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags(nil) = %v", err)
	}
	if opts.addr != "127.0.0.1:0" || opts.instance != "acme.test" || opts.clientID != "startchat" {
		t.Errorf("defaults = %+v, want 127.0.0.1:0, acme.test, startchat", opts)
	}
	if strings.Join(opts.users, ",") != "dispatcher1,tech17,tech23" {
		t.Errorf("default users = %v, want dispatcher1, tech17, tech23", opts.users)
	}
	opts, err = parseFlags([]string{"-users", " a , b ", "-helpdesks", "5, 6"}, io.Discard)
	if err != nil {
		t.Fatalf("parseFlags = %v", err)
	}
	if strings.Join(opts.users, ",") != "a,b" || len(opts.helpdesks) != 2 || opts.helpdesks[1] != 6 {
		t.Errorf("users, helpdesks = %v, %v; want [a b], [5 6]", opts.users, opts.helpdesks)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"helpdesk not integer", []string{"-helpdesks", "5,x"}, `-helpdesks item "x"`},
		{"empty user", []string{"-users", "a,,b"}, "has an empty item"},
		{"sub-second TTL", []string{"-token-ttl", "10ms"}, "Config.TokenTTL"},
		{"instance with colon", []string{"-instance", "acme:test"}, "Config.Instance"},
		{"missing certificate file", []string{"-cert", filepath.Join(t.TempDir(), "none.pem")}, "reading -cert"},
		{"extra argument", []string{"serve"}, "unexpected arguments"},
		{"unknown flag", []string{"-port", "80"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("run(%q) = %v, want an error containing %q", tt.args, err, tt.wantErr)
			}
		})
	}
}
