package emulator_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

const (
	testInstance = "acme.test"
	testClientID = "startchat"
	testSecret   = "s3cret-Value"
	testAudience = "ofsc:acme.test:startchat"
	tokenPath    = "/rest/oauthTokenService/v2/token"
	chatsPath    = "/rest/ofscCollaboration/v1/chats"
	jwtBearer    = "urn:ietf:params:oauth:grant-type:jwt-bearer"
)

// testNow is the fixed start of every test clock.
var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testKeys generates two RSA keys once, because 2048-bit generation is slow:
// the one whose certificate is uploaded, and another one.
var testKeys = sync.OnceValues(func() ([2]*rsa.PrivateKey, error) {
	var keys [2]*rsa.PrivateKey
	for i := range keys {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return keys, err
		}
		keys[i] = key
	}
	return keys, nil
})

func rsaKey(t *testing.T, index int) *rsa.PrivateKey {
	t.Helper()
	keys, err := testKeys()
	if err != nil {
		t.Fatalf("generating RSA keys: %v", err)
	}
	return keys[index]
}

// certificatePEM returns a self-signed certificate for key.
func certificatePEM(t *testing.T, key crypto.Signer) []byte {
	t.Helper()
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "startchat"},
		NotBefore:    testNow.Add(-time.Hour),
		NotAfter:     testNow.Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, key.Public(), key)
	if err != nil {
		t.Fatalf("creating certificate: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// testClock is a settable clock for Config.Now.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	em    *emulator.Emulator
	srv   *httptest.Server
	clock *testClock
	key   *rsa.PrivateKey
}

// setup starts an emulator for acme.test and startchat with the certificate of
// rsaKey(t, 0), the users dispatcher1, tech17 and tech23, and helpdesk 5.
func setup(t *testing.T, configure ...func(*emulator.Config)) *fixture {
	t.Helper()
	clock := &testClock{now: testNow}
	cfg := emulator.Config{Instance: testInstance, ClientID: testClientID, Now: clock.Now}
	for _, change := range configure {
		change(&cfg)
	}
	em, err := emulator.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	key := rsaKey(t, 0)
	if err := em.SetCertificate(certificatePEM(t, key)); err != nil {
		t.Fatalf("SetCertificate: %v", err)
	}
	for _, login := range []string{"dispatcher1", "tech17", "tech23"} {
		em.AddUser(emulator.User{Login: login})
	}
	em.AddHelpdesk(5)
	return &fixture{em: em, srv: newServer(t, em), clock: clock, key: key}
}

// newServer serves h on a loopback address until the test ends.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// testClaims is an assertion claim set with aud as a plain string.
type testClaims struct {
	Iss string `json:"iss,omitempty"`
	Sub string `json:"sub"`
	Aud string `json:"aud"`
	Iat int64  `json:"iat"`
	Exp int64  `json:"exp"`
}

// The jwt.Claims methods are needed only for signing, which never calls them.
func (testClaims) GetExpirationTime() (*jwt.NumericDate, error) { return nil, nil }
func (testClaims) GetIssuedAt() (*jwt.NumericDate, error)       { return nil, nil }
func (testClaims) GetNotBefore() (*jwt.NumericDate, error)      { return nil, nil }
func (testClaims) GetIssuer() (string, error)                   { return "", nil }
func (testClaims) GetSubject() (string, error)                  { return "", nil }
func (testClaims) GetAudience() (jwt.ClaimStrings, error)       { return nil, nil }

// goodClaims returns the claims a correct client sends at now.
func goodClaims(now time.Time) testClaims {
	return testClaims{
		Iss: "startchat",
		Sub: "dispatcher1",
		Aud: testAudience,
		Iat: now.Add(-30 * time.Second).Unix(),
		Exp: now.Add(5 * time.Minute).Unix(),
	}
}

// goodMapClaims returns goodClaims as a map, for tests that change types.
func goodMapClaims(now time.Time) jwt.MapClaims {
	c := goodClaims(now)
	return jwt.MapClaims{"iss": c.Iss, "sub": c.Sub, "aud": c.Aud, "iat": c.Iat, "exp": c.Exp}
}

func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims) string {
	t.Helper()
	signed, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatalf("signing assertion: %v", err)
	}
	return signed
}

// signRaw signs header and claims given as raw JSON with RS256, so tests can
// send JSON that no claims type produces.
func signRaw(t *testing.T, key *rsa.PrivateKey, header, claims string) string {
	t.Helper()
	input := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(claims))
	digest := sha256.Sum256([]byte(input))
	signature, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("signing raw assertion: %v", err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(signature)
}

// assertion returns a good RS256 assertion for the fixture's current time.
func (f *fixture) assertion(t *testing.T) string {
	t.Helper()
	return sign(t, jwt.SigningMethodRS256, f.key, goodClaims(f.clock.Now()))
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func send(t *testing.T, req *http.Request) result {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading response of %s %s: %v", req.Method, req.URL.Path, err)
	}
	return result{status: resp.StatusCode, header: resp.Header, body: body}
}

func newRequest(t *testing.T, method, target, contentType, body string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("NewRequest(%s %s): %v", method, target, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	return req
}

// postToken sends form to the token endpoint. edit, when not nil, changes the
// request first, for example to add Basic credentials.
func (f *fixture) postToken(t *testing.T, form url.Values, edit func(*http.Request)) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, f.srv.URL+tokenPath,
		"application/x-www-form-urlencoded", form.Encode())
	if edit != nil {
		edit(req)
	}
	return send(t, req)
}

func assertionForm(assertion string) url.Values {
	return url.Values{"grant_type": {jwtBearer}, "assertion": {assertion}}
}

// token runs a good jwt-bearer exchange and returns the access token.
func (f *fixture) token(t *testing.T) string {
	t.Helper()
	res := f.postToken(t, assertionForm(f.assertion(t)), nil)
	if res.status != http.StatusOK {
		t.Fatalf("token request status = %d, want 200; body %s", res.status, res.body)
	}
	return accessToken(t, res)
}

// accessToken returns the access_token of a token response.
func accessToken(t *testing.T, res result) string {
	t.Helper()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res.body, &body); err != nil || body.AccessToken == "" {
		t.Fatalf("token response %s has no access_token (%v)", res.body, err)
	}
	return body.AccessToken
}

// postChat sends body to the chats endpoint with a Bearer token.
func (f *fixture) postChat(t *testing.T, token, body string) result {
	t.Helper()
	req := newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "application/json", body)
	req.Header.Set("Authorization", "Bearer "+token)
	return send(t, req)
}

// wantError checks that res is an OFS Error with status and a detail that
// contains detail.
func wantError(t *testing.T, res result, status int, detail string) {
	t.Helper()
	if res.status != status {
		t.Fatalf("status = %d, want %d; body %s", res.status, status, res.body)
	}
	if got := res.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	var body map[string]any
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatalf("error body %s is not JSON: %v", res.body, err)
	}
	if body["type"] != "about:blank" {
		t.Errorf("type = %v, want about:blank", body["type"])
	}
	if body["title"] != http.StatusText(status) {
		t.Errorf("title = %v, want %q", body["title"], http.StatusText(status))
	}
	if body["status"] != strconv.Itoa(status) {
		t.Errorf("status member = %#v, want the string %q", body["status"], strconv.Itoa(status))
	}
	got, _ := body["detail"].(string)
	if !strings.Contains(got, detail) {
		t.Errorf("detail = %q, want it to contain %q", got, detail)
	}
}
