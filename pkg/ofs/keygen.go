package ofs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// certificateBackdate moves a generated certificate's NotBefore into the
// past, so that a verifier whose clock is a little behind ours accepts it.
const certificateBackdate = time.Hour

// Identity is a generated signing identity: an RSA key and a self-signed
// certificate for it, in the forms the secret and the OFS application take.
type Identity struct {
	Key         *rsa.PrivateKey
	Certificate *x509.Certificate
	// PrivateKeyPEM is Key as an unencrypted PKCS#8 "PRIVATE KEY" block, the
	// form the secret's privateKey field stores.
	PrivateKeyPEM []byte
	// CertificatePEM is the "CERTIFICATE" block to upload to the OFS
	// application and to store as the secret's certificate field.
	CertificatePEM []byte
}

// GenerateIdentity generates an RSA key of bits bits (2048, 3072 or 4096)
// and a self-signed SHA-256 certificate for it. The certificate is valid from
// one hour before now until validity after now. subject is read by
// ParseSubject.
func GenerateIdentity(bits int, subject string, validity time.Duration) (*Identity, error) {
	if bits != 2048 && bits != 3072 && bits != 4096 {
		return nil, fmt.Errorf("ofs: key size %d bits is not supported; use 2048, 3072 or 4096", bits)
	}
	if validity <= 0 {
		return nil, fmt.Errorf("ofs: certificate validity %v is not positive", validity)
	}
	name, err := ParseSubject(subject)
	if err != nil {
		return nil, err
	}

	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("ofs: generating an RSA key failed: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("ofs: encoding the key as PKCS#8 failed: %w", err)
	}

	// RFC 5280 allows serial numbers of up to 20 octets. 127 random bits
	// keep the number positive and well inside that.
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("ofs: generating a serial number failed: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             now.Add(-certificateBackdate),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("ofs: creating the certificate failed: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("ofs: reading back the new certificate failed: %w", err)
	}

	return &Identity{
		Key:            key,
		Certificate:    cert,
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

// ParseSubject reads a certificate subject: either a common name, such as
// "ofs-startchat", or a distinguished name in the openssl form
// "/CN=ofs-startchat/O=Acme/C=US". The attributes may be CN (required), O,
// OU, L, ST and C, and a value may escape a "/" as "\/".
func ParseSubject(subject string) (pkix.Name, error) {
	subject = strings.TrimSpace(subject)
	if subject == "" {
		return pkix.Name{}, errors.New("ofs: certificate subject is empty; use a common name " +
			"such as ofs-startchat, or a name such as /CN=ofs-startchat/O=Acme")
	}
	if !strings.HasPrefix(subject, "/") {
		return pkix.Name{CommonName: subject}, nil
	}
	var name pkix.Name
	for _, part := range splitEscaped(subject[1:]) {
		attribute, value, found := strings.Cut(part, "=")
		value = strings.TrimSpace(value)
		if !found || value == "" {
			return pkix.Name{}, fmt.Errorf("ofs: certificate subject part %q is not TYPE=value; "+
				"use the form /CN=ofs-startchat/O=Acme", part)
		}
		switch strings.TrimSpace(attribute) {
		case "CN":
			name.CommonName = value
		case "O":
			name.Organization = append(name.Organization, value)
		case "OU":
			name.OrganizationalUnit = append(name.OrganizationalUnit, value)
		case "L":
			name.Locality = append(name.Locality, value)
		case "ST":
			name.Province = append(name.Province, value)
		case "C":
			name.Country = append(name.Country, value)
		default:
			return pkix.Name{}, fmt.Errorf("ofs: certificate subject attribute %q is not "+
				"supported; use CN, O, OU, L, ST or C", attribute)
		}
	}
	if name.CommonName == "" {
		return pkix.Name{}, fmt.Errorf("ofs: certificate subject %q has no CN; add /CN=NAME", subject)
	}
	return name, nil
}

// splitEscaped splits s at every "/" that no backslash escapes, and removes
// the escaping backslashes.
func splitEscaped(s string) []string {
	var parts []string
	var current strings.Builder
	escaped := false
	for _, r := range s {
		switch {
		case escaped:
			current.WriteRune(r)
			escaped = false
		case r == '\\':
			escaped = true
		case r == '/':
			parts = append(parts, current.String())
			current.Reset()
		default:
			current.WriteRune(r)
		}
	}
	return append(parts, current.String())
}
