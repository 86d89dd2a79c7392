package ofs

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestQuoteTextRedactsTokens(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkaXNwYXRjaGVyMSJ9.c2lnbmF0dXJlLWJ5dGVz"
	tests := []struct {
		name, text, want string
	}{
		{"JWT", "token " + jwt + " was rejected", "token [redacted] was rejected"},
		{"long hex", "secret 0123456789abcdef0123456789abcdef here", "secret [redacted] here"},
		{"plain words", "Invalid value for aud claim", "Invalid value for aud claim"},
		{"short id", "chat 48213 failed", "chat 48213 failed"},
		{"JSON member", `{"access_token":"BNSES6NXVZLWPGEC2OAV5J","token_type":"bearer"}`,
			`{[redacted],"token_type":"bearer"}`},
	}
	for _, tt := range tests {
		if got := quoteText(tt.text); got != tt.want {
			t.Errorf("quoteText(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestAPIErrorFieldsRedacted(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
	body := `{"title":"Unauthorized","status":"401","detail":"assertion ` + jwt + ` is invalid ` +
		strings.Repeat("x", 400) + `"}`
	e := newAPIError(EndpointToken, &http.Response{StatusCode: 401, Header: http.Header{}}, []byte(body), time.Now())
	if strings.Contains(e.Error(), jwt) {
		t.Errorf("error %q quotes the assertion", e)
	}
	if len(e.Detail) > maxQuotedBody+len("…") {
		t.Errorf("len(Detail) = %d, want at most %d", len(e.Detail), maxQuotedBody+len("…"))
	}
}
