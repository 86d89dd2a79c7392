package localstack

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
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
// user as its common name, valid from an hour ago until a day from now. It
// uses ofs.GenerateIdentity, so user must be a valid common name there.
func NewIdentity(user string) (*Identity, error) {
	generated, err := ofs.GenerateIdentity(identityKeyBits, user, certificateLifetime)
	if err != nil {
		return nil, fmt.Errorf("localstack: %w", err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(generated.Key)
	return &Identity{
		User:           user,
		Key:            generated.Key,
		PrivateKeyPEM:  generated.PrivateKeyPEM,
		PKCS1PEM:       pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: pkcs1}),
		CertificatePEM: generated.CertificatePEM,
	}, nil
}

// SecretJSON returns the secret's SecretString for this identity:
// {"instance","clientId","clientSecret","user","privateKey","certificate"},
// with the PKCS #8 key, as ofs.Credentials.SecretJSON encodes it. An empty
// clientSecret is left out.
func (id *Identity) SecretJSON(instance, clientID, clientSecret string) []byte {
	creds := &ofs.Credentials{
		Instance:     instance,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		User:         id.User,
		PrivateKey:   id.Key,
	}
	if block, _ := pem.Decode(id.CertificatePEM); block != nil {
		// A certificate that does not parse is left out of the secret.
		creds.Certificate, _ = x509.ParseCertificate(block.Bytes)
	}
	data, err := creds.SecretJSON()
	if err != nil {
		// Only a missing key fails, and every Identity has one.
		panic("localstack: encoding the secret failed: " + err.Error())
	}
	return data
}
