package emulator_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestNewValidatesConfig(t *testing.T) {
	tests := []struct {
		name    string
		cfg     emulator.Config
		wantErr string // empty for success
	}{
		{"minimal", emulator.Config{Instance: "acme.test", ClientID: "startchat"}, ""},
		{"missing instance", emulator.Config{ClientID: "startchat"}, "Config.Instance is required"},
		{"missing client ID", emulator.Config{Instance: "acme.test"}, "Config.ClientID is required"},
		{"instance with colon", emulator.Config{Instance: "acme:test", ClientID: "startchat"}, "Config.Instance"},
		{"client ID with at sign", emulator.Config{Instance: "acme.test", ClientID: "start@chat"}, "Config.ClientID"},
		{"unknown Basic policy", emulator.Config{Instance: "acme.test", ClientID: "startchat", Basic: 7},
			"BasicPolicy(7)"},
		{"BasicRequired without secret",
			emulator.Config{Instance: "acme.test", ClientID: "startchat", Basic: emulator.BasicRequired},
			"Config.ClientSecret is required"},
		{"negative TTL", emulator.Config{Instance: "acme.test", ClientID: "startchat", TokenTTL: -time.Second},
			"Config.TokenTTL"},
		{"sub-second TTL", emulator.Config{Instance: "acme.test", ClientID: "startchat", TokenTTL: time.Millisecond},
			"at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			em, err := emulator.New(tt.cfg)
			if tt.wantErr == "" {
				if err != nil || em == nil {
					t.Fatalf("New(%+v) = %v, %v; want an emulator", tt.cfg, em, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("New(%+v) error = %v, want it to contain %q", tt.cfg, err, tt.wantErr)
			}
		})
	}
}

func TestSetCertificate(t *testing.T) {
	key := rsaKey(t, 0)
	publicDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatalf("MarshalPKIXPublicKey: %v", err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating EC key: %v", err)
	}

	smallKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatalf("generating 1024-bit key: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("MarshalPKCS8PrivateKey: %v", err)
	}
	encode := func(blockType string, der []byte) []byte {
		return pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der})
	}

	tests := []struct {
		name    string
		pem     []byte
		wantErr string // empty for success
	}{
		{"certificate", certificatePEM(t, key), ""},
		{"certificate after text", append([]byte("subject=CN=startchat\n"), certificatePEM(t, key)...), ""},
		{"public key", encode("PUBLIC KEY", publicDER), ""},
		{"PKCS#8 private key", encode("PRIVATE KEY", pkcs8), "never the private key"},
		{"empty", nil, "no PEM block"},
		{"other block", encode("CERTIFICATE REQUEST", []byte{1}), `"CERTIFICATE REQUEST" is not supported`},
		{"corrupt certificate", encode("CERTIFICATE", []byte{1, 2, 3}), "parsing the certificate failed"},
		{"EC certificate", certificatePEM(t, ecKey), "RS256 needs an RSA key"},
		{"1024-bit RSA", certificatePEM(t, smallKey), "1024 bits; want at least 2048"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			em, err := emulator.New(emulator.Config{Instance: testInstance, ClientID: testClientID})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			err = em.SetCertificate(tt.pem)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("SetCertificate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("SetCertificate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRequestBodyLimit(t *testing.T) {
	f := setup(t)
	body := "grant_type=client_credentials&pad=" + strings.Repeat("a", 1<<20)
	req := newRequest(t, http.MethodPost, f.srv.URL+tokenPath, "application/x-www-form-urlencoded", body)
	wantError(t, send(t, req), http.StatusRequestEntityTooLarge, "larger than the 1048576-byte limit")
	if got := f.em.TokenRequests(); got != 1 {
		t.Errorf("TokenRequests() = %d, want 1", got)
	}
}

func TestUnknownPathNotFound(t *testing.T) {
	f := setup(t)
	res := send(t, newRequest(t, http.MethodGet, f.srv.URL+"/rest/ofscCore/v1/users", "", ""))
	wantError(t, res, http.StatusNotFound, `no OFS resource at "/rest/ofscCore/v1/users"`)
	requests := f.em.Requests()
	if len(requests) != 1 || requests[0].Endpoint != "" || requests[0].Status != http.StatusNotFound {
		t.Errorf("Requests() = %+v, want one with no endpoint and status 404", requests)
	}
	if f.em.TokenRequests() != 0 || f.em.ChatRequests() != 0 {
		t.Errorf("counters = %d, %d; want 0, 0", f.em.TokenRequests(), f.em.ChatRequests())
	}
}

func TestRecordsAreCopies(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	if res := f.postChat(t, token, chatBody(t, "hi")); res.status != http.StatusCreated {
		t.Fatalf("chat status = %d, want 201", res.status)
	}
	requests := f.em.Requests()
	requests[0].Header.Set("Content-Type", "changed")
	requests[0].Form.Set("grant_type", "changed")
	requests[0].Body[0] = 'X'
	requests[0].Assertion.Claims["sub"] = "changed"
	chats := f.em.Chats()
	chats[0].Recipients[0] = "changed"

	again := f.em.Requests()[0]
	if again.Header.Get("Content-Type") == "changed" || again.Form.Get("grant_type") == "changed" ||
		again.Body[0] == 'X' || again.Assertion.Claims["sub"] == "changed" {
		t.Errorf("changing the result of Requests() changed the record: %+v", again)
	}
	if f.em.Chats()[0].Recipients[0] == "changed" {
		t.Error("changing the result of Chats() changed the record")
	}
}

func TestResetKeepsUsersAndCertificate(t *testing.T) {
	f := setup(t)
	f.token(t)
	f.em.Reset()
	if got := f.em.TokenRequests(); got != 0 {
		t.Errorf("TokenRequests() after Reset = %d, want 0", got)
	}
	if res := f.postChat(t, f.token(t), chatBody(t, "hi")); res.status != http.StatusCreated {
		t.Errorf("chat after Reset status = %d, want 201; body %s", res.status, res.body)
	}
}

func TestResetForgetsTokens(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	f.em.Reset()
	wantError(t, f.postChat(t, token, chatBody(t, "hi")), http.StatusUnauthorized, "Reset cleared it")
}
