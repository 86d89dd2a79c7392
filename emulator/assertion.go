package emulator

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const (
	// maxClockSkew is how far ahead of the emulator clock iat and nbf may be.
	maxClockSkew = 60 * time.Second

	// maxAssertionLifetime caps exp-iat. OFS documents no cap and only
	// recommends short lifetimes, so this is emulator policy.
	maxAssertionLifetime = 10 * time.Minute

	// minRSABits is the smallest RSA key SetCertificate accepts. OFS documents
	// no minimum, so this is emulator policy.
	minRSABits = 2048
)

// Assertion is a JWT assertion decoded from a token request. Numbers in Header
// and Claims are json.Number values.
type Assertion struct {
	Header map[string]any
	Claims map[string]any
	Raw    string // compact serialization, as sent
}

// verifyAssertion decodes raw, checks its header, signature and claims, and
// returns the subject. It returns the decoded assertion even when a check
// fails, so that the request record shows what was sent.
func (e *Emulator) verifyAssertion(raw string, now time.Time) (*Assertion, string, error) {
	a, signingInput, signature, err := decodeAssertion(raw)
	if err != nil {
		return a, "", err
	}
	if err := checkAssertionHeader(a.Header); err != nil {
		return a, "", err
	}
	key := e.certificateKey()
	if key == nil {
		return a, "", reject(http.StatusUnauthorized,
			"no certificate is uploaded for application %q, so no assertion can verify", e.cfg.ClientID)
	}
	digest := sha256.Sum256([]byte(signingInput))
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], signature) != nil {
		return a, "", reject(http.StatusUnauthorized,
			"assertion signature does not verify with the public key of the uploaded certificate")
	}
	subject, err := e.checkClaims(a.Claims, now)
	return a, subject, err
}

// decodeAssertion splits a compact JWS and decodes its header, claims and
// signature without verifying anything.
func decodeAssertion(raw string) (a *Assertion, signingInput string, signature []byte, err error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, "", nil, reject(http.StatusUnauthorized,
			"assertion is not a compact JWS: it has %d dot-separated parts, want 3", len(parts))
	}
	header, err := decodeSegment(parts[0], "assertion header")
	if err != nil {
		return nil, "", nil, err
	}
	claims, err := decodeSegment(parts[1], "assertion claims")
	if err != nil {
		return nil, "", nil, err
	}
	a = &Assertion{Header: header, Claims: claims, Raw: raw}
	signature, err = base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return a, "", nil, reject(http.StatusUnauthorized,
			"assertion signature is not unpadded base64url")
	}
	return a, parts[0] + "." + parts[1], signature, nil
}

// decodeSegment decodes one unpadded base64url JWS segment that contains a
// JSON object.
func decodeSegment(segment, name string) (map[string]any, error) {
	data, err := base64.RawURLEncoding.Strict().DecodeString(segment)
	if err != nil {
		return nil, reject(http.StatusUnauthorized, "%s is not unpadded base64url", name)
	}
	members, err := decodeObject(data, name)
	if err != nil {
		return nil, reject(http.StatusUnauthorized, "%v", err)
	}
	object := make(map[string]any, len(members))
	for key, raw := range members {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var value any
		if err := dec.Decode(&value); err != nil {
			return nil, reject(http.StatusUnauthorized, "%s member %q is not valid JSON", name, echo(key))
		}
		object[key] = value
	}
	return object, nil
}

// checkAssertionHeader requires alg RS256 and no critical extensions.
func checkAssertionHeader(header map[string]any) error {
	alg, ok := header["alg"]
	if !ok {
		return reject(http.StatusUnauthorized, `assertion header has no alg; want "RS256"`)
	}
	if s, isString := alg.(string); !isString || s != "RS256" {
		return reject(http.StatusUnauthorized, `assertion header alg is %s; want "RS256"`,
			describeValue(alg))
	}
	if _, ok := header["crit"]; ok {
		return reject(http.StatusUnauthorized,
			"assertion header has crit, but the emulator supports no critical extensions")
	}
	return nil
}

// checkClaims validates aud, sub and the time claims, and returns sub. iss is
// recorded but not checked, as OFS does.
func (e *Emulator) checkClaims(claims map[string]any, now time.Time) (string, error) {
	if err := e.checkAudience(claims["aud"]); err != nil {
		return "", err
	}
	subject, err := e.checkSubject(claims["sub"])
	if err != nil {
		return "", err
	}
	return subject, checkTimes(claims, now)
}

func (e *Emulator) checkAudience(aud any) error {
	switch v := aud.(type) {
	case nil:
		return reject(http.StatusUnauthorized, "assertion has no aud claim; want %q", e.audience)
	case []any:
		return reject(http.StatusUnauthorized,
			"assertion aud is a JSON array; OFS wants the single string %q", e.audience)
	case string:
		if v != e.audience {
			return reject(http.StatusUnauthorized, "assertion aud %q does not match %q",
				echo(v), e.audience)
		}
		return nil
	}
	return reject(http.StatusUnauthorized, "assertion aud is %s; want the string %q",
		describeValue(aud), e.audience)
}

