package localstack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// The OFS instance, application, user and helpdesk that StartEmulator sets
// up by default.
const (
	DefaultInstance = "acme.test"
	DefaultClientID = "startchat"
	// DefaultUser is the login that starts the chats.
	DefaultUser = "dispatcher1"
	// HelpdeskID is the helpdesk that chats may name instead of recipients.
	HelpdeskID int64 = 5
)

const (
	// tokenPath is the OFS token endpoint, whose responses carry the
	// access tokens that IssuedTokens returns.
	tokenPath = "/rest/oauthTokenService/v2/token"
	// maxTokenBody bounds the copy of a token response. A success body is
	// about 100 bytes.
	maxTokenBody = 64 << 10
)

// Technicians returns the logins that chats can reach besides the
// identity's user: tech17 and tech23.
func Technicians() []string { return []string{"tech17", "tech23"} }

// OFS is the OFS emulator served over HTTP on a loopback port in this
// process. Drive it through Emulator: inject faults, read requests and
// chats.
type OFS struct {
	Emulator *emulator.Emulator
	server   *http.Server
	url      string

	mu     sync.Mutex
	tokens []string // access tokens sent in token responses
}

// StartEmulator serves a new emulator on 127.0.0.1 with a free port. Empty
// cfg.Instance and cfg.ClientID mean DefaultInstance and DefaultClientID.
// The emulator gets id's certificate, the users id.User and Technicians,
// and HelpdeskID. Call Stop when done.
func StartEmulator(cfg emulator.Config, id *Identity) (*OFS, error) {
	if cfg.Instance == "" {
		cfg.Instance = DefaultInstance
	}
	if cfg.ClientID == "" {
		cfg.ClientID = DefaultClientID
	}
	em, err := emulator.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("localstack: %w", err)
	}
	if err := em.SetCertificate(id.CertificatePEM); err != nil {
		return nil, fmt.Errorf("localstack: %w", err)
	}
	em.AddUser(emulator.User{Login: id.User})
	for _, login := range Technicians() {
		em.AddUser(emulator.User{Login: login})
	}
	em.AddHelpdesk(HelpdeskID)

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("localstack: listening for the OFS emulator failed: %w", err)
	}
	o := &OFS{Emulator: em, url: "http://" + listener.Addr().String()}
	o.server = &http.Server{
		Handler:           http.HandlerFunc(o.serveHTTP),
		ReadHeaderTimeout: clientTimeout,
	}
	go func() { _ = o.server.Serve(listener) }() // Serve returns when Stop closes it
	return o, nil
}

// URL returns the base URL to give the function as OFS_BASE_URL, such as
// http://127.0.0.1:40125.
func (o *OFS) URL() string { return o.url }

// Stop shuts the server down, waiting up to stopGrace for requests in
// flight, such as those that a Fault delays, before closing them. It is
// safe to call twice.
func (o *OFS) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
	defer cancel()
	if err := o.server.Shutdown(ctx); err != nil {
		_ = o.server.Close() // ends the connections that outlived the grace period
	}
}

// IssuedTokens returns every access token that the emulator sent in a
// token response, oldest first, including tokens that no chat used.
func (o *OFS) IssuedTokens() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.tokens)
}

// serveHTTP passes r to the emulator and keeps the access token of each
// successful token response.
func (o *OFS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != tokenPath {
		o.Emulator.ServeHTTP(w, r)
		return
	}
	recorder := &bodyRecorder{ResponseWriter: w}
	o.Emulator.ServeHTTP(recorder, r)
	var answer struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(recorder.body.Bytes(), &answer) == nil && answer.AccessToken != "" {
		o.mu.Lock()
		o.tokens = append(o.tokens, answer.AccessToken)
		o.mu.Unlock()
	}
}

// bodyRecorder copies the first maxTokenBody bytes of a response body.
type bodyRecorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *bodyRecorder) Write(p []byte) (int, error) {
	keep := min(len(p), max(maxTokenBody-r.body.Len(), 0))
	r.body.Write(p[:keep])
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection, which the
// emulator hijacks to drop it.
func (r *bodyRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
