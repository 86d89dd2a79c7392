package ofs

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	// assertionBackdate moves iat into the past so that an OFS clock a little
	// behind ours still accepts the assertion.
	assertionBackdate = 30 * time.Second
	// assertionLifetime is how long after the clock read the assertion
	// expires. Oracle recommends short lifetimes, and the assertion is used once,
	// right away.
	assertionLifetime = 5 * time.Minute
)

// assertionClaims are the claims OFS reads. Audience is a plain string:
// OFS rejects the one-element array that jwt.RegisteredClaims would encode.
type assertionClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	IssuedAt  int64  `json:"iat"`
	ExpiresAt int64  `json:"exp"`
}

func (c assertionClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.ExpiresAt, 0)), nil
}

func (c assertionClaims) GetIssuedAt() (*jwt.NumericDate, error) {
	return jwt.NewNumericDate(time.Unix(c.IssuedAt, 0)), nil
}

func (c assertionClaims) GetNotBefore() (*jwt.NumericDate, error) { return nil, nil }
func (c assertionClaims) GetIssuer() (string, error)              { return c.Issuer, nil }
func (c assertionClaims) GetSubject() (string, error)             { return c.Subject, nil }
func (c assertionClaims) GetAudience() (jwt.ClaimStrings, error) {
	return jwt.ClaimStrings{c.Audience}, nil
}

// Audience returns the aud claim OFS expects: "ofsc:<instance>:<app id>",
// where the app id is the client ID unless ApplicationID is set.
func (c *Credentials) Audience() string {
	app := c.ApplicationID
	if app == "" {
		app = c.ClientID
	}
	return "ofsc:" + c.Instance + ":" + app
}

// MintAssertion signs a fresh RS256 assertion for the token exchange. Its
// iat is backdated by 30 s for clock skew and it expires 5 min after now;
// both come from the single time value now. The header carries x5t when a
// certificate is known; OFS does not need it, other Oracle services do.
func MintAssertion(creds *Credentials, issuer string, now time.Time) (string, error) {
	claims := assertionClaims{
		Issuer:    issuer,
		Subject:   creds.User,
		Audience:  creds.Audience(),
		IssuedAt:  now.Add(-assertionBackdate).Unix(),
		ExpiresAt: now.Add(assertionLifetime).Unix(),
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	if creds.Certificate != nil {
		thumbprint := sha1.Sum(creds.Certificate.Raw)
		token.Header["x5t"] = base64.RawURLEncoding.EncodeToString(thumbprint[:])
	}
	signed, err := token.SignedString(creds.PrivateKey)
	if err != nil {
		return "", fmt.Errorf("ofs: signing the assertion failed: %w", err)
	}
	return signed, nil
}
