package ofs

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// setup starts the OFS emulator with the test identity's certificate and
// returns it with a client for the dispatcher1 user. extra overrides
// secret fields as in secretJSON.
func setup(t *testing.T, extra map[string]string) (*emulator.Emulator, *Client) {
	t.Helper()
	return setupWithClock(t, extra, nil)
}

// setupWithClock is setup with one clock, or time.Now when nil, shared by
// the emulator and the client.
func setupWithClock(t *testing.T, extra map[string]string, now func() time.Time) (*emulator.Emulator, *Client) {
	t.Helper()
	id, _ := testIdentities(t)
	emu, err := emulator.New(emulator.Config{Instance: "acme.test", ClientID: "startchat",
		ClientSecret: "s3cr3t-client", Now: now})
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	if err := emu.SetCertificate([]byte(id.certPEM)); err != nil {
		t.Fatalf("SetCertificate: %v", err)
	}
	emu.AddUser(emulator.User{Login: "dispatcher1"})
	emu.AddUser(emulator.User{Login: "tech17"})
	emu.AddUser(emulator.User{Login: "tech23"})
	server := httptest.NewServer(emu)
	t.Cleanup(server.Close)
	creds, err := ParseCredentials(secretJSON(t, id, extra))
	if err != nil {
		t.Fatalf("ParseCredentials: %v", err)
	}
	client, err := NewClient(creds, Config{BaseURL: server.URL, Now: now})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return emu, client
}

var toTech17 = ChatRequest{Text: "Truck 12 needs a tow at gate 3", Recipients: []string{"tech17"}}

func TestStartChatEndToEnd(t *testing.T) {
	emu, client := setup(t, nil)
	chat, err := client.StartChat(context.Background(), toTech17)
	if err != nil {
		t.Fatalf("StartChat: %v", err)
	}
	if chat.ChatID == 0 || chat.Type != "normal" || chat.StartedBy != "dispatcher1" {
		t.Errorf("chat = %+v, want an id, type normal, startedBy dispatcher1", chat)
	}
	if _, err := chat.StartedAt(); err != nil {
		t.Errorf("StartedAt: %v", err)
	}
	chats := emu.Chats()
	if len(chats) != 1 || strings.Join(chats[0].Recipients, ",") != "tech17" {
		t.Fatalf("emulator chats = %+v, want one to tech17", chats)
	}
	token := emu.Requests()[0]
	wantBasic := "Basic " + base64.StdEncoding.EncodeToString([]byte("startchat@acme.test:s3cr3t-client"))
	if got := token.Header.Get("Authorization"); got != wantBasic {
		t.Errorf("token Authorization = %q, want %q", got, wantBasic)
	}
	if got := token.Form.Get("grant_type"); got != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		t.Errorf("grant_type = %q", got)
	}
}

func TestNoBasicWithoutClientSecret(t *testing.T) {
	emu, client := setup(t, map[string]string{"clientSecret": ""})
	if _, err := client.StartChat(context.Background(), toTech17); err == nil {
		t.Fatal("StartChat succeeded, want the emulator to require Basic for an app with a secret")
	}
	if got := emu.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("token Authorization = %q, want none", got)
	}
}

func TestTokenCachedAcrossChats(t *testing.T) {
	emu, client := setup(t, nil)
	for range 3 {
		if _, err := client.StartChat(context.Background(), toTech17); err != nil {
			t.Fatalf("StartChat: %v", err)
		}
	}
	if got := emu.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

func TestConcurrentCallersShareOneExchange(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Delay: 200 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for range 100 {
		wg.Go(func() {
			if _, err := client.StartChat(context.Background(), toTech17); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("StartChat: %v", err)
	}
	if got := emu.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
	if got := len(emu.Chats()); got != 100 {
		t.Errorf("chats = %d, want 100", got)
	}
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	emu, client := setupWithClock(t, nil, clock)
	if _, err := client.StartChat(context.Background(), toTech17); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Hour - tokenRenewMargin + time.Second) // emulator tokens live 3600 s
	mu.Unlock()
	if _, err := client.StartChat(context.Background(), toTech17); err != nil {
		t.Fatal(err)
	}
	if got := emu.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2 (one renewal)", got)
	}
}

func TestChat401RetriesOnceWithNewToken(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusUnauthorized})
	if _, err := client.StartChat(context.Background(), toTech17); err != nil {
		t.Fatalf("StartChat: %v", err)
	}
	if got := emu.TokenRequests(); got != 2 {
		t.Errorf("token requests = %d, want 2", got)
	}
	if got := len(emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestChat401TwiceIsFinal(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusUnauthorized, Times: 2})
	_, err := client.StartChat(context.Background(), toTech17)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("error = %v, want a 401 *APIError", err)
	}
	if got := emu.ChatRequests(); got != 2 {
		t.Errorf("chat requests = %d, want 2", got)
	}
}

