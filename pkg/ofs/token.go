package ofs

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	// jwtBearerGrant is the RFC 7523 grant type for an assertion exchange.
	jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// tokenRenewMargin is how long before expiry a cached token is renewed,
	// so that a token never expires between the check and OFS reading it.
	// Tokens shorter than twice the margin are renewed at half their life.
	tokenRenewMargin = 2 * time.Minute
	// fallbackTokenLifetime is assumed when a token response has no usable
	// expires_in. It is short so that a wrong guess costs one extra exchange.
	fallbackTokenLifetime = time.Minute
	// tokenFetchTimeout bounds a shared token exchange started by a caller
	// whose context has no deadline.
	tokenFetchTimeout = 30 * time.Second
)

// cachedToken is an access token with its type and lifetime from the token
// service, and the time from which it is renewed.
type cachedToken struct {
	value     string
	tokenType string        // token_type as sent, such as "bearer"
	lifetime  time.Duration // expires_in, or fallbackTokenLifetime
	expiresAt time.Time
	renewAt   time.Time
}

// tokenResponse is the token service's success body.
type tokenResponse struct {
	AccessToken string          `json:"access_token"`
	TokenType   string          `json:"token_type"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
}

// accessToken returns the cached token or exchanges a new assertion for
// one. Concurrent callers share one exchange; each stops waiting when its
// own context ends, while the exchange goes on for the others.
func (c *Client) accessToken(ctx context.Context) (string, error) {
	token, err := c.currentToken(ctx)
	return token.value, err
}

// currentToken is accessToken with the token's type and expiry.
func (c *Client) currentToken(ctx context.Context) (cachedToken, error) {
	c.mu.Lock()
	cached := c.token
	c.mu.Unlock()
	if cached.value != "" && c.now().Before(cached.renewAt) {
		return cached, nil
	}
	results := c.inflight.DoChan("token", func() (any, error) {
		fetchCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), fetchDeadline(ctx))
		defer cancel()
		return retry(fetchCtx, c, EndpointToken, func() (cachedToken, error) {
			return c.exchange(fetchCtx)
		})
	})
	select {
	case <-ctx.Done():
		return cachedToken{}, c.waitError(ctx.Err())
	case result := <-results:
		if result.Err != nil {
			if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
				// The exchange shares this caller's deadline and may see it
				// pass before ctx's own timer fires. Report the caller's side.
				return cachedToken{}, c.waitError(context.DeadlineExceeded)
			}
			return cachedToken{}, result.Err
		}
		return result.Val.(cachedToken), nil
	}
}

func (c *Client) waitError(cause error) error {
	return &NetworkError{Endpoint: EndpointToken, URL: c.tokenURL(),
		Err: fmt.Errorf("gave up waiting for the access token: %w", cause)}
}

// fetchDeadline is when a shared exchange started for ctx gives up: at
// ctx's deadline, which callers in one invocation share, or after
// tokenFetchTimeout. A cancelled ctx does not end the exchange, because
// other callers may be waiting for it.
func fetchDeadline(ctx context.Context) time.Time {
	if deadline, ok := ctx.Deadline(); ok {
		return deadline
	}
	return time.Now().Add(tokenFetchTimeout)
}

// dropToken clears the cached token if it is the rejected one, so that the
// next call exchanges a new assertion. A newer token is kept.
func (c *Client) dropToken(rejected string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token.value == rejected {
		c.token = cachedToken{}
	}
}

func (c *Client) tokenURL() string { return c.baseURL + "/rest/oauthTokenService/v2/token" }

// exchange mints an assertion, trades it for an access token and caches it.
func (c *Client) exchange(ctx context.Context) (cachedToken, error) {
	traceFrom(ctx).TokenRequests.Add(1)
	now := c.now()
	assertion, err := MintAssertion(c.creds, c.issuer, now)
	if err != nil {
		return cachedToken{}, err
	}
	form := url.Values{"grant_type": {jwtBearerGrant}, "assertion": {assertion}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.tokenURL(),
		strings.NewReader(form.Encode()))
	if err != nil {
		return cachedToken{}, fmt.Errorf("ofs: building the token request failed: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if c.creds.ClientSecret != "" {
		// SetBasicAuth does not URL-escape, so the @ stays literal as OFS expects.
		req.SetBasicAuth(c.creds.ClientID+"@"+c.creds.Instance, c.creds.ClientSecret)
	}
	resp, err := c.send(ctx, EndpointToken, req)
	if err != nil {
		return cachedToken{}, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(EndpointToken, resp.Response, resp.body, c.now())
		if apiErr.Rejected() {
			apiErr.Hint = fmt.Sprintf("check that the certificate of this key is uploaded to "+
				"the OFS application %q with JWT assertion enabled, that %q is an active user, "+
				"and the client secret", c.creds.ClientID, c.creds.User)
		}
		return cachedToken{}, apiErr
	}
	token, err := parseTokenResponse(resp.body)
	if err != nil {
		err.(*TokenResponseError).URL = c.tokenURL()
		return cachedToken{}, err
	}
	token.expiresAt = now.Add(token.lifetime)
	token.renewAt = now.Add(token.lifetime - renewMargin(token.lifetime))
	c.mu.Lock()
	c.token = token
	c.mu.Unlock()
	return token, nil
}

// parseTokenResponse checks a successful body and returns the token, its
// type and its lifetime. Its errors are *TokenResponseError and never quote
// the body, which may hold a token.
func parseTokenResponse(body []byte) (cachedToken, error) {
	var parsed tokenResponse
	if err := json.Unmarshal(body, &parsed); err != nil {
		return cachedToken{}, &TokenResponseError{Malformed: true,
			Reason: fmt.Sprintf("the body is not the expected JSON object (%d bytes)", len(body))}
	}
	if parsed.AccessToken == "" {
		return cachedToken{}, &TokenResponseError{Reason: "the body has no access_token"}
	}
	if !strings.EqualFold(parsed.TokenType, "bearer") {
		return cachedToken{}, &TokenResponseError{Reason: fmt.Sprintf("token_type is %q, want bearer",
			quoteText(parsed.TokenType))}
	}
	return cachedToken{value: parsed.AccessToken, tokenType: parsed.TokenType,
		lifetime: parseExpiresIn(parsed.ExpiresIn)}, nil
}

// parseExpiresIn reads expires_in as a number or a numeric string. A
// missing, non-positive or malformed value gives fallbackTokenLifetime.
func parseExpiresIn(raw json.RawMessage) time.Duration {
	text := strings.Trim(string(raw), `"`)
	seconds, err := strconv.ParseFloat(text, 64)
	if err != nil || seconds <= 0 || seconds > 365*24*3600 {
		return fallbackTokenLifetime
	}
	return time.Duration(seconds * float64(time.Second))
}

func renewMargin(lifetime time.Duration) time.Duration {
	if lifetime < 2*tokenRenewMargin {
		return lifetime / 2
	}
	return tokenRenewMargin
}
