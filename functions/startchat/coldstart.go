package main

import (
	"context"
	"errors"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// certificateWarning is how long before its expiry the secret's certificate
// is reported at cold start, so there is time to upload a new one to OFS.
const certificateWarning = 30 * 24 * time.Hour

// checkAtColdStart reads the secret during init and logs what would make
// events fail or soon fail: HTTP triggers without a webhook secret, a secret
// that does not parse, and a certificate near its expiry. Reading the secret
// here also warms the cache for the first event. Nothing here is fatal; a
// failure is logged and the read is retried on the first event.
func (h *handler) checkAtColdStart(ctx context.Context) {
	if h.secrets == nil || h.configErr != nil {
		return
	}
	secret, err := h.secrets.Get(ctx)
	if err != nil {
		h.log.Warn("reading the secret at cold start failed; retrying on the first event",
			"error", err.Error())
		return
	}
	h.logWebhookReadiness(ctx)
	creds, err := ofs.ParseCredentials(secret.Value)
	if err != nil {
		h.log.Error("the secret's credentials are invalid; every chat will fail", "error", err.Error())
		return
	}
	if cert := creds.Certificate; cert != nil && time.Until(cert.NotAfter) < certificateWarning {
		h.log.Warn("the certificate expires soon; upload a new one to OFS and store it with its key",
			"notAfter", cert.NotAfter.UTC().Format(time.RFC3339), "subject", cert.Subject.String())
	}
}

// logWebhookReadiness warns at cold start when HTTP triggers will reject
// every request, so the cause is in the log before the first 401.
func (h *handler) logWebhookReadiness(ctx context.Context) {
	if h.settings.WebhookAuth != webhookAuthHMAC {
		h.log.Info("webhook signatures are not checked", "webhookAuth", h.settings.WebhookAuth,
			"reason", "API Gateway or the function URL checks the caller with AWS_IAM")
		return
	}
	if _, err := h.webhookSecret(ctx); errors.Is(err, errNoWebhookSecret) {
		h.log.Warn("HTTP triggers will reject every request with 401", "error", err.Error())
	}
}