func TestChatForbiddenNamesUserAndRecipients(t *testing.T) {
	emu, client := setup(t, nil)
	emu.AddUser(emulator.User{Login: "dispatcher1", Reach: []string{"tech23"}})
	_, err := client.StartChat(context.Background(), toTech17)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusForbidden {
		t.Fatalf("error = %v, want a 403 *APIError", err)
	}
	if apiErr.Temporary() {
		t.Error("Temporary() = true for 403, want false")
	}
	for _, want := range []string{"dispatcher1", "tech17", apiErr.Detail} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if got := emu.ChatRequests(); got != 1 {
		t.Errorf("chat requests = %d, want 1 (no retry)", got)
	}
}

func TestInvalidTextSendsNothing(t *testing.T) {
	emu, client := setup(t, nil)
	_, err := client.StartChat(context.Background(), ChatRequest{Text: strings.Repeat("a", 1001), Recipients: []string{"tech17"}})
	var inputErr *InputError
	if !errors.As(err, &inputErr) {
		t.Fatalf("error = %v, want an *InputError", err)
	}
	if got := len(emu.Requests()); got != 0 {
		t.Errorf("requests = %d, want 0", got)
	}
}

func TestTokenAnswerWithoutAccessToken(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: http.StatusOK,
		Body: `{"token_type":"bearer","expires_in":3600}`})
	_, err := client.StartChat(context.Background(), toTech17)
	if err == nil || !strings.Contains(err.Error(), "no access_token") {
		t.Fatalf("error = %v, want one about the missing access_token", err)
	}
	if got := emu.ChatRequests(); got != 0 {
		t.Errorf("chat requests = %d, want 0 (never an empty bearer)", got)
	}
}

func TestTokenThrottledIsTemporary(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: http.StatusTooManyRequests, RetryAfter: "12"})
	_, err := client.StartChat(context.Background(), toTech17)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.Temporary() || apiErr.RetryAfter != 12*time.Second {
		t.Fatalf("error = %#v, want a temporary 429 with RetryAfter 12s", err)
	}
}

func TestDeadlineBeatsSlowTokenService(t *testing.T) {
	emu, client := setup(t, nil)
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	_, err := client.StartChat(ctx, toTech17)
	var netErr *NetworkError
	if !errors.As(err, &netErr) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want a *NetworkError wrapping context.DeadlineExceeded", err)
	}
	if elapsed := time.Since(began); elapsed > 3*time.Second {
		t.Errorf("StartChat returned after %v, want about 1s", elapsed)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var reached atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer target.Close()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	defer server.Close()
	id, _ := testIdentities(t)
	creds, _ := ParseCredentials(secretJSON(t, id, nil))
	client, err := NewClient(creds, Config{BaseURL: server.URL})
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.StartChat(context.Background(), toTech17)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Temporary() {
		t.Fatalf("error = %v, want a permanent *APIError", err)
	}
	targetHost := strings.TrimPrefix(target.URL, "http://")
	if !strings.Contains(err.Error(), `"`+targetHost+`"`) {
		t.Errorf("error = %q, want it to name the redirect host %s", err, targetHost)
	}
	if got := reached.Load(); got != 0 {
		t.Errorf("redirect target got %d requests, want 0 (credentials must not follow a redirect)", got)
	}
}

func TestResolveBaseURL(t *testing.T) {
	tests := []struct {
		raw, instance, want, wantErr string
	}{
		{"", "acme.test", "https://acme.test.fs.ocs.oraclecloud.com", ""},
		{"https://acme.fs.ocs.oraclecloud.com/", "acme", "https://acme.fs.ocs.oraclecloud.com", ""},
		{"http://127.0.0.1:8080", "acme", "http://127.0.0.1:8080", ""},
		{"http://localhost:8080", "acme", "http://localhost:8080", ""},
		{"http://acme.fs.ocs.oraclecloud.com", "acme", "", "uses http"},
		{"https://acme.fs.ocs.oraclecloud.com/rest/ofscCore", "acme", "", "no path"},
		{"acme.fs.ocs.oraclecloud.com", "acme", "", "not an absolute"},
		{"", "https://acme", "", "not an instance name"},
	}
	for _, tt := range tests {
		got, err := resolveBaseURL(tt.raw, tt.instance)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("resolveBaseURL(%q, %q) error = %v, want %q", tt.raw, tt.instance, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("resolveBaseURL(%q, %q) = %q, %v; want %q", tt.raw, tt.instance, got, err, tt.want)
		}
	}
}
