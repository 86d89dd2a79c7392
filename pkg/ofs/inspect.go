package ofs

import (
	"context"
	"fmt"
	"time"
)

// TokenInfo describes an access token from the OFS token service.
type TokenInfo struct {
	// Type is token_type as OFS sent it. The client accepts only bearer, in
	// any letter case.
	Type string
	// Lifetime is expires_in. When the response had no usable expires_in,
	// it is one minute, the lifetime the client then assumes.
	Lifetime time.Duration
	// ExpiresAt is the client's clock at the exchange plus Lifetime.
	ExpiresAt time.Time
	// AccessToken is the token itself. It is a credential, so String, and
	// with it the %v and %s verbs, leave it out.
	AccessToken string
}

// String describes the token without its value, such as
// "bearer token, expires in 1h0m0s at 2026-01-01 01:00:00 UTC".
func (t TokenInfo) String() string {
	return fmt.Sprintf("%s token, expires in %v at %s", t.Type, t.Lifetime,
		t.ExpiresAt.UTC().Format("2006-01-02 15:04:05 MST"))
}

// Token returns the access token that StartChat would use: the cached one
// while it is fresh, else a new one from an assertion exchange, which is
// then cached. Its errors are those of StartChat's token step, such as an
// *APIError or a *NetworkError. It starts no chat.
func (c *Client) Token(ctx context.Context) (TokenInfo, error) {
	token, err := c.currentToken(ctx)
	if err != nil {
		return TokenInfo{}, err
	}
	return TokenInfo{
		Type:        token.tokenType,
		Lifetime:    token.lifetime,
		ExpiresAt:   token.expiresAt,
		AccessToken: token.value,
	}, nil
}
