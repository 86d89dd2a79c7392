package ofs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"sync"
	"testing"
	"time"
)

// testIdentity is an RSA key with its self-signed certificate, generated
// once per test binary because RSA key generation is slow.
type testIdentity struct {
	key      *rsa.PrivateKey
	pkcs8PEM string
	pkcs1PEM string
	certPEM  string
}

var (
	identityOnce sync.Once
	identities   [2]testIdentity
)

// testIdentities returns two distinct identities.
func testIdentities(t *testing.T) (testIdentity, testIdentity) {
	t.Helper()
	identityOnce.Do(func() {
		for i := range identities {
			identities[i] = newTestIdentity(t, 2048)
		}
	})
	return identities[0], identities[1]
}

func newTestIdentity(t *testing.T, bits int) testIdentity {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatalf("generating an RSA key: %v", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("encoding PKCS#8: %v", err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "startchat"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(365 * 24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating a certificate: %v", err)
	}
	return testIdentity{
		key:      key,
		pkcs8PEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		pkcs1PEM: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		certPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
	}
}

// secretJSON returns the secret for id with fields overridden by extra;
// an empty value in extra removes the field.
func secretJSON(t *testing.T, id testIdentity, extra map[string]string) []byte {
	t.Helper()
	fields := map[string]string{
		"instance":     "acme.test",
		"clientId":     "startchat",
		"clientSecret": "s3cr3t-client",
		"user":         "dispatcher1",
		"privateKey":   id.pkcs8PEM,
		"certificate":  id.certPEM,
	}
	for k, v := range extra {
		if v == "" {
			delete(fields, k)
		} else {
			fields[k] = v
		}
	}
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatalf("encoding the secret: %v", err)
	}
	return data
}
