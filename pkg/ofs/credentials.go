package ofs

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// minKeyBits is the smallest RSA key accepted. Keys under 2048 bits are
// considered breakable and OFS's own setup guide generates 2048 or 4096.
const minKeyBits = 2048

// Credentials identify the OFS application and the user that starts chats.
type Credentials struct {
	Instance      string // environment name, such as "acme.test"
	ClientID      string // client ID from Configuration > Applications
	ClientSecret  string // optional; sent as HTTP Basic when set
	ApplicationID string // optional third part of aud; the client ID when empty
	User          string // login of the user that starts chats (the sub claim)
	PrivateKey    *rsa.PrivateKey
	Certificate   *x509.Certificate // optional; checked against PrivateKey when set
}

// secretFields is the JSON layout of the secret. The optional fields are
// left out of SecretJSON's output when empty.
type secretFields struct {
	Instance      string `json:"instance"`
	ClientID      string `json:"clientId"`
	ClientSecret  string `json:"clientSecret,omitempty"`
	ApplicationID string `json:"applicationId,omitempty"`
	User          string `json:"user"`
	PrivateKey    string `json:"privateKey"`
	Certificate   string `json:"certificate,omitempty"`
}

// ParseCredentials decodes the secret JSON
//
//	{"instance": "acme.test", "clientId": "…", "clientSecret": "…", "user": "…",
//	 "privateKey": "<PEM>", "certificate": "<PEM>"}
//
// in which clientSecret, certificate and applicationId are optional. PEM
// values whose line breaks were stored as the two characters `\n`, as CRLF or
// as spaces are repaired. A missing field, an encrypted, non-RSA or short key
// and a certificate of another key each give a *CredentialsError that
// explains how to fix the secret.
func ParseCredentials(secret []byte) (*Credentials, error) {
	var fields secretFields
	if err := json.Unmarshal(secret, &fields); err != nil {
		return nil, describeJSONError(err)
	}
	if err := checkRequired(fields); err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey([]byte(fields.PrivateKey))
	if err != nil {
		return nil, err
	}
	creds := &Credentials{
		Instance:      strings.TrimSpace(fields.Instance),
		ClientID:      strings.TrimSpace(fields.ClientID),
		ClientSecret:  fields.ClientSecret,
		ApplicationID: strings.TrimSpace(fields.ApplicationID),
		User:          strings.TrimSpace(fields.User),
		PrivateKey:    key,
	}
	if strings.TrimSpace(fields.Certificate) != "" {
		cert, err := ParseCertificate([]byte(fields.Certificate))
		if err != nil {
			return nil, err
		}
		if !key.PublicKey.Equal(cert.PublicKey) {
			return nil, &CredentialsError{Field: "certificate", Reason: "the certificate does not " +
				"belong to privateKey; store the certificate made from this key (and upload the same " +
				"one to the OFS application), or remove the certificate field"}
		}
		creds.Certificate = cert
	}
	return creds, nil
}

// describeJSONError turns a decoding error into a CredentialsError without
// quoting the secret's content.
func describeJSONError(err error) error {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return &CredentialsError{Reason: fmt.Sprintf("the secret is not valid JSON (syntax error "+
			"at byte %d); store a JSON object with the fields instance, clientId, user and "+
			"privateKey", syntaxErr.Offset)}
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return &CredentialsError{Reason: "the secret is JSON but not an object; store a JSON " +
				"object with the fields instance, clientId, user and privateKey"}
		}
		return &CredentialsError{Field: field, Reason: "must be a JSON string, not " + typeErr.Value}
	}
	return &CredentialsError{Reason: "the secret is not valid JSON"}
}

func checkRequired(fields secretFields) error {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"instance", fields.Instance},
		{"clientId", fields.ClientID},
		{"user", fields.User},
		{"privateKey", fields.PrivateKey},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return &CredentialsError{Reason: "the secret is missing required fields: " +
			strings.Join(missing, ", ")}
	}
	return nil
}

