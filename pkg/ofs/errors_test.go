package ofs

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNewAPIErrorShapes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantTitle  string
		wantStatus string
		wantOAuth  string
		wantBody   string
	}{
		{"OFS error, status string", `{"type":"about:blank","title":"Unauthorized","status":"401","detail":"bad aud"}`,
			"Unauthorized", "401", "", ""},
		{"OFS error, status number", `{"type":"about:blank","title":"Unauthorized","status":401}`,
			"Unauthorized", "401", "", ""},
		{"OAuth error", `{"error":"invalid_grant","error_description":"expired"}`, "", "", "invalid_grant", ""},
		{"HTML page", "<html>\n<body>Bad   Gateway</body></html>", "", "", "", "<html> <body>Bad Gateway</body></html>"},
		{"empty", "", "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: http.StatusUnauthorized, Header: http.Header{}}
			e := newAPIError(EndpointToken, resp, []byte(tt.body), time.Now())
			if e.Title != tt.wantTitle || e.Status != tt.wantStatus || e.OAuthError != tt.wantOAuth || e.Body != tt.wantBody {
				t.Errorf("got title %q status %q oauth %q body %q, want %q %q %q %q",
					e.Title, e.Status, e.OAuthError, e.Body, tt.wantTitle, tt.wantStatus, tt.wantOAuth, tt.wantBody)
			}
		})
	}
}

func TestQuoteTextCapsLength(t *testing.T) {
	got := quoteText(strings.Repeat("é", 300))
	if len(got) > maxQuotedBody+len("…") {
		t.Errorf("len(quoteText) = %d, want at most %d", len(got), maxQuotedBody+len("…"))
	}
	if !strings.HasSuffix(got, "…") {
		t.Errorf("quoteText = %q, want a trailing ellipsis", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{"Thu, 01 Jan 2026 00:00:42 GMT", 42 * time.Second},
		{"99999999999", 24 * time.Hour},
		{"9223372036854775807", 24 * time.Hour},
		{"Wed, 31 Dec 2025 23:59:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.value, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

func TestTemporaryStatuses(t *testing.T) {
	for status, want := range map[int]bool{400: false, 401: false, 403: false, 404: false, 429: true,
		500: true, 501: false, 502: true, 503: true, 504: true} {
		e := &APIError{Endpoint: EndpointChat, StatusCode: status}
		if got := e.Temporary(); got != want {
			t.Errorf("Temporary() for %d = %v, want %v", status, got, want)
		}
	}
}

func TestParseTokenResponse(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantErr  string
		wantLife time.Duration
	}{
		{"standard", `{"access_token":"abc","token_type":"bearer","expires_in":3600}`, "", time.Hour},
		{"upper-case type", `{"access_token":"abc","token_type":"Bearer","expires_in":60}`, "", time.Minute},
		{"expires_in string", `{"access_token":"abc","token_type":"BEARER","expires_in":"120"}`, "", 2 * time.Minute},
		{"expires_in missing", `{"access_token":"abc","token_type":"bearer"}`, "", fallbackTokenLifetime},
		{"expires_in negative", `{"access_token":"abc","token_type":"bearer","expires_in":-5}`, "", fallbackTokenLifetime},
		{"no access_token", `{"token_type":"bearer","expires_in":3600}`, "no access_token", 0},
		{"v1 token field", `{"token":"abc","token_type":"bearer","expires_in":3600}`, "no access_token", 0},
		{"other type", `{"access_token":"abc","token_type":"mac","expires_in":3600}`, `"mac"`, 0},
		{"not JSON", `<html>ok</html>`, "not the expected JSON", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parsed, err := parseTokenResponse([]byte(tt.body))
			token, life := parsed.value, parsed.lifetime
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "abc") {
					t.Errorf("error %q quotes the token", err)
				}
				return
			}
			if err != nil || token != "abc" || life != tt.wantLife {
				t.Errorf("parseTokenResponse = %q, %v, %v; want abc, %v, nil", token, life, err, tt.wantLife)
			}
		})
	}
}
