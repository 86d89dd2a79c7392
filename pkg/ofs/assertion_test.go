package ofs

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestMintAssertionClaims(t *testing.T) {
	id, _ := testIdentities(t)
	creds, err := ParseCredentials(secretJSON(t, id, nil))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	assertion, err := MintAssertion(creds, "startchat", now)
	if err != nil {
		t.Fatalf("MintAssertion: %v", err)
	}
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		t.Fatalf("assertion has %d parts, want 3", len(parts))
	}
	header := decodeSegment(t, parts[0])
	if header["alg"] != "RS256" {
		t.Errorf("alg = %v, want RS256", header["alg"])
	}
	if header["x5t"] == nil {
		t.Error("x5t missing although a certificate is configured")
	}
	// The raw payload is compared as text so that aud's JSON type is checked.
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"iss":"startchat","sub":"dispatcher1","aud":"ofsc:acme.test:startchat","iat":1767225570,"exp":1767225900}`
	if string(payload) != want {
		t.Errorf("payload = %s, want %s", payload, want)
	}
	parsed, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return &id.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil || !parsed.Valid {
		t.Errorf("signature does not verify with the key: %v", err)
	}
}

func TestAudienceUsesApplicationID(t *testing.T) {
	creds := &Credentials{Instance: "acme.test", ClientID: "generated40hex", ApplicationID: "best_app"}
	if got, want := creds.Audience(), "ofsc:acme.test:best_app"; got != want {
		t.Errorf("Audience() = %q, want %q", got, want)
	}
}

func decodeSegment(t *testing.T, segment string) map[string]any {
	t.Helper()
	data, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		t.Fatalf("decoding %q: %v", segment, err)
	}
	var fields map[string]any
	if err := json.Unmarshal(data, &fields); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return fields
}
