package ofs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseCredentialsValid(t *testing.T) {
	id, _ := testIdentities(t)
	creds, err := ParseCredentials(secretJSON(t, id, nil))
	if err != nil {
		t.Fatalf("ParseCredentials: %v", err)
	}
	if creds.Instance != "acme.test" || creds.ClientID != "startchat" || creds.User != "dispatcher1" {
		t.Errorf("fields = %q %q %q, want acme.test startchat dispatcher1", creds.Instance, creds.ClientID, creds.User)
	}
	if creds.Certificate == nil {
		t.Error("Certificate = nil, want the parsed certificate")
	}
	if got, want := creds.Audience(), "ofsc:acme.test:startchat"; got != want {
		t.Errorf("Audience() = %q, want %q", got, want)
	}
}

func TestPKCS1AndPKCS8SignAlike(t *testing.T) {
	id, _ := testIdentities(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var assertions []string
	for _, keyPEM := range []string{id.pkcs1PEM, id.pkcs8PEM} {
		creds, err := ParseCredentials(secretJSON(t, id, map[string]string{"privateKey": keyPEM, "certificate": ""}))
		if err != nil {
			t.Fatalf("ParseCredentials: %v", err)
		}
		assertion, err := MintAssertion(creds, "startchat", now)
		if err != nil {
			t.Fatalf("MintAssertion: %v", err)
		}
		assertions = append(assertions, assertion)
	}
	// RSASSA-PKCS1-v1_5 is deterministic, so the same key signs the same bytes alike.
	if assertions[0] != assertions[1] {
		t.Errorf("PKCS#1 and PKCS#8 assertions differ:\n%s\n%s", assertions[0], assertions[1])
	}
}

func TestParseCredentialsRepairsPEM(t *testing.T) {
	id, _ := testIdentities(t)
	tests := []struct {
		name   string
		mangle func(string) string
	}{
		{"escaped newlines", func(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }},
		{"CRLF", func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }},
		{"escaped CRLF", func(s string) string { return strings.ReplaceAll(s, "\n", `\r\n`) }},
		{"spaces for newlines", func(s string) string { return strings.ReplaceAll(s, "\n", " ") }},
		{"one line", func(s string) string { return strings.ReplaceAll(s, "\n", "") }},
		{"surrounding blanks", func(s string) string { return "\n  " + s + "  \n" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret := secretJSON(t, id, map[string]string{
				"privateKey":  tt.mangle(id.pkcs8PEM),
				"certificate": tt.mangle(id.certPEM),
			})
			creds, err := ParseCredentials(secret)
			if err != nil {
				t.Fatalf("ParseCredentials: %v", err)
			}
			if !creds.PrivateKey.Equal(id.key) {
				t.Error("repaired key differs from the original")
			}
		})
	}
}

func TestParseCredentialsRejects(t *testing.T) {
	id, other := testIdentities(t)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	ecSEC1, _ := x509.MarshalECPrivateKey(ecKey)
	//lint:ignore SA1019 an encrypted legacy PEM is the input under test.
	legacyEncrypted, err := x509.EncryptPEMBlock(rand.Reader, "RSA PRIVATE KEY", //nolint:staticcheck
		x509.MarshalPKCS1PrivateKey(id.key), []byte("pass"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	small := newTestIdentity(t, 1024)
	tests := []struct {
		name      string
		secret    []byte
		wantField string
		wantText  string
	}{
		{"encrypted PKCS#8", secretJSON(t, id, map[string]string{"privateKey": pemText("ENCRYPTED PRIVATE KEY", []byte{1, 2, 3})}),
			"privateKey", "openssl pkcs8 -topk8 -nocrypt"},
		{"encrypted PKCS#1", secretJSON(t, id, map[string]string{"privateKey": string(pem.EncodeToMemory(legacyEncrypted))}),
			"privateKey", "Proc-Type: 4,ENCRYPTED"},
		{"EC key PKCS#8", secretJSON(t, id, map[string]string{"privateKey": pemText("PRIVATE KEY", ecPKCS8), "certificate": ""}),
			"privateKey", "ECDSA key, not RSA"},
		{"EC key SEC1", secretJSON(t, id, map[string]string{"privateKey": pemText("EC PRIVATE KEY", ecSEC1), "certificate": ""}),
			"privateKey", "EC PRIVATE KEY"},
		{"1024-bit key", secretJSON(t, id, map[string]string{"privateKey": small.pkcs8PEM, "certificate": ""}),
			"privateKey", "1024 bits"},
		{"certificate of another key", secretJSON(t, id, map[string]string{"certificate": other.certPEM}),
			"certificate", "does not belong to privateKey"},
		{"certificate as key", secretJSON(t, id, map[string]string{"privateKey": id.certPEM}),
			"privateKey", `"CERTIFICATE"`},
		{"not PEM", secretJSON(t, id, map[string]string{"privateKey": "hello"}),
			"privateKey", "no PEM block"},
		{"missing fields", secretJSON(t, id, map[string]string{"instance": "", "user": ""}),
			"", "missing required fields: instance, user"},
		{"not JSON", []byte("-----BEGIN PRIVATE KEY-----"), "", "not valid JSON"},
		{"JSON array", []byte(`["a"]`), "", "not an object"},
		{"number field", []byte(`{"instance": 7}`), "instance", "JSON string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCredentials(tt.secret)
			var credsErr *CredentialsError
			if !errors.As(err, &credsErr) {
				t.Fatalf("ParseCredentials error = %v, want a *CredentialsError", err)
			}
			if credsErr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", credsErr.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
			assertNoSecret(t, err.Error(), id)
		})
	}
}

func TestMissingFieldsListOnlyNames(t *testing.T) {
	_, err := ParseCredentials([]byte(`{"clientSecret": "hunter2", "privateKey": ""}`))
	if err == nil {
		t.Fatal("ParseCredentials succeeded, want an error")
	}
	want := "ofs: credentials: the secret is missing required fields: instance, clientId, user, privateKey"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
}

func pemText(blockType string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}))
}

// assertNoSecret fails when text contains any line of the key's PEM body
// or the test client secret.
func assertNoSecret(t *testing.T, text string, id testIdentity) {
	t.Helper()
	if strings.Contains(text, "s3cr3t-client") {
		t.Errorf("text contains the client secret: %q", text)
	}
	for _, line := range strings.Split(id.pkcs8PEM, "\n") {
		if len(line) > 20 && !strings.HasPrefix(line, "-----") && strings.Contains(text, line) {
			t.Errorf("text contains a line of the private key: %q", text)
		}
	}
}
