package emulator

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	// defaultTokenTTL is the access-token lifetime that OFS has been seen to
	// return (expires_in 3600).
	defaultTokenTTL = time.Hour

	// firstChatID is the chatId of the first chat after New or Reset. It is
	// arbitrary, so that IDs in test output are not mistaken for counts.
	firstChatID int64 = 48213
)

// Config describes the OFS instance and application that the emulator plays.
type Config struct {
	// Instance is the environment name, such as "acme.test". Required.
	Instance string

	// ClientID is the application's client ID. Required. An assertion's aud
	// must be exactly "ofsc:<Instance>:<ClientID>".
	ClientID string

	// ClientSecret is the application's client secret. When set, Basic
	// credentials must be "<ClientID>@<Instance>:<ClientSecret>". Empty means
	// the application has no secret, so any Basic credential is rejected.
	ClientSecret string

	// Basic sets how the jwt-bearer grant treats Basic credentials. The
	// client_credentials grant always needs valid Basic credentials.
	Basic BasicPolicy

	// AllowAppSubject makes the token endpoint accept an assertion whose sub
	// equals its aud, which OFS documents as the application's own identity.
	// Off by default.
	AllowAppSubject bool

	// TokenTTL is the access-token lifetime, sent as expires_in. It is
	// truncated to whole seconds and must be at least 1s. Zero means 3600s.
	TokenTTL time.Duration

	// Now returns the current time for assertion checks, token expiry and
	// startedTime. Nil means time.Now. Fault delays use the real clock.
	Now func() time.Time
}

// BasicPolicy is the rule for HTTP Basic client credentials on the jwt-bearer
// grant. OFS documents no rule, so tests can pick the one they cover.
type BasicPolicy int

const (
	// BasicOptional verifies Basic credentials when they are present, and
	// requires them when Config.ClientSecret is set.
	BasicOptional BasicPolicy = iota
	// BasicRequired requires valid Basic credentials. It needs ClientSecret.
	BasicRequired
	// BasicForbidden rejects a jwt-bearer request that carries Basic
	// credentials.
	BasicForbidden
)

// String returns the constant's name.
func (p BasicPolicy) String() string {
	switch p {
	case BasicOptional:
		return "BasicOptional"
	case BasicRequired:
		return "BasicRequired"
	case BasicForbidden:
		return "BasicForbidden"
	}
	return fmt.Sprintf("BasicPolicy(%d)", int(p))
}

// User is an OFS user whose login can appear as an assertion's sub or as a
// chat recipient.
type User struct {
	Login string

	// NoCollaboration marks a user type without the Collaboration permission.
	// Chats started by this user get 403.
	NoCollaboration bool

	// Reach lists the logins that this user's collaboration groups can see.
	// Nil means every known user. An empty non-nil slice means no user, as
	// for a user in no collaboration group.
	Reach []string
}

// Emulator is a strict fake of the OFS token service and the Collaboration
// "Start a new chat" endpoint. It is an http.Handler and is safe for
// concurrent use.
type Emulator struct {
	cfg      Config
	audience string // "ofsc:<instance>:<clientId>"

	mu            sync.Mutex
	publicKey     *rsa.PublicKey
	users         map[string]User
	helpdesks     map[int64]bool
	faults        []Fault // Times contains the remaining count
	requests      []*Request
	tokenRequests int
	chatRequests  int
	chats         []Chat
	nextChatID    int64
	tokens        map[string]issuedToken
}

// New validates cfg, fills its defaults and returns an emulator with no
// certificate, users, helpdesks or faults.
func New(cfg Config) (*Emulator, error) {
	if err := validateName("Instance", cfg.Instance); err != nil {
		return nil, err
	}
	if err := validateName("ClientID", cfg.ClientID); err != nil {
		return nil, err
	}
	if cfg.Basic < BasicOptional || cfg.Basic > BasicForbidden {
		return nil, fmt.Errorf("emulator: Config.Basic %v is invalid; use BasicOptional, "+
			"BasicRequired or BasicForbidden", cfg.Basic)
	}
	if cfg.Basic == BasicRequired && cfg.ClientSecret == "" {
		return nil, errors.New("emulator: Config.Basic is BasicRequired, " +
			"so Config.ClientSecret is required")
	}
	switch {
	case cfg.TokenTTL == 0:
		cfg.TokenTTL = defaultTokenTTL
	case cfg.TokenTTL < time.Second:
		return nil, fmt.Errorf("emulator: Config.TokenTTL %v is invalid; want at least 1s", cfg.TokenTTL)
	}
	cfg.TokenTTL = cfg.TokenTTL.Truncate(time.Second)
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Emulator{
		cfg:        cfg,
		audience:   "ofsc:" + cfg.Instance + ":" + cfg.ClientID,
		users:      make(map[string]User),
		helpdesks:  make(map[int64]bool),
		nextChatID: firstChatID,
		tokens:     make(map[string]issuedToken),
	}
	return e, nil
}

