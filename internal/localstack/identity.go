package localstack

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

const (
	// identityKeyBits is the RSA key size, the smallest that OFS and the
	// emulator accept.
	identityKeyBits = 2048
	// certificateLifetime is how long a generated certificate stays valid.
	// It only needs to outlast a test run or a demo.
	certificateLifetime = 24 * time.Hour
)

// Identity is an OFS user's signing identity: a fresh RSA key and a
// self-signed certificate for it, as uploaded to an OFS application.
type Identity struct {
	// User is the OFS login that the assertion's sub names.
	User string
	// Key is the private key.
	Key *rsa.PrivateKey
	// PrivateKeyPEM is Key as a PKCS #8 "PRIVATE KEY" block, the form the
	// secret stores.
	PrivateKeyPEM []byte
	// PKCS1PEM is Key as a PKCS #1 "RSA PRIVATE KEY" block, for tests of
	// the older form that openssl genrsa writes.
	PKCS1PEM []byte
	// CertificatePEM is the self-signed "CERTIFICATE" block.
	CertificatePEM []byte
}

// NewIdentity generates a 2048-bit RSA key for user and a certificate with
// user as its common name, valid from an hour ago until a day from now.
func NewIdentity(user string) (*Identity, error) {
	key, err := rsa.GenerateKey(rand.Reader, identityKeyBits)
	if err != nil {
		return nil, fmt.Errorf("localstack: generating an RSA key failed: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("localstack: encoding the key as PKCS #8 failed: %w", err)
	}

	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, fmt.Errorf("localstack: generating a serial number failed: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: user},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certificateLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	certDER, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("localstack: creating the certificate failed: %w", err)
	}

	pkcs1 := x509.MarshalPKCS1PrivateKey(key)
	return &Identity{
		User:           user,
		Key:            key,
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		PKCS1PEM:       pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}),
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER}),
	}, nil
}

// secretValue is the SecretString JSON that the function reads.
type secretValue struct {
	Instance     string `json:"instance"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret,omitempty"`
	User         string `json:"user"`
	PrivateKey   string `json:"privateKey"`
	Certificate  string `json:"certificate"`
}

// SecretJSON returns the secret's SecretString for this identity:
// {"instance","clientId","clientSecret","user","privateKey","certificate"},
// with the PKCS #8 key. An empty clientSecret is left out.
func (id *Identity) SecretJSON(instance, clientID, clientSecret string) []byte {
	data, err := json.Marshal(secretValue{
		Instance:     instance,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		User:         id.User,
		PrivateKey:   string(id.PrivateKeyPEM),
		Certificate:  string(id.CertificatePEM),
	})
	if err != nil {
		// A struct of strings always encodes.
		panic("localstack: encoding the secret failed: " + err.Error())
	}
	return data
}
