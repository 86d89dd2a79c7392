package ofs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Endpoint names the OFS call that failed.
type Endpoint string

const (
	EndpointToken Endpoint = "token"
	EndpointChat  Endpoint = "chat"
)

// maxQuotedBody is the longest prefix of an unparsable error body kept in an
// APIError, so a proxy's HTML page cannot flood a log line.
const maxQuotedBody = 200

// InputError reports a chat request that OFS would reject. Sending it again
// unchanged cannot help.
type InputError struct {
	Field  string // JSON name of the offending field, such as "text" or "recipients[1]"
	Reason string // what is wrong and how to fix it
}

func (e *InputError) Error() string {
	return fmt.Sprintf("ofs: invalid chat request: %s: %s", e.Field, e.Reason)
}

// CredentialsError reports OFS credentials that cannot work, such as a
// missing secret field or an encrypted private key.
type CredentialsError struct {
	Field  string // secret field, such as "privateKey"; empty for the whole secret
	Reason string // what is wrong and how to fix it
}

func (e *CredentialsError) Error() string {
	if e.Field == "" {
		return "ofs: credentials: " + e.Reason
	}
	return fmt.Sprintf("ofs: credentials: %s: %s", e.Field, e.Reason)
}

// APIError is an unsuccessful HTTP response from the token service or the chat
// API. The fields mirror OFS's Error model; OAuthError and OAuthDescription
// hold the RFC 6749 shape when OFS responds with it instead.
type APIError struct {
	Endpoint   Endpoint
	StatusCode int
	Type       string
	Title      string
	Status     string // OFS sends the status as a string; a number is accepted too
	Detail     string
	ErrorCode  string // "o:errorCode", present in some OFS error variants
	// OAuthError and OAuthDescription hold the RFC 6749 error fields.
	OAuthError       string
	OAuthDescription string
	// Body is a short prefix of a body that matched neither shape.
	Body string
	// RetryAfter is the wait the Retry-After header asked for; zero when absent.
	RetryAfter time.Duration
	// Hint is advice on what to check, for responses whose cause is known.
	Hint string
	// Attempts is how many times the request was sent; 0 or 1 means once.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ofs: %s request failed: %d %s", e.Endpoint, e.StatusCode, http.StatusText(e.StatusCode))
	for _, part := range []string{e.Title, e.Detail, e.OAuthError, e.OAuthDescription} {
		if part != "" && part != http.StatusText(e.StatusCode) {
			b.WriteString(": " + part)
		}
	}
	if e.Body != "" {
		fmt.Fprintf(&b, ": body %q", e.Body)
	}
	if e.Hint != "" {
		b.WriteString("; " + e.Hint)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Temporary reports whether the same request can succeed later: on 429 and
// on 5xx other than 501. A proxy's HTML error page in front of OFS carries
// one of those statuses too.
func (e *APIError) Temporary() bool {
	return e.StatusCode == http.StatusTooManyRequests ||
		(e.StatusCode >= 500 && e.StatusCode != http.StatusNotImplemented)
}

// Rejected reports whether the token service refused the credentials: the
// assertion, the client ID or the client secret.
func (e *APIError) Rejected() bool {
	return e.Endpoint == EndpointToken &&
		(e.StatusCode == http.StatusBadRequest || e.StatusCode == http.StatusUnauthorized ||
			e.StatusCode == http.StatusForbidden)
}

// NetworkError reports an OFS request that got no HTTP response: the
// connection failed, was dropped or timed out.
type NetworkError struct {
	Endpoint Endpoint
	URL      string
	Err      error
	Attempts int // how many times the request was sent; 0 or 1 means once
}

func (e *NetworkError) Error() string {
	msg := fmt.Sprintf("ofs: %s request to %s failed: %v", e.Endpoint, e.URL, e.Err)
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

func (e *NetworkError) Unwrap() error { return e.Err }

// Temporary reports true: a request without a response may succeed later.
func (e *NetworkError) Temporary() bool { return true }

// errorBody is the union of OFS's Error model and the RFC 6749 error shape.
type errorBody struct {
	Type             string     `json:"type"`
	Title            string     `json:"title"`
	Status           flexString `json:"status"`
	Detail           string     `json:"detail"`
	ErrorCode        string     `json:"o:errorCode"`
	OAuthError       string     `json:"error"`
	OAuthDescription string     `json:"error_description"`
}

// flexString decodes a JSON string or number into its text.
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	var text string
	if err := json.Unmarshal(data, &text); err == nil {
		*s = flexString(text)
		return nil
	}
	var number json.Number
	if err := json.Unmarshal(data, &number); err != nil {
		return fmt.Errorf("status is neither a string nor a number: %w", err)
	}
	*s = flexString(number.String())
	return nil
}

// newAPIError builds the error for an unsuccessful response from its status,
// headers and (already bounded) body.
func newAPIError(endpoint Endpoint, resp *http.Response, body []byte, now time.Time) *APIError {
	e := &APIError{
		Endpoint:   endpoint,
		StatusCode: resp.StatusCode,
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), now),
	}
	var parsed errorBody
	if json.Unmarshal(body, &parsed) == nil && (parsed.Title != "" || parsed.OAuthError != "") {
		e.Type, e.Title, e.Status = quoteText(parsed.Type), quoteText(parsed.Title), quoteText(string(parsed.Status))
		e.Detail, e.ErrorCode = quoteText(parsed.Detail), quoteText(parsed.ErrorCode)
		e.OAuthError, e.OAuthDescription = quoteText(parsed.OAuthError), quoteText(parsed.OAuthDescription)
		return e
	}
	e.Body = quoteText(string(body))
	return e
}

// tokenLike matches text that may be a credential: a JWT (an assertion or
// an access token), a JSON member named like one, or any run of 24 or more
// base64, base64url or hex characters.
var tokenLike = regexp.MustCompile(`eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*|` +
	`"(access_token|assertion|client_secret)"\s*:\s*"[^"]*"|[A-Za-z0-9_+/=-]{24,}`)

// quoteText makes text from an OFS response safe to put in an error: runs
// of white space are folded so that it fits one line, anything that looks
// like a token is replaced by "[redacted]", and the result is cut to at most
// maxQuotedBody bytes on a rune boundary.
func quoteText(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	text = tokenLike.ReplaceAllString(text, "[redacted]")
	if len(text) <= maxQuotedBody {
		return text
	}
	cut := maxQuotedBody
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// parseRetryAfter reads a Retry-After value in seconds or as an HTTP date.
// It returns zero for a missing, malformed or past value.
func parseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if seconds, err := strconv.ParseInt(value, 10, 64); err == nil {
		if seconds < 0 {
			return 0
		}
		return min(time.Duration(min(seconds, int64(maxRetryAfter/time.Second)))*time.Second, maxRetryAfter)
	}
	when, err := http.ParseTime(value)
	if err != nil || !when.After(now) {
		return 0
	}
	return min(when.Sub(now), maxRetryAfter)
}

// maxRetryAfter caps a Retry-After value, so that a huge one cannot
// overflow a time.Duration; a day is far beyond any wait the function
// keeps.
const maxRetryAfter = 24 * time.Hour
