package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// Environment variables read by the function. template.yaml declares each.
const (
	envSecretID          = "OFS_SECRET_ID"
	envBaseURL           = "OFS_BASE_URL"
	envDefaultRecipients = "OFS_DEFAULT_RECIPIENTS"
	envSecretCacheTTL    = "OFS_SECRET_CACHE_TTL"
	envWebhookAuth       = "OFS_WEBHOOK_AUTH"
)

// settings is the function's configuration, read once per cold start.
type settings struct {
	SecretID          string
	BaseURL           string   // empty: derived from the secret's instance
	DefaultRecipients []string // used when an event names no recipients
	SecretTTL         time.Duration
	WebhookAuth       string        // webhookAuthHMAC or webhookAuthIAM
	IdempotencyTable  string        // empty: idempotency off
	IdempotencyTTL    time.Duration // how long a completed record is kept
	// Notifier formats and routes notifications. Nil, as in tests that build
	// settings directly, means built-in templates and no rules.
	Notifier *notify.Notifier
}

// ConfigError reports a setting, or a secret, that keeps the function from
// working. Lambda shows its type name as the errorType.
type ConfigError struct {
	Reason string
	Err    error // the underlying error, when there is one
}

func (e *ConfigError) Error() string { return "startchat: configuration: " + e.Reason }

func (e *ConfigError) Unwrap() error { return e.Err }

// loadSettings reads and checks the environment.
func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		SecretID:          strings.TrimSpace(getenv(envSecretID)),
		BaseURL:           strings.TrimSpace(getenv(envBaseURL)),
		DefaultRecipients: splitLogins(getenv(envDefaultRecipients)),
		SecretTTL:         awssecret.DefaultTTL,
		WebhookAuth:       strings.ToLower(strings.TrimSpace(getenv(envWebhookAuth))),
	}
	switch s.WebhookAuth {
	case "":
		s.WebhookAuth = webhookAuthHMAC
	case webhookAuthHMAC, webhookAuthIAM:
	default:
		return s, &ConfigError{Reason: fmt.Sprintf("%s=%q is invalid; use hmac (signed "+
			"webhooks, the default) or iam (API Gateway checks SigV4)", envWebhookAuth, getenv(envWebhookAuth))}
	}
	if s.SecretID == "" {
		return s, &ConfigError{Reason: envSecretID + " is not set; set it to the name or ARN " +
			"of the Secrets Manager secret that holds the OFS credentials"}
	}
	if s.BaseURL != "" {
		if err := ofs.ValidateBaseURL(s.BaseURL); err != nil {
			return s, &ConfigError{Reason: envBaseURL + ": " + strings.TrimPrefix(err.Error(), "ofs: ")}
		}
	}
	s.IdempotencyTable = strings.TrimSpace(getenv(envIdempotencyTable))
	s.IdempotencyTTL = idempotency.DefaultTTL
	if raw := strings.TrimSpace(getenv(envIdempotencyTTL)); raw != "" {
		ttl, err := time.ParseDuration(raw)
		if err != nil || ttl <= 0 {
			return s, &ConfigError{Reason: fmt.Sprintf("%s=%q is not a positive duration; "+
				"use a Go duration such as 24h", envIdempotencyTTL, raw)}
		}
		s.IdempotencyTTL = ttl
	}
	if raw := strings.TrimSpace(getenv(envSecretCacheTTL)); raw != "" {
		ttl, err := time.ParseDuration(raw)
		if err != nil || ttl <= 0 {
			return s, &ConfigError{Reason: fmt.Sprintf("%s=%q is not a positive duration; "+
				"use a Go duration such as 5m", envSecretCacheTTL, raw)}
		}
		s.SecretTTL = ttl
	}
	notifier, err := notify.FromEnv(getenv, s.DefaultRecipients)
	if err != nil {
		return s, &ConfigError{Reason: err.Error(), Err: err}
	}
	s.Notifier = notifier
	return s, nil
}

// splitLogins parses a comma-separated login list, dropping blanks.
func splitLogins(list string) []string {
	var logins []string
	for _, login := range strings.Split(list, ",") {
		if login = strings.TrimSpace(login); login != "" {
			logins = append(logins, login)
		}
	}
	return logins
}

// newHandlerFromEnv builds the handler at cold start. A broken
// configuration does not stop the process: every event then fails with the
// configuration error, in the shape its trigger expects, and nothing is
// acknowledged.
func newHandlerFromEnv(ctx context.Context, getenv func(string) string, logger *slog.Logger) *handler {
	s, err := loadSettings(getenv)
	if err != nil {
		logger.Error("configuration is invalid; every event will fail", "error", err.Error())
		return newFailedHandler(s, err, logger)
	}
	client, err := newSecretsClient(getenv)
	if err != nil {
		logger.Error("configuration is invalid; every event will fail", "error", err.Error())
		return newFailedHandler(s, err, logger)
	}
	secrets := awssecret.New(client, s.SecretID, s.SecretTTL, nil)
	h := newHandler(s, secrets, logger)
	if err := h.configureObservability(getenv); err != nil {
		logger.Error("configuration is invalid; every event will fail", "error", err.Error())
		return newFailedHandler(s, err, logger)
	}
	logger.Info("cold start", "secretId", s.SecretID, "baseUrl", s.BaseURL,
		"defaultRecipients", len(s.DefaultRecipients), "secretCacheTtl", s.SecretTTL.String(),
		"webhookAuth", s.WebhookAuth, "region", client.Options().Region,
		"idempotencyTable", s.IdempotencyTable, "idempotencyTtl", s.IdempotencyTTL.String(),
		"metricsNamespace", h.metrics.namespace, "metricsDimensions", strings.Join(h.metrics.dimensions, ","),
		"notifications", s.Notifier)
	// Reading the secret during init also warms the cache for the first event.
	initCtx, cancel := context.WithTimeout(ctx, coldStartSecretTimeout)
	defer cancel()
	h.checkAtColdStart(initCtx)
	return h
}

// newFailedHandler returns a handler that fails every event with err, in
// the shape of the event's trigger.
func newFailedHandler(s settings, err error, logger *slog.Logger) *handler {
	h := newHandler(s, nil, logger)
	h.configErr = err
	return h
}

// configureObservability sets up the metrics and, when a table is
// configured, the idempotency store. The handler built here starts with a
// cold start still to report.
func (h *handler) configureObservability(getenv func(string) string) error {
	metrics, err := loadMetricsConfig(getenv, os.Stdout)
	if err != nil {
		return err
	}
	h.metrics = metrics
	h.coldStart.Store(true)
	if h.settings.IdempotencyTable == "" {
		return nil
	}
	client, err := newDynamoClient(getenv)
	if err != nil {
		return err
	}
	h.idem = idempotency.New(client, h.settings.IdempotencyTable, h.settings.IdempotencyTTL, nil)
	return nil
}

// coldStartSecretTimeout bounds the secret read during init. A failure
// there is logged and the read is retried on the first event.
const coldStartSecretTimeout = 3 * time.Second

// errNoSecret guards a handler built without a secret source.
var errNoSecret = errors.New("startchat: no secret source configured")