// ParsePrivateKey decodes an unencrypted RSA private key of at least 2048
// bits from PKCS#8 ("PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY") PEM.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	block, err := decodePEM("privateKey", data)
	if err != nil {
		return nil, err
	}
	fail := func(reason string) error { return &CredentialsError{Field: "privateKey", Reason: reason} }
	var key any
	switch block.Type {
	case "ENCRYPTED PRIVATE KEY":
		return nil, fail("the key is encrypted (ENCRYPTED PRIVATE KEY); store it unencrypted: " +
			"openssl pkcs8 -topk8 -nocrypt -in key.pem -out private.pem")
	case "RSA PRIVATE KEY":
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, fail("the key is encrypted (Proc-Type: 4,ENCRYPTED); store it unencrypted: " +
				"openssl pkcs8 -topk8 -nocrypt -in key.pem -out private.pem")
		}
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY":
		return nil, fail(fmt.Sprintf("the key is a %s; OFS signs with RS256, so make an RSA key: "+
			"openssl req -x509 -newkey rsa:2048 -nodes -keyout private.pem -out cert.pem -days 365", block.Type))
	default:
		return nil, fail(fmt.Sprintf("the PEM block is a %q; store the private key "+
			"(-----BEGIN PRIVATE KEY----- or -----BEGIN RSA PRIVATE KEY-----)", block.Type))
	}
	if err != nil {
		return nil, fail("the key does not parse as " + block.Type + "; store the key file " +
			"unchanged, or convert it with openssl pkcs8 -topk8 -nocrypt")
	}
	rsaKey, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, fail(fmt.Sprintf("the key is %s, not RSA; OFS signs with RS256, so make an "+
			"RSA key: openssl req -x509 -newkey rsa:2048 -nodes -keyout private.pem -out cert.pem -days 365",
			keyKind(key)))
	}
	if bits := rsaKey.N.BitLen(); bits < minKeyBits {
		return nil, fail(fmt.Sprintf("the RSA key has %d bits, fewer than %d; make a new one with "+
			"openssl req -x509 -newkey rsa:2048 -nodes -keyout private.pem -out cert.pem -days 365 "+
			"and upload its certificate to OFS", bits, minKeyBits))
	}
	return rsaKey, nil
}

// ParseCertificate decodes an X.509 certificate from PEM.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	block, err := decodePEM("certificate", data)
	if err != nil {
		return nil, err
	}
	if block.Type != "CERTIFICATE" {
		return nil, &CredentialsError{Field: "certificate", Reason: fmt.Sprintf("the PEM block "+
			"is a %q; store the certificate (-----BEGIN CERTIFICATE-----)", block.Type)}
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, &CredentialsError{Field: "certificate", Reason: "the certificate does not " +
			"parse as X.509; store cert.pem unchanged"}
	}
	return cert, nil
}

func keyKind(key any) string {
	switch key.(type) {
	case *ecdsa.PrivateKey:
		return "an ECDSA key"
	case ed25519.PrivateKey:
		return "an Ed25519 key"
	case *ecdh.PrivateKey:
		return "an ECDH key"
	}
	return fmt.Sprintf("a %T", key)
}

// pemArmor matches one PEM block whose line breaks may be lost.
var pemArmor = regexp.MustCompile(`-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----`)

// decodePEM decodes the first PEM block of data after repairing line breaks
// mangled in storage: `\n` escapes, CRLF and, as a last resort, a block
// flattened onto one line. Errors never quote the data.
func decodePEM(field string, data []byte) (*pem.Block, error) {
	text := strings.TrimSpace(string(data))
	text = strings.ReplaceAll(text, `\r\n`, "\n")
	text = strings.ReplaceAll(text, `\n`, "\n")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	if block, _ := pem.Decode([]byte(text)); block != nil {
		return block, nil
	}
	match := pemArmor.FindStringSubmatch(strings.ReplaceAll(text, "\n", " "))
	if match == nil {
		return nil, &CredentialsError{Field: field, Reason: "no PEM block found; store the file " +
			"content including its -----BEGIN and -----END lines"}
	}
	if match[1] != match[3] {
		return nil, &CredentialsError{Field: field, Reason: fmt.Sprintf("the PEM block starts as %q "+
			"but ends as %q; store the file unchanged", match[1], match[3])}
	}
	if strings.Contains(match[2], ":") {
		// Headers such as Proc-Type cannot be separated from the body once
		// the line breaks are gone.
		return nil, &CredentialsError{Field: field, Reason: "the PEM block has headers and lost " +
			"its line breaks; store the file with its line breaks, or as an unencrypted PKCS#8 key"}
	}
	body, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(match[2]), ""))
	if err != nil {
		return nil, &CredentialsError{Field: field, Reason: "the PEM body is not valid base64; " +
			"store the file unchanged"}
	}
	return &pem.Block{Type: match[1], Bytes: body}, nil
}
