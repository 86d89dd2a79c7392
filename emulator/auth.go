package emulator

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"time"
)

// issuedToken is the grant, subject and expiry of an access token that the
// emulator issued.
type issuedToken struct {
	grant   string // grantJWTBearer or grantClientCredentials
	subject string // assertion sub; empty for client_credentials
	expiry  time.Time
}

// issueToken stores a new opaque access token and returns it.
func (e *Emulator) issueToken(grant, subject string, now time.Time) string {
	token := rand.Text()
	expiry := now.Add(e.cfg.TokenTTL)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens[token] = issuedToken{grant: grant, subject: subject, expiry: expiry}
	return token
}

// authorizationValue returns the single Authorization header value, or ""
// when there is none.
func authorizationValue(r *http.Request) (string, error) {
	values := r.Header.Values("Authorization")
	switch len(values) {
	case 0:
		return "", nil
	case 1:
		return values[0], nil
	}
	return "", reject(http.StatusUnauthorized, "request has %d Authorization headers; send one",
		len(values))
}

// splitAuthorization splits an Authorization value into its scheme and
// credentials. It lowercases the scheme, because schemes are matched
// case-insensitively, as net/http does for Basic.
func splitAuthorization(value string) (scheme, credentials string) {
	scheme, credentials, _ = strings.Cut(strings.TrimSpace(value), " ")
	return strings.ToLower(scheme), strings.TrimSpace(credentials)
}

// checkJWTBearerClient applies the BasicPolicy to a jwt-bearer token request.
func (e *Emulator) checkJWTBearerClient(r *http.Request) error {
	value, err := authorizationValue(r)
	if err != nil {
		return err
	}
	policy := e.cfg.Basic
	required := policy == BasicRequired || (policy == BasicOptional && e.cfg.ClientSecret != "")
	switch {
	case value != "" && policy == BasicForbidden:
		return reject(http.StatusUnauthorized,
			"Basic authorization is not accepted with the jwt-bearer grant (emulator policy BasicForbidden)")
	case value == "" && required:
		return reject(http.StatusUnauthorized,
			"missing Basic authorization; the application has a client secret, so send Basic %s:<secret>",
			e.basicUsername())
	case value == "":
		return nil
	}
	return e.verifyBasic(value)
}

// checkClientCredentialsClient requires valid Basic credentials, which the
// client_credentials grant needs under every BasicPolicy.
func (e *Emulator) checkClientCredentialsClient(r *http.Request) error {
	value, err := authorizationValue(r)
	if err != nil {
		return err
	}
	if value == "" {
		return reject(http.StatusUnauthorized,
			"missing Basic authorization; the client_credentials grant needs Basic %s:<secret>",
			e.basicUsername())
	}
	return e.verifyBasic(value)
}

// verifyBasic checks that an Authorization value is Basic with exactly
// "<clientId>@<instance>:<secret>". Details never quote the credentials,
// because a client that swaps username and password would see its secret.
func (e *Emulator) verifyBasic(value string) error {
	scheme, credentials := splitAuthorization(value)
	if scheme != "basic" {
		return reject(http.StatusUnauthorized,
			"Authorization scheme %q is not accepted by the token endpoint; use Basic", echo(scheme))
	}
	decoded, err := base64.StdEncoding.DecodeString(credentials)
	if err != nil {
		return reject(http.StatusUnauthorized, "Basic credentials are not valid base64")
	}
	username, password, found := strings.Cut(string(decoded), ":")
	want := e.basicUsername()
	switch {
	case !found:
		return reject(http.StatusUnauthorized,
			"Basic credentials have no ':' between username and password")
	case strings.Contains(strings.ToLower(username), "%40"):
		return reject(http.StatusUnauthorized,
			"Basic username is URL-escaped (it contains %%40); send a literal @, as in %q", want)
	case !strings.Contains(username, "@"):
		return reject(http.StatusUnauthorized,
			"Basic username has no @<instance>; want %q", want)
	case username != want:
		return reject(http.StatusUnauthorized, "Basic username does not match %q", want)
	case e.cfg.ClientSecret == "":
		return reject(http.StatusUnauthorized,
			"Basic credentials were sent, but application %q has no client secret", e.cfg.ClientID)
	case subtle.ConstantTimeCompare([]byte(password), []byte(e.cfg.ClientSecret)) != 1:
		return reject(http.StatusUnauthorized, "Basic password does not match the client secret of %q",
			e.cfg.ClientID)
	}
	return nil
}

func (e *Emulator) basicUsername() string {
	return e.cfg.ClientID + "@" + e.cfg.Instance
}

// authorizeBearer returns the issued token that the request's Bearer
// credentials name. Starting a chat needs a live token from the jwt-bearer
// grant; Basic credentials and client_credentials tokens are rejected, as
// Oracle Support documents for "Start a new chat".
func (e *Emulator) authorizeBearer(r *http.Request, now time.Time) (issuedToken, error) {
	value, err := authorizationValue(r)
	if err != nil {
		return issuedToken{}, err
	}
	scheme, credentials := splitAuthorization(value)
	switch {
	case value == "":
		return issuedToken{}, reject(http.StatusUnauthorized,
			"missing Authorization header; send Bearer <access_token> from the jwt-bearer grant")
	case scheme == "basic":
		return issuedToken{}, reject(http.StatusUnauthorized,
			"Basic authorization cannot start a chat; send a Bearer token from the jwt-bearer grant")
	case scheme != "bearer":
		return issuedToken{}, reject(http.StatusUnauthorized,
			"Authorization scheme %q is not supported; use Bearer", echo(scheme))
	case credentials == "":
		return issuedToken{}, reject(http.StatusUnauthorized, "Bearer token is empty")
	}
	e.mu.Lock()
	token, known := e.tokens[credentials]
	e.mu.Unlock()
	switch {
	case !known:
		return issuedToken{}, reject(http.StatusUnauthorized,
			"Bearer token is unknown: the emulator did not issue it, or Reset cleared it")
	case !now.Before(token.expiry):
		return issuedToken{}, reject(http.StatusUnauthorized,
			"Bearer token expired at %s; the emulator clock is %s",
			token.expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	case token.grant != grantJWTBearer:
		return issuedToken{}, reject(http.StatusUnauthorized,
			"Bearer token came from the client_credentials grant; "+
				"starting a chat needs a token from the jwt-bearer grant")
	}
	return token, nil
}
