package emulator_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// admin sends a request to the admin API and checks the status.
func (f *fixture) admin(t *testing.T, method, path, body string, wantStatus int) result {
	t.Helper()
	res := send(t, newRequest(t, method, f.srv.URL+"/_emulator/"+path, "application/json", body))
	if res.status != wantStatus {
		t.Fatalf("%s /_emulator/%s status = %d, want %d; body %s", method, path, res.status, wantStatus, res.body)
	}
	return res
}

// bareFixture starts an emulator without certificate, users or helpdesks.
func bareFixture(t *testing.T) *fixture {
	t.Helper()
	clock := &testClock{now: testNow}
	em, err := emulator.New(emulator.Config{Instance: testInstance, ClientID: testClientID, Now: clock.Now})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{em: em, srv: newServer(t, em), clock: clock, key: rsaKey(t, 0)}
}

func TestAdminAPIDrivesRun(t *testing.T) {
	f := bareFixture(t)
	f.admin(t, http.MethodPut, "certificate", string(certificatePEM(t, f.key)), http.StatusNoContent)
	f.admin(t, http.MethodPost, "users", `{"login":"dispatcher1","reach":["tech17"]}`, http.StatusNoContent)
	f.admin(t, http.MethodPost, "users", `{"login":"tech17"}`, http.StatusNoContent)
	f.admin(t, http.MethodPost, "helpdesks", `{"id":5}`, http.StatusNoContent)
	f.admin(t, http.MethodPost, "faults",
		`{"endpoint":"token","status":503,"retryAfter":"1","delay":"10ms"}`, http.StatusNoContent)

	res := f.postToken(t, assertionForm(f.assertion(t)), nil)
	wantError(t, res, http.StatusServiceUnavailable, "fault injected")
	if got := res.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
	token := f.token(t)
	if res := f.postChat(t, token, `{"text":"hi","recipients":["tech17"]}`); res.status != http.StatusCreated {
		t.Fatalf("chat status = %d, want 201; body %s", res.status, res.body)
	}
	if res := f.postChat(t, token, `{"text":"hi","helpdesk":5}`); res.status != http.StatusCreated {
		t.Fatalf("helpdesk chat status = %d, want 201; body %s", res.status, res.body)
	}

	res = f.admin(t, http.MethodGet, "chats", "", http.StatusOK)
	var chats []map[string]any
	if err := json.Unmarshal(res.body, &chats); err != nil {
		t.Fatalf("chats body %s: %v", res.body, err)
	}
	if len(chats) != 2 {
		t.Fatalf("len(chats) = %d, want 2; body %s", len(chats), res.body)
	}
	first := chats[0]
	for key, want := range map[string]any{
		"chatId": 48213.0, "type": "normal", "startedBy": "dispatcher1",
		"startedTime": "2026-01-01 00:00:00", "text": "hi",
	} {
		if first[key] != want {
			t.Errorf("chats[0][%q] = %#v, want %#v", key, first[key], want)
		}
	}
	if recipients, _ := first["recipients"].([]any); len(recipients) != 1 || recipients[0] != "tech17" {
		t.Errorf("chats[0].recipients = %v, want [tech17]", first["recipients"])
	}
	if chats[1]["helpdesk"] != 5.0 {
		t.Errorf("chats[1].helpdesk = %v, want 5", chats[1]["helpdesk"])
	}

	res = f.admin(t, http.MethodGet, "stats", "", http.StatusOK)
	if got, want := string(res.body), `{"tokenRequests":2,"chatRequests":2}`; got != want {
		t.Errorf("stats = %s, want %s", got, want)
	}
	f.admin(t, http.MethodPost, "reset", "", http.StatusNoContent)
	res = f.admin(t, http.MethodGet, "stats", "", http.StatusOK)
	if string(res.body) != `{"tokenRequests":0,"chatRequests":0}` {
		t.Errorf("stats after reset = %s, want zeros", res.body)
	}
	if res := f.admin(t, http.MethodGet, "chats", "", http.StatusOK); string(res.body) != "[]" {
		t.Errorf("chats after reset = %s, want []", res.body)
	}
	if n := len(f.em.Requests()); n != 0 {
		t.Errorf("len(Requests()) = %d after reset, want 0: admin calls are not recorded", n)
	}
}

