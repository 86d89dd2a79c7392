package ofs

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// SecretFieldNames returns the names of the secret JSON members that
// ParseCredentials reads, in the order SecretJSON writes them.
func SecretFieldNames() []string {
	return []string{"instance", "clientId", "clientSecret", "applicationId", "user",
		"privateKey", "certificate"}
}

// SecretJSON encodes c as the secret JSON that ParseCredentials reads. The
// key is written as unencrypted PKCS#8 PEM and the certificate as PEM when
// set. Empty clientSecret, applicationId and certificate are left out.
// SecretJSON does not check c; parse the result with ParseCredentials to
// find a missing field or a certificate of another key.
func (c *Credentials) SecretJSON() ([]byte, error) {
	if c == nil || c.PrivateKey == nil {
		return nil, errors.New("ofs: SecretJSON needs credentials with a private key")
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("ofs: encoding the key as PKCS#8 failed: %w", err)
	}
	fields := secretFields{
		Instance:      c.Instance,
		ClientID:      c.ClientID,
		ClientSecret:  c.ClientSecret,
		ApplicationID: c.ApplicationID,
		User:          c.User,
		PrivateKey:    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
	}
	if c.Certificate != nil {
		fields.Certificate = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate.Raw}))
	}
	data, err := json.Marshal(fields)
	if err != nil {
		return nil, fmt.Errorf("ofs: encoding the secret failed: %w", err)
	}
	return data, nil
}