// validateName rejects an instance or client ID that would make the aud string
// or the Basic username ambiguous.
func validateName(field, value string) error {
	if value == "" {
		return fmt.Errorf("emulator: Config.%s is required", field)
	}
	if strings.ContainsAny(value, ":@ \t\r\n") {
		return fmt.Errorf("emulator: Config.%s %q is invalid; it must not contain ':', '@' or spaces",
			field, value)
	}
	return nil
}

// ServeHTTP serves the OFS endpoints under /rest/ and the admin API under
// /_emulator/.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		e.serveAdmin(w, r)
		return
	}
	e.serveOFS(w, r)
}

// serveOFS records a request to an OFS path, applies the next matching fault
// and responds.
func (e *Emulator) serveOFS(w http.ResponseWriter, r *http.Request) {
	body, readErr := readBody(w, r)
	ex := e.begin(r, body)
	fault, faulted := e.takeFault(ex.endpoint, body)
	var resp response
	switch {
	case faulted && fault.replacesResponse():
		resp = fault.response()
	case readErr != nil:
		resp = errorResponse(readErr)
	default:
		resp = e.route(ex)
	}
	if faulted {
		resp = fault.apply(resp)
		if !wait(r.Context(), fault.Delay) {
			e.finish(ex, 0)
			return
		}
		if fault.Drop {
			e.finish(ex, 0)
			dropConnection(w)
			return
		}
	}
	resp.write(w)
	e.finish(ex, resp.status)
}

// route hands the request to its endpoint, or returns 404 for other paths.
func (e *Emulator) route(ex *exchange) response {
	path := ex.r.URL.Path
	switch {
	case ex.endpoint == EndpointToken:
		return e.handleToken(ex)
	case ex.endpoint == EndpointChat:
		return e.handleChat(ex)
	case path == tokenPathV1:
		return errorResponse(reject(http.StatusNotFound,
			"the v1 token service is deprecated and not served; use POST %s", tokenPath))
	case isChatSubpath(path):
		return errorResponse(reject(http.StatusNotFound,
			"the emulator serves only POST %s among the Collaboration chat resources", chatsPath))
	}
	return errorResponse(reject(http.StatusNotFound, "no OFS resource at %q; the emulator serves "+
		"POST %s and POST %s", echo(path), tokenPath, chatsPath))
}

// SetCertificate stores the public key that assertion signatures must verify
// against, as uploaded to the OFS application. certPEM is a CERTIFICATE or a
// PUBLIC KEY PEM block with an RSA key of at least 2048 bits.
func (e *Emulator) SetCertificate(certPEM []byte) error {
	key, err := parsePublicKey(certPEM)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.publicKey = key
	return nil
}

// AddUser adds u, or replaces the user with the same login.
func (e *Emulator) AddUser(u User) {
	if u.Reach != nil {
		u.Reach = slices.Clone(u.Reach)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.users[u.Login] = u
}

// AddHelpdesk adds a helpdesk ID that chats may name in helpdesk.
func (e *Emulator) AddHelpdesk(id int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.helpdesks[id] = true
}

// Reset clears faults, recorded requests, counters, chats and issued tokens,
// and restarts chat IDs. Users, helpdesks and the certificate stay.
func (e *Emulator) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
	e.requests = nil
	e.tokenRequests = 0
	e.chatRequests = 0
	e.chats = nil
	e.nextChatID = firstChatID
	e.tokens = make(map[string]issuedToken)
}

// user returns the user with login, if known.
func (e *Emulator) user(login string) (User, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	u, ok := e.users[login]
	return u, ok
}

// certificateKey returns the uploaded public key, or nil before an upload.
func (e *Emulator) certificateKey() *rsa.PublicKey {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.publicKey
}