func TestAdminFaultFields(t *testing.T) {
	f := setup(t)
	f.admin(t, http.MethodPost, "faults", `{"endpoint":"chat","drop":true}`, http.StatusNoContent)
	f.admin(t, http.MethodPost, "faults",
		`{"status":502,"body":"<html></html>","contentType":"text/html","times":2}`, http.StatusNoContent)
	f.admin(t, http.MethodPost, "faults", `{"endpoint":"token","status":504,"emptyBody":true}`, http.StatusNoContent)

	for range 2 {
		res := f.postToken(t, assertionForm(f.assertion(t)), nil)
		if res.status != 502 {
			t.Errorf("token status = %d, want 502", res.status)
		}
		if string(res.body) != "<html></html>" {
			t.Errorf("token body = %q, want <html></html>", res.body)
		}
		if got := res.header.Get("Content-Type"); got != "text/html" {
			t.Errorf("token Content-Type = %q, want text/html", got)
		}
	}
	res := f.postToken(t, assertionForm(f.assertion(t)), nil)
	if res.status != 504 {
		t.Errorf("token status = %d, want 504", res.status)
	}
	if len(res.body) != 0 {
		t.Errorf("token body = %q, want no body", res.body)
	}
	req := newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "application/json", chatBody(t, "hi"))
	req.Header.Set("Authorization", "Bearer "+f.token(t))
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("chat returned status %d, want a dropped connection", resp.StatusCode)
	}
}

func TestAdminErrors(t *testing.T) {
	key := rsaKey(t, 0)
	privatePEM := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	tests := []struct {
		name       string
		method     string
		path       string
		body       string
		wantStatus int
		wantDetail string
	}{
		{"certificate not PEM", http.MethodPut, "certificate", "hello", 400, "no PEM block"},
		{"private key upload", http.MethodPut, "certificate", privatePEM, 400, "never the private key"},
		{"certificate by POST", http.MethodPost, "certificate", "", 405, "use PUT"},
		{"user without login", http.MethodPost, "users", `{"reach":[]}`, 400, "user has no login"},
		{"user unknown field", http.MethodPost, "users", `{"login":"a","role":"x"}`, 400, "unknown field"},
		{"user trailing data", http.MethodPost, "users", `{"login":"a"} {}`, 400, "data after"},
		{"helpdesk without id", http.MethodPost, "helpdesks", `{}`, 400, "helpdesk has no id"},
		{"fault bad delay", http.MethodPost, "faults", `{"status":503,"delay":"2 seconds"}`, 400, "not a Go duration"},
		{"fault bad status", http.MethodPost, "faults", `{"status":42}`, 400, "fault status 42 is invalid"},
		{"fault bad endpoint", http.MethodPost, "faults", `{"endpoint":"messages"}`, 400, "fault endpoint"},
		{"fault drop with body", http.MethodPost, "faults", `{"drop":true,"body":"x"}`, 400, "drop sends no response"},
		{"fault delay as number", http.MethodPost, "faults", `{"delay":2}`, 400, "not a valid JSON object"},
		{"stats by POST", http.MethodPost, "stats", "", 405, "use GET"},
		{"unknown resource", http.MethodGet, "requests", "", 404, "no admin resource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			res := send(t, newRequest(t, tt.method, f.srv.URL+"/_emulator/"+tt.path, "application/json", tt.body))
			wantError(t, res, tt.wantStatus, tt.wantDetail)
		})
	}
}

func TestAdminPublicKeyUpload(t *testing.T) {
	f := bareFixture(t)
	der, err := x509.MarshalPKIXPublicKey(f.key.Public().(*rsa.PublicKey))
	if err != nil {
		t.Fatalf("MarshalPKIXPublicKey: %v", err)
	}
	publicPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	f.admin(t, http.MethodPut, "certificate", string(publicPEM), http.StatusNoContent)
	f.admin(t, http.MethodPost, "users", `{"login":"dispatcher1"}`, http.StatusNoContent)
	f.clock.Advance(time.Minute)
	if res := f.postToken(t, assertionForm(f.assertion(t)), nil); res.status != http.StatusOK {
		t.Errorf("token status = %d, want 200; body %s", res.status, res.body)
	}
}
