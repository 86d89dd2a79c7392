package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// writeCertificate writes certPEM to a temporary file and returns its path.
func writeCertificate(t *testing.T, certPEM []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(path, certPEM, 0o600); err != nil {
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

// runningEmulator is an emulate subcommand served by a goroutine.
type runningEmulator struct {
	url    string
	stdout *bufio.Reader
	stderr *localstacktest.SyncBuffer
	cancel context.CancelFunc
	done   chan int
}

// startEmulate runs ofschat emulate with args until stop or the test's end,
// and waits for its listening line.
func startEmulate(t *testing.T, args ...string) *runningEmulator {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutReader, stdoutWriter := io.Pipe()
	r := &runningEmulator{stdout: bufio.NewReader(stdoutReader), stderr: &localstacktest.SyncBuffer{},
		cancel: cancel, done: make(chan int, 1)}
	e := &env{stdin: strings.NewReader(""), stdout: stdoutWriter, stderr: r.stderr,
		getenv: func(string) string { return "" }, now: time.Now}
	go func() {
		r.done <- run(ctx, e, append([]string{"emulate"}, args...))
		stdoutWriter.Close()
	}()
	t.Cleanup(func() { r.stop(t) })

	line, err := r.stdout.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first stdout line: %v (stderr: %s)", err, r.stderr.String())
	}
	match := regexp.MustCompile(`^OFS emulator listening on (http://127\.0\.0\.1:\d+)\n$`).FindStringSubmatch(line)
	if match == nil {
		t.Fatalf("stdout line = %q, want OFS emulator listening on http://127.0.0.1:PORT", line)
	}
	r.url = match[1]
	return r
}

// stop cancels the emulator and returns its exit code. Later calls return
// the same code.
func (r *runningEmulator) stop(t *testing.T) int {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.done <- code
		return code
	case <-time.After(10 * time.Second):
		t.Fatal("emulate did not return within 10s of cancel")
		return -1
	}
}

func TestEmulateServesUntilCancelled(t *testing.T) {
	id, _ := testIdentities(t)
	key := id.Key
	r := startEmulate(t, "--cert", writeCertificate(t, id.CertificatePEM), "--helpdesks", "5,6",
		"--token-ttl", "90s")
	baseURL := r.url
	stderr := r.stderr

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

	if code := r.stop(t); code != exitOK {
		t.Fatalf("emulate exit code = %d, want 0 after cancel", code)
	}
	rest, _ := io.ReadAll(r.stdout)
	if len(rest) != 0 {
		t.Errorf("stdout after the first line = %q, want nothing", rest)
	}
	logs := stderr.String()
	for _, want := range []string{
		"method=POST path=/rest/oauthTokenService/v2/token status=200",
		"method=POST path=/_emulator/helpdesks status=204",
		"emulator stopped",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr does not contain %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, assertion[:20]) || strings.Contains(logs, "Authorization") {
		t.Errorf("stderr contains request credentials:\n%s", logs)
	}
}

func TestEmulateRejectsNonLoopbackAddress(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.1.2.3:8080", "example.com:80", "[::]:0", "no-port"} {
		t.Run(addr, func(t *testing.T) {
			res := runOfschat(t, nil, "", "emulate", "--addr", addr)
			if res.code != exitUsage {
				t.Fatalf("emulate --addr %s exit code = %d, want 2; stderr:\n%s", addr, res.code, res.stderr)
			}
			if addr != "no-port" {
				mustContain(t, res.stderr, "not a loopback address")
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

func TestParseEmulateFlags(t *testing.T) {
	e := &env{stdout: io.Discard, stderr: io.Discard}
	opts, err := parseEmulateFlags(e, nil)
	if err != nil {
		t.Fatalf("parseEmulateFlags(nil) = %v", err)
	}
	if opts.addr != "127.0.0.1:0" || opts.instance != "acme.test" || opts.clientID != "startchat" {
		t.Errorf("defaults = %+v, want 127.0.0.1:0, acme.test, startchat", opts)
	}
	if strings.Join(opts.users, ",") != "dispatcher1,tech17,tech23" {
		t.Errorf("default users = %v, want dispatcher1, tech17, tech23", opts.users)
	}
	opts, err = parseEmulateFlags(e, []string{"-users", " a , b ", "--helpdesks", "5, 6"})
	if err != nil {
		t.Fatalf("parseEmulateFlags = %v", err)
	}
	if strings.Join(opts.users, ",") != "a,b" || len(opts.helpdesks) != 2 || opts.helpdesks[1] != 6 {
		t.Errorf("users, helpdesks = %v, %v; want [a b], [5 6]", opts.users, opts.helpdesks)
	}
}

func TestEmulateRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"helpdesk not integer", []string{"--helpdesks", "5,x"}, exitUsage, `--helpdesks item "x"`},
		{"empty user", []string{"--users", "a,,b"}, exitUsage, "has an empty item"},
		{"sub-second TTL", []string{"--token-ttl", "10ms"}, exitUsage, "Config.TokenTTL"},
		{"instance with colon", []string{"--instance", "acme:test"}, exitUsage, "Config.Instance"},
		{"missing certificate file", []string{"--cert", filepath.Join(t.TempDir(), "none.pem")},
			exitFailed, "reading --cert"},
		{"extra argument", []string{"serve"}, exitUsage, `unexpected argument "serve"`},
		{"unknown flag", []string{"--port", "80"}, exitUsage, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runOfschat(t, nil, "", append([]string{"emulate"}, tt.args...)...)
			if res.code != tt.wantCode {
				t.Errorf("emulate %q exit code = %d, want %d", tt.args, res.code, tt.wantCode)
			}
			mustContain(t, res.stderr, tt.wantErr)
		})
	}
}

func TestEmulateServesOtherSubcommands(t *testing.T) {
	id, _ := testIdentities(t)
	r := startEmulate(t, "--cert", writeCertificate(t, id.CertificatePEM), "--client-secret", clientSecret,
		"--helpdesks", "5")
	secretFile := writeSecretFile(t, secretFields(t, id))
	vars := map[string]string{envBaseURL: r.url}

	token := runOfschat(t, vars, "", "token", "--secret-file", secretFile)
	if token.code != exitOK {
		t.Fatalf("token exit code = %d; output:\n%s", token.code, token.output())
	}
	mustContain(t, token.stdout, "Token type     bearer", r.url+"/rest/oauthTokenService/v2/token")
	chat := runOfschat(t, vars, "", "chat", "--secret-file", secretFile, "--helpdesk", "5",
		"--text", "Gate 3 is stuck")
	if chat.code != exitOK {
		t.Fatalf("chat exit code = %d; output:\n%s", chat.code, chat.output())
	}
	mustContain(t, chat.stdout, "Chat 48213 started: type normal, with helpdesk 5, by dispatcher1")
	check := runOfschat(t, vars, "", "check", "--secret-file", secretFile, "--to", "tech17")
	if check.code != exitOK {
		t.Fatalf("check exit code = %d; output:\n%s", check.code, check.output())
	}
	mustContain(t, check.stdout, "chat 48214 started with tech17", "Every link works.")

	if code := r.stop(t); code != exitOK {
		t.Fatalf("emulate exit code = %d, want 0", code)
	}
	logs := r.stderr.String()
	mustContain(t, logs, "path=/rest/ofscCollaboration/v1/chats status=201")
	assertNoLeak(t, logs+token.output()+chat.output()+check.output(), id.PrivateKeyPEM)
}
