package ofs

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecodePEM feeds arbitrary secret values to the PEM repair and key
// parsing: they must never panic, and every failure must be a
// *CredentialsError that explains how to fix the secret.
func FuzzDecodePEM(f *testing.F) {
	f.Add("-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END PRIVATE KEY-----")
	f.Add("-----BEGIN RSA PRIVATE KEY----- Proc-Type: 4,ENCRYPTED -----END RSA PRIVATE KEY-----")
	f.Add("-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n")
	f.Add("-----BEGIN PRIVATE KEY-----!!!-----END PUBLIC KEY-----")
	f.Fuzz(func(t *testing.T, value string) {
		if _, err := ParsePrivateKey([]byte(value)); err != nil {
			var credsErr *CredentialsError
			if !errors.As(err, &credsErr) || credsErr.Reason == "" {
				t.Fatalf("ParsePrivateKey error = %v, want a *CredentialsError with a reason", err)
			}
		}
		if _, err := ParseCertificate([]byte(value)); err != nil {
			var credsErr *CredentialsError
			if !errors.As(err, &credsErr) {
				t.Fatalf("ParseCertificate error = %v, want a *CredentialsError", err)
			}
		}
	})
}

// FuzzParseTokenResponse feeds arbitrary bodies to the token response
// parser: a success has a token and a positive lifetime, and an error never
// quotes the body's access_token.
func FuzzParseTokenResponse(f *testing.F) {
	f.Add(`{"access_token":"abc","token_type":"bearer","expires_in":3600}`)
	f.Add(`{"access_token":"abc","token_type":"Bearer","expires_in":"60"}`)
	f.Add(`{"access_token":"abc","token_type":"mac"}`)
	f.Add(`<html>proxy</html>`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		token, err := parseTokenResponse([]byte(body))
		if err != nil {
			var responseErr *TokenResponseError
			if !errors.As(err, &responseErr) {
				t.Fatalf("error = %v, want a *TokenResponseError", err)
			}
			return
		}
		if token.value == "" || token.lifetime <= 0 {
			t.Fatalf("parseTokenResponse(%q) = %+v, want a token and a positive lifetime", body, token)
		}
	})
}

// FuzzNewAPIError feeds arbitrary error bodies and Retry-After values to
// the OFS error parser: the message stays bounded and never contains a
// JWT, and the wait is never negative.
func FuzzNewAPIError(f *testing.F) {
	f.Add(401, `{"type":"about:blank","title":"Unauthorized","status":"401","detail":"bad aud"}`, "")
	f.Add(400, `{"error":"invalid_grant","error_description":"expired"}`, "")
	f.Add(503, `<html><body>maintenance</body></html>`, "120")
	f.Add(429, `{"title":"Too Many Requests","status":429}`, "Thu, 01 Jan 2026 00:00:42 GMT")
	f.Add(401, `{"title":"x","detail":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}`, "99999999999999999999")
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, body, retryAfter string) {
		resp := &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {retryAfter}}}
		e := newAPIError(EndpointToken, resp, []byte(body), now)
		msg := e.Error()
		if len(msg) > 2000 {
			t.Fatalf("len(Error()) = %d, want a bounded message", len(msg))
		}
		if strings.Contains(msg, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln") {
			t.Fatalf("Error() = %q quotes a JWT", msg)
		}
		if e.RetryAfter < 0 || e.RetryAfter > maxRetryAfter {
			t.Fatalf("RetryAfter = %v, want within [0, %v]", e.RetryAfter, maxRetryAfter)
		}
	})
}
