package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

const (
	tokenPath   = "/rest/oauthTokenService/v2/token"
	tokenPathV1 = "/rest/oauthTokenService/v1/token"

	grantJWTBearer         = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	grantClientCredentials = "client_credentials"
)

// tokenFields lists the form fields that the v2 token service defines.
// NOTE: ofsc_dynamic_scope is accepted but not enforced, so tokens issued with
// it are not limited to the URLs it names, as real OFS tokens are.
var tokenFields = []string{"grant_type", "assertion", "ofsc_dynamic_scope"}

// tokenResponse is the v2 token service's success body (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
}

// handleToken serves POST /rest/oauthTokenService/v2/token.
func (e *Emulator) handleToken(ex *exchange) response {
	if ex.r.Method != http.MethodPost {
		return errorResponse(methodNotAllowed(ex.r.Method, tokenPath, http.MethodPost))
	}
	form, err := parseTokenForm(ex)
	if err != nil {
		return errorResponse(err)
	}
	now := e.cfg.Now()
	switch grant := form.Get("grant_type"); grant {
	case grantJWTBearer:
		return e.grantJWTBearer(ex, now)
	case grantClientCredentials:
		return e.grantClientCredentials(ex, now)
	case "":
		return errorResponse(reject(http.StatusBadRequest,
			"missing form field grant_type; want %q or %q", grantJWTBearer, grantClientCredentials))
	default:
		return errorResponse(reject(http.StatusBadRequest,
			"grant_type %q is not supported; want %q or %q",
			echo(grant), grantJWTBearer, grantClientCredentials))
	}
}

// parseTokenForm parses the form body into ex.form. It ignores the URL query,
// and rejects fields that the token service does not define and fields sent
// more than once.
func parseTokenForm(ex *exchange) (url.Values, error) {
	if err := checkMediaType(ex.r, "application/x-www-form-urlencoded"); err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(ex.body))
	if err != nil {
		// The parser's error quotes the body, which may contain an assertion.
		return nil, reject(http.StatusBadRequest,
			"request body is not a valid application/x-www-form-urlencoded form")
	}
	ex.form = form
	for _, name := range tokenFields {
		if n := len(form[name]); n > 1 {
			return nil, reject(http.StatusBadRequest, "form field %s appears %d times; send it once", name, n)
		}
	}
	for name := range form {
		if !slices.Contains(tokenFields, name) {
			return nil, reject(http.StatusBadRequest,
				"form field %q is not defined by the token service; send only grant_type, "+
					"assertion and ofsc_dynamic_scope", echo(name))
		}
	}
	return form, nil
}

// grantJWTBearer issues a token for a valid assertion (RFC 7523 section 2.1).
func (e *Emulator) grantJWTBearer(ex *exchange, now time.Time) response {
	if err := e.checkJWTBearerClient(ex.r); err != nil {
		return errorResponse(err)
	}
	raw := ex.form.Get("assertion")
	if raw == "" {
		return errorResponse(reject(http.StatusBadRequest,
			"missing form field assertion, which the jwt-bearer grant needs"))
	}
	assertion, subject, err := e.verifyAssertion(raw, now)
	ex.assertion = assertion
	if err != nil {
		return errorResponse(err)
	}
	return e.tokenSuccess(grantJWTBearer, subject, now)
}

// grantClientCredentials issues a token for valid Basic credentials (RFC 6749
// section 4.4). Such tokens cannot start a chat.
func (e *Emulator) grantClientCredentials(ex *exchange, now time.Time) response {
	if err := e.checkClientCredentialsClient(ex.r); err != nil {
		return errorResponse(err)
	}
	return e.tokenSuccess(grantClientCredentials, "", now)
}

func (e *Emulator) tokenSuccess(grant, subject string, now time.Time) response {
	token := e.issueToken(grant, subject, now)
	resp := jsonResponse(http.StatusOK, tokenResponse{
		AccessToken: token,
		TokenType:   "bearer",
		ExpiresIn:   int64(e.cfg.TokenTTL / time.Second),
	})
	// RFC 6749 section 5.1 requires these on responses that carry tokens.
	resp.header.Set("Cache-Control", "no-store")
	resp.header.Set("Pragma", "no-cache")
	return resp
}
