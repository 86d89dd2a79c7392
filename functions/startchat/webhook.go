package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// Webhook authentication modes, the values of OFS_WEBHOOK_AUTH.
const (
	// webhookAuthHMAC requires the X-Signature headers on every HTTP request.
	webhookAuthHMAC = "hmac"
	// webhookAuthIAM trusts API Gateway or the function URL to have checked
	// the caller's SigV4 signature, so the function checks nothing itself.
	webhookAuthIAM = "iam"
)

// maxBodyBytes is the largest HTTP request body accepted, after base64
// decoding. A chat request is a few hundred bytes; the limit leaves room
// for a small image attachment.
const maxBodyBytes = 64 << 10

// webhookFields is the part of the secret that the webhook check reads.
type webhookFields struct {
	WebhookSecret string `json:"webhookSecret"`
}

// errNoWebhookSecret reports a function that requires signatures but has no
// secret to check them with, so it rejects every HTTP request.
var errNoWebhookSecret = errors.New("the secret has no webhookSecret field, so every HTTP " +
	"request is rejected; add a webhookSecret to the secret, or deploy with WebhookAuth=iam")

// gateHTTP applies the checks that come before any chat: body size,
// signature and content type. It returns the failure response, or nil when
// the request may proceed. body is the raw body, already base64-decoded.
func (h *handler) gateHTTP(ctx context.Context, log *slog.Logger, req httpRequest, body []byte) *httpResult {
	if len(body) > maxBodyBytes {
		log.WarnContext(ctx, "request rejected", "status", http.StatusRequestEntityTooLarge, "bytes", len(body))
		return errorResultPtr(http.StatusRequestEntityTooLarge, "body_too_large",
			fmt.Sprintf("the body has %d bytes; the limit is %d", len(body), maxBodyBytes))
	}
	if h.settings.WebhookAuth == webhookAuthHMAC {
		if result := h.checkSignature(ctx, log, req, body); result != nil {
			return result
		}
	}
	if err := checkContentType(req.header("content-type")); err != nil {
		// The signature was accepted but nothing was done, so the sender may
		// resend the same request with the right content type.
		h.webhooks.Forget(req.header(webhook.SignatureHeader))
		log.WarnContext(ctx, "request rejected", "status", http.StatusUnsupportedMediaType, "error", err.Error())
		return errorResultPtr(http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error())
	}
	return nil
}

// checkSignature verifies the request's HMAC signature with the secret's
// webhookSecret. Unsigned, forged, stale and replayed requests get 401.
func (h *handler) checkSignature(ctx context.Context, log *slog.Logger, req httpRequest, body []byte) *httpResult {
	secret, err := h.webhookSecret(ctx)
	if errors.Is(err, errNoWebhookSecret) {
		log.ErrorContext(ctx, "request rejected", "status", http.StatusUnauthorized, "error", err.Error())
		return errorResultPtr(http.StatusUnauthorized, "unauthorized",
			"this function accepts no HTTP requests until its webhook secret is configured")
	}
	if err != nil {
		status, code, retryAfter := classify(err)
		log.ErrorContext(ctx, "request rejected", "status", status, "error", err.Error())
		result := errorResult(status, code, publicMessage(err, status, req.id))
		setRetryAfter(&result, retryAfter)
		return &result
	}
	err = h.webhooks.Verify(secret, req.header(webhook.TimestampHeader), req.header(webhook.SignatureHeader), body)
	if err != nil {
		// Anyone who can reach the endpoint can cause these, so repeats are
		// counted rather than logged one by one.
		h.logRepeated(ctx, log, slog.LevelWarn, "request rejected", err, slog.Int("status", http.StatusUnauthorized))
		return errorResultPtr(http.StatusUnauthorized, "unauthorized", err.Error())
	}
	return nil
}

// webhookSecret reads webhookSecret from the cached secret.
func (h *handler) webhookSecret(ctx context.Context) ([]byte, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	if h.secrets == nil {
		return nil, errNoSecret
	}
	secret, err := h.secrets.Get(ctx)
	if err != nil {
		return nil, err
	}
	var fields webhookFields
	if err := json.Unmarshal(secret.Value, &fields); err != nil {
		// ParseCredentials reports the same problem in detail.
		return nil, &ConfigError{Reason: fmt.Sprintf("secret %q is not a JSON object", h.secrets.ID())}
	}
	if fields.WebhookSecret == "" {
		return nil, errNoWebhookSecret
	}
	return []byte(fields.WebhookSecret), nil
}

// checkContentType accepts application/json and any application/*+json
// type, with or without parameters such as charset.
func checkContentType(value string) error {
	if strings.TrimSpace(value) == "" {
		return errors.New("the request has no Content-Type; send the chat request as application/json")
	}
	mediaType, _, err := mime.ParseMediaType(value)
	if err != nil || !(mediaType == "application/json" ||
		strings.HasPrefix(mediaType, "application/") && strings.HasSuffix(mediaType, "+json")) {
		return fmt.Errorf("Content-Type %q is not JSON; send the chat request as application/json", value)
	}
	return nil
}