func (e *Emulator) checkSubject(sub any) (string, error) {
	s, ok := sub.(string)
	switch {
	case sub == nil:
		return "", reject(http.StatusUnauthorized, "assertion has no sub claim; want a user login")
	case !ok:
		return "", reject(http.StatusUnauthorized, "assertion sub is %s; want a user login string",
			describeValue(sub))
	case s == "":
		return "", reject(http.StatusUnauthorized, "assertion sub is empty; want a user login")
	case s == e.audience && e.cfg.AllowAppSubject:
		return s, nil
	case s == e.audience:
		return "", reject(http.StatusUnauthorized, "assertion sub is the application identity %q, "+
			"which the emulator accepts only when Config.AllowAppSubject is set", s)
	}
	if _, known := e.user(s); !known {
		return "", reject(http.StatusUnauthorized, "assertion sub %q is not a known user login", echo(s))
	}
	return s, nil
}

// checkTimes requires integer iat and exp, an exp in the future, an iat at
// most maxClockSkew ahead, a lifetime of at most maxAssertionLifetime, and an
// nbf, when present, that has passed.
func checkTimes(claims map[string]any, now time.Time) error {
	iat, err := unixClaim(claims, "iat")
	if err != nil {
		return err
	}
	exp, err := unixClaim(claims, "exp")
	if err != nil {
		return err
	}

	nowUnix := now.Unix()
	skew := int64(maxClockSkew / time.Second)
	switch {
	case exp <= nowUnix:
		return reject(http.StatusUnauthorized, "assertion expired at %s; the emulator clock is %s",
			formatUnix(exp), formatUnix(nowUnix))
	case iat > nowUnix+skew:
		return reject(http.StatusUnauthorized,
			"assertion iat %s is %d s ahead of the emulator clock %s; at most %d s is allowed",
			formatUnix(iat), iat-nowUnix, formatUnix(nowUnix), skew)
	case exp <= iat:
		return reject(http.StatusUnauthorized, "assertion exp %s is not after iat %s",
			formatUnix(exp), formatUnix(iat))
	case exp-iat > int64(maxAssertionLifetime/time.Second):
		return reject(http.StatusUnauthorized,
			"assertion lifetime exp-iat is %d s; the emulator allows at most %d s",
			exp-iat, int64(maxAssertionLifetime/time.Second))
	}

	if _, present := claims["nbf"]; present {
		return checkNotBefore(claims, nowUnix)
	}
	return nil
}

// checkNotBefore requires an integer nbf at most maxClockSkew ahead.
func checkNotBefore(claims map[string]any, nowUnix int64) error {
	nbf, err := unixClaim(claims, "nbf")
	if err != nil {
		return err
	}
	if nbf > nowUnix+int64(maxClockSkew/time.Second) {
		return reject(http.StatusUnauthorized, "assertion is not valid before nbf %s; the emulator clock is %s",
			formatUnix(nbf), formatUnix(nowUnix))
	}
	return nil
}

// unixClaim returns a required claim that must be a JSON integer.
func unixClaim(claims map[string]any, name string) (int64, error) {
	value, ok := claims[name]
	if !ok {
		return 0, reject(http.StatusUnauthorized, "assertion has no %s claim; want integer Unix seconds", name)
	}
	number, ok := value.(json.Number)
	if !ok {
		return 0, reject(http.StatusUnauthorized, "assertion %s is %s; want integer Unix seconds",
			name, describeValue(value))
	}
	seconds, err := strconv.ParseInt(number.String(), 10, 64)
	if err != nil {
		return 0, reject(http.StatusUnauthorized, "assertion %s is %s; want integer Unix seconds",
			name, echo(number.String()))
	}
	return seconds, nil
}

func formatUnix(seconds int64) string {
	return time.Unix(seconds, 0).UTC().Format(time.RFC3339)
}

// describeValue names a decoded JSON value for an error detail: strings and
// numbers are quoted, other values are named by type.
func describeValue(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(echo(v))
	case json.Number:
		return echo(v.String())
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// parsePublicKey reads the RSA public key from a CERTIFICATE or PUBLIC KEY PEM
// block. A private key is rejected, because OFS takes only the certificate.
func parsePublicKey(data []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("emulator: no PEM block found; upload a CERTIFICATE or PUBLIC KEY PEM")
	}
	var public any
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("emulator: parsing the certificate failed: %w", err)
		}
		public = cert.PublicKey
	case "PUBLIC KEY":
		key, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("emulator: parsing the public key failed: %w", err)
		}
		public = key
	default:
		if strings.Contains(block.Type, "PRIVATE KEY") {
			return nil, fmt.Errorf("emulator: PEM block is a %s; upload the certificate, "+
				"never the private key", block.Type)
		}
		return nil, fmt.Errorf("emulator: PEM block type %q is not supported; "+
			"upload a CERTIFICATE or PUBLIC KEY PEM", block.Type)
	}
	key, ok := public.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("emulator: the uploaded key is %T; RS256 needs an RSA key", public)
	}
	if bits := key.N.BitLen(); bits < minRSABits {
		return nil, fmt.Errorf("emulator: the RSA key has %d bits; want at least %d", bits, minRSABits)
	}
	return key, nil
}
