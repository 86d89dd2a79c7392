package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

const chatBody = `{"text":"Gate 3 is blocked","recipients":["tech17"]}`

// signed returns JSON headers signed for body at sent with secret.
func signed(secret string, sent time.Time, body string) map[string]string {
	headers := webhook.Headers([]byte(secret), sent, []byte(body))
	headers["Content-Type"] = "application/json"
	return headers
}

func TestWebhookRejections(t *testing.T) {
	now := time.Now()
	stale := now.Add(-webhook.Window - time.Minute)
	tests := []struct {
		name       string
		body       string
		headers    map[string]string
		wantStatus int
		wantText   string
	}{
		{"unsigned", chatBody, map[string]string{"Content-Type": "application/json"},
			http.StatusUnauthorized, "not signed"},
		{"forged", chatBody, signed("guessed-secret", now, chatBody), http.StatusUnauthorized, "does not match"},
		{"body swapped", chatBody, signed(testWebhookSecret, now, `{"text":"other"}`),
			http.StatusUnauthorized, "does not match"},
		{"stale", chatBody, signed(testWebhookSecret, stale, chatBody), http.StatusUnauthorized, "outside the allowed window"},
		{"oversized", `{"text":"` + strings.Repeat("a", maxBodyBytes) + `"}`,
			signed(testWebhookSecret, now, chatBody), http.StatusRequestEntityTooLarge, "limit is 65536"},
		{"form content type", chatBody, func() map[string]string {
			h := signed(testWebhookSecret, now, chatBody)
			h["Content-Type"] = "application/x-www-form-urlencoded"
			return h
		}(), http.StatusUnsupportedMediaType, "is not JSON"},
		{"no content type", chatBody, func() map[string]string {
			h := signed(testWebhookSecret, now, chatBody)
			delete(h, "Content-Type")
			return h
		}(), http.StatusUnsupportedMediaType, "no Content-Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			for _, shape := range []struct {
				name   string
				encode bool
			}{{"v1", false}, {"v1", true}, {"v2", false}, {"v2", true}} {
				status, _, body := s.invokeHTTPWith(t, shape.name, tt.body, shape.encode, tt.headers)
				label := shape.name + " base64=" + strconv.FormatBool(shape.encode)
				if status != tt.wantStatus {
					t.Errorf("%s: status = %d, want %d (body %s)", label, status, tt.wantStatus, body)
				}
				if !strings.Contains(body, tt.wantText) {
					t.Errorf("%s: body = %s, want it to contain %q", label, body, tt.wantText)
				}
			}
			if got := len(s.emu.Requests()); got != 0 {
				t.Errorf("OFS requests = %d, want 0", got)
			}
		})
	}
}

func TestWebhookReplayRejected(t *testing.T) {
	s := newStack(t)
	headers := signed(testWebhookSecret, time.Now(), chatBody)
	for i, want := range []int{http.StatusCreated, http.StatusUnauthorized} {
		if status, _, body := s.invokeHTTPWith(t, "v2", chatBody, true, headers); status != want {
			t.Errorf("request %d: status = %d, want %d (body %s)", i+1, status, want, body)
		}
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestWebhookUnknownOutcomeNotResendable(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Drop: true})
	headers := signed(testWebhookSecret, time.Now(), chatBody)
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusUnauthorized} {
		if status, _, body := s.invokeHTTPWith(t, "v1", chatBody, false, headers); status != want {
			t.Errorf("attempt %d: status = %d, want %d (body %s)", i+1, status, want, body)
		}
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestWebhookRetryAfterFailureAllowed(t *testing.T) {
	s := newStack(t)
	// OFS rejected the chat outright and started nothing, so the sender may
	// resend the same signed request.
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusForbidden})
	headers := signed(testWebhookSecret, time.Now(), chatBody)
	for i, want := range []int{http.StatusBadGateway, http.StatusCreated} {
		if status, _, body := s.invokeHTTPWith(t, "v1", chatBody, false, headers); status != want {
			t.Errorf("attempt %d: status = %d, want %d (body %s)", i+1, status, want, body)
		}
	}
}

func TestWebhookHeaderNamesAnyCase(t *testing.T) {
	s := newStack(t)
	sent := time.Now()
	headers := map[string]string{
		"x-signature-timestamp": strconv.FormatInt(sent.Unix(), 10),
		"X-SIGNATURE":           webhook.Sign([]byte(testWebhookSecret), sent.Unix(), []byte(chatBody)),
		"content-type":          "application/json; charset=utf-8",
	}
	if status, _, body := s.invokeHTTPWith(t, "v1", chatBody, false, headers); status != http.StatusCreated {
		t.Errorf("status = %d, want 201 (body %s)", status, body)
	}
}

func TestWebhookWithoutSecretFailsClosed(t *testing.T) {
	s := newStack(t)
	s.secretID += "-nowebhook"
	s.putSecret(t, &secretsmanager.CreateSecretInput{SecretString: aws.String(
		string(s.identity.SecretJSON("acme.test", "startchat", "s3cr3t-client")))})
	s.handler.secrets = awssecret.New(s.secrets, s.secretID, time.Minute, nil)

	s.handler.checkAtColdStart(context.Background())
	if logs := s.logs.String(); !strings.Contains(logs, "HTTP triggers will reject every request with 401") ||
		!strings.Contains(logs, "webhookSecret") {
		t.Errorf("cold-start log = %s, want the reason for the 401s", logs)
	}
	status, _, body := s.invokeHTTP(t, "v1", chatBody, false)
	if status != http.StatusUnauthorized {
		t.Errorf("status = %d, want 401 (body %s)", status, body)
	}
	if got := len(s.emu.Requests()); got != 0 {
		t.Errorf("OFS requests = %d, want 0", got)
	}
}

func TestWebhookIAMModeSkipsSignature(t *testing.T) {
	s := newStack(t)
	s.handler.settings.WebhookAuth = webhookAuthIAM
	headers := map[string]string{"Content-Type": "application/json"}
	if status, _, body := s.invokeHTTPWith(t, "v2", chatBody, false, headers); status != http.StatusCreated {
		t.Errorf("status = %d, want 201 (body %s)", status, body)
	}
}

func TestWebhookAuthSetting(t *testing.T) {
	tests := []struct {
		value, want string
		wantErr     bool
	}{
		{"", webhookAuthHMAC, false},
		{"hmac", webhookAuthHMAC, false},
		{" IAM ", webhookAuthIAM, false},
		{"none", "", true},
	}
	for _, tt := range tests {
		env := map[string]string{envSecretID: "x", envWebhookAuth: tt.value}
		s, err := loadSettings(func(k string) string { return env[k] })
		if (err != nil) != tt.wantErr || (!tt.wantErr && s.WebhookAuth != tt.want) {
			t.Errorf("loadSettings(%s=%q) = %q, %v; want %q, error %v", envWebhookAuth, tt.value,
				s.WebhookAuth, err, tt.want, tt.wantErr)
		}
	}
}
