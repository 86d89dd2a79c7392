package ofs

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"strings"
	"testing"
	"time"
)

func TestGenerateIdentityParses(t *testing.T) {
	id, err := GenerateIdentity(2048, "ofs-startchat", 365*24*time.Hour)
	if err != nil {
		t.Fatalf("GenerateIdentity: %v", err)
	}
	key, err := ParsePrivateKey(id.PrivateKeyPEM)
	if err != nil {
		t.Fatalf("ParsePrivateKey(PrivateKeyPEM): %v", err)
	}
	if !key.Equal(id.Key) {
		t.Error("PrivateKeyPEM does not contain Key")
	}
	if block, _ := pem.Decode(id.PrivateKeyPEM); block == nil || block.Type != "PRIVATE KEY" {
		t.Errorf("PrivateKeyPEM is not a PKCS#8 PRIVATE KEY block")
	}
	cert, err := ParseCertificate(id.CertificatePEM)
	if err != nil {
		t.Fatalf("ParseCertificate(CertificatePEM): %v", err)
	}
	if !cert.Equal(id.Certificate) {
		t.Error("CertificatePEM does not contain Certificate")
	}
	if !id.Key.PublicKey.Equal(cert.PublicKey) {
		t.Error("the certificate is not for Key")
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("the certificate is not self-signed: %v", err)
	}
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
	if cert.Subject.CommonName != "ofs-startchat" {
		t.Errorf("subject CN = %q, want ofs-startchat", cert.Subject.CommonName)
	}
	if bits := id.Key.N.BitLen(); bits != 2048 {
		t.Errorf("key size = %d bits, want 2048", bits)
	}
	wantExpiry := time.Now().Add(365 * 24 * time.Hour)
	if diff := cert.NotAfter.Sub(wantExpiry); diff < -time.Minute || diff > time.Minute {
		t.Errorf("NotAfter = %v, want about %v", cert.NotAfter, wantExpiry)
	}
	if !cert.NotBefore.Before(time.Now().Add(-59 * time.Minute)) {
		t.Errorf("NotBefore = %v, want about an hour ago", cert.NotBefore)
	}

	secret := secretJSON(t, testIdentity{pkcs8PEM: string(id.PrivateKeyPEM), certPEM: string(id.CertificatePEM)}, nil)
	if _, err := ParseCredentials(secret); err != nil {
		t.Errorf("ParseCredentials of a generated identity: %v", err)
	}
}

func TestGenerateIdentitySerialsDiffer(t *testing.T) {
	first, err := GenerateIdentity(2048, "a", time.Hour)
	if err != nil {
		t.Fatalf("GenerateIdentity: %v", err)
	}
	second, err := GenerateIdentity(2048, "a", time.Hour)
	if err != nil {
		t.Fatalf("GenerateIdentity: %v", err)
	}
	if first.Certificate.SerialNumber.Cmp(second.Certificate.SerialNumber) == 0 {
		t.Error("two certificates have the same serial number")
	}
	if first.Certificate.SerialNumber.Sign() <= 0 {
		t.Errorf("serial number %v is not positive", first.Certificate.SerialNumber)
	}
}

func TestGenerateIdentityRejectsInput(t *testing.T) {
	tests := []struct {
		name     string
		bits     int
		subject  string
		validity time.Duration
		wantErr  string
	}{
		{"1024 bits", 1024, "a", time.Hour, "use 2048, 3072 or 4096"},
		{"odd size", 2047, "a", time.Hour, "use 2048, 3072 or 4096"},
		{"zero validity", 2048, "a", 0, "not positive"},
		{"negative validity", 2048, "a", -time.Hour, "not positive"},
		{"empty subject", 2048, "  ", time.Hour, "subject is empty"},
		{"unknown attribute", 2048, "/CN=a/E=x", time.Hour, `attribute "E" is not supported`},
		{"no equals sign", 2048, "/CN=a/Acme", time.Hour, `part "Acme" is not TYPE=value`},
		{"empty value", 2048, "/CN=", time.Hour, "is not TYPE=value"},
		{"no common name", 2048, "/O=Acme", time.Hour, "has no CN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := GenerateIdentity(tt.bits, tt.subject, tt.validity)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("GenerateIdentity(%d, %q, %v) = %v, want an error containing %q",
					tt.bits, tt.subject, tt.validity, err, tt.wantErr)
			}
		})
	}
}

func TestParseSubjectForms(t *testing.T) {
	tests := []struct {
		subject string
		want    string // the pkix.Name as JSON of the fields set
	}{
		{"ofs-startchat", `{"CN":"ofs-startchat"}`},
		{"Acme dispatch / EU", `{"CN":"Acme dispatch / EU"}`},
		{"/CN=ofs-startchat/O=Acme/OU=Field/L=Austin/ST=TX/C=US",
			`{"CN":"ofs-startchat","O":["Acme"],"OU":["Field"],"L":["Austin"],"ST":["TX"],"C":["US"]}`},
		{`/CN=a\/b/O=Acme`, `{"CN":"a/b","O":["Acme"]}`},
		{"/CN= spaced /O=A/O=B", `{"CN":"spaced","O":["A","B"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.subject, func(t *testing.T) {
			name, err := ParseSubject(tt.subject)
			if err != nil {
				t.Fatalf("ParseSubject(%q): %v", tt.subject, err)
			}
			got := map[string]any{"CN": name.CommonName}
			for attribute, values := range map[string][]string{"O": name.Organization,
				"OU": name.OrganizationalUnit, "L": name.Locality, "ST": name.Province, "C": name.Country} {
				if len(values) > 0 {
					got[attribute] = values
				}
			}
			var want map[string]any
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			gotJSON, _ := json.Marshal(got)
			wantJSON, _ := json.Marshal(want)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("ParseSubject(%q) = %s, want %s", tt.subject, gotJSON, wantJSON)
			}
		})
	}
}
