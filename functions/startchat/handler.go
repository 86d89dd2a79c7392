package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

const (
	// defaultTimeout bounds an invocation whose context has no deadline,
	// as in local runs outside a Lambda runtime.
	defaultTimeout = 30 * time.Second
	// maxDeadlineMargin is the most time kept back from the Lambda deadline
	// so that the function can still return its result; a tenth of the
	// remaining time is kept when that is less.
	maxDeadlineMargin = time.Second
	// maxConcurrentRecords bounds the chats one SQS batch starts at once.
	// It equals SQS's default batch size, so a batch of 10 costs about one
	// OFS round trip.
	maxConcurrentRecords = 10
)

// handler serves every trigger the function is subscribed to. It
// implements lambda.Handler, so it receives the raw payload and can reject
// empty or malformed events with a clear error.
type handler struct {
	settings  settings
	configErr error
	secrets   *awssecret.Cache
	log       *slog.Logger
	// ofsConfig is the base of every OFS client; tests set its clock and
	// HTTP client.
	ofsConfig ofs.Config
	webhooks  *webhook.Verifier

	mu            sync.Mutex
	client        *ofs.Client
	clientVersion string
	clientSecret  []byte
}

func newHandler(s settings, secrets *awssecret.Cache, logger *slog.Logger) *handler {
	return &handler{settings: s, secrets: secrets, log: logger, ofsConfig: ofs.Config{BaseURL: s.BaseURL},
		webhooks: webhook.NewVerifier(nil)}
}

// Invoke recognises the trigger and returns the result in that trigger's shape.
func (h *handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	ctx, cancel := invocationContext(ctx)
	defer cancel()
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		log = log.With("requestId", lc.AwsRequestID)
	}
	kind, err := detectTrigger(payload)
	if err != nil {
		log.Error("event rejected", "error", err.Error())
		return nil, err
	}
	log = log.With("trigger", string(kind))
	var result any
	switch kind {
	case triggerSQS:
		result, err = h.handleSQS(ctx, log, payload)
	case triggerSNS:
		result, err = h.handleSNS(ctx, log, payload)
	case triggerEventBridge:
		result, err = h.handleEventBridge(ctx, log, payload)
	case triggerHTTPv1:
		result, err = h.handleHTTPv1(ctx, log, payload)
	case triggerHTTPv2:
		result, err = h.handleHTTPv2(ctx, log, payload)
	default:
		result, err = h.handleDirect(ctx, log, payload)
	}
	if err != nil {
		return nil, err
	}
	return json.Marshal(result)
}

// invocationContext bounds the invocation so that every outbound call ends
// before Lambda's deadline, with time left to return the result.
func invocationContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithTimeout(ctx, defaultTimeout)
	}
	margin := min(time.Until(deadline)/10, maxDeadlineMargin)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

// startChat sends one chat request with the current credentials and logs
// its outcome. source names the event or message that carried it.
func (h *handler) startChat(ctx context.Context, log *slog.Logger, source string, req ofs.ChatRequest) (*ofs.Chat, error) {
	began := time.Now()
	chat, err := h.sendChat(ctx, req)
	log = log.With("source", source, "latencyMs", time.Since(began).Milliseconds())
	if err != nil {
		status, code, _ := classify(err)
		log.Error("chat not started", "class", code, "status", status, "error", err.Error())
		return nil, err
	}
	log.Info("chat started", "chatId", chat.ChatID, "type", chat.Type)
	return chat, nil
}

// sendChat starts the chat. When the token service rejects the
// credentials, they may have been rotated in Secrets Manager, so it reads
// the secret again and, if the value changed, tries once more. A second
// rejection is final.
func (h *handler) sendChat(ctx context.Context, req ofs.ChatRequest) (*ofs.Chat, error) {
	if h.configErr != nil {
		return nil, h.configErr
	}
	if h.secrets == nil {
		return nil, errNoSecret
	}
	began := h.secrets.Now()
	client, err := h.ofsClient(ctx)
	if err != nil {
		return nil, err
	}
	chat, err := client.StartChat(ctx, req)
	var apiErr *ofs.APIError
	if !errors.As(err, &apiErr) || !apiErr.Rejected() {
		return chat, err
	}
	h.secrets.InvalidateFetchedBefore(began)
	fresh, freshErr := h.ofsClient(ctx)
	if freshErr != nil || fresh == client {
		return nil, err
	}
	h.log.Info("retrying with the secret's new value after OFS rejected the credentials",
		"secretId", h.secrets.ID())
	return fresh.StartChat(ctx, req)
}

// ofsClient returns the client for the current secret value. A client, and
// so its token cache, lives as long as the secret is unchanged.
func (h *handler) ofsClient(ctx context.Context) (*ofs.Client, error) {
	if h.secrets == nil {
		return nil, errNoSecret
	}
	secret, err := h.secrets.Get(ctx)
	var secretErr *awssecret.Error
	if errors.As(err, &secretErr) && !secretErr.Temporary {
		return nil, &ConfigError{Reason: err.Error(), Err: err}
	}
	if err != nil {
		return nil, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.client != nil && secret.VersionID == h.clientVersion && bytes.Equal(secret.Value, h.clientSecret) {
		return h.client, nil
	}
	creds, err := ofs.ParseCredentials(secret.Value)
	if err != nil {
		return nil, &ConfigError{Reason: fmt.Sprintf("secret %q: %v", h.secrets.ID(), err), Err: err}
	}
	client, err := ofs.NewClient(creds, h.ofsConfig)
	if err != nil {
		return nil, &ConfigError{Reason: err.Error()}
	}
	h.client, h.clientVersion, h.clientSecret = client, secret.VersionID, secret.Value
	return client, nil
}

// defaultRetryAfter is the Retry-After sent with a 503 when OFS gave none.
const defaultRetryAfter = 30 * time.Second

// classify maps a failure to an HTTP status, an error code for the response
// body and, for 503, the wait to advertise. It is the one place where
// failures are sorted, so every trigger agrees on what is temporary.
func classify(err error) (status int, code string, retryAfter time.Duration) {
	var (
		eventErr   *EventError
		inputErr   *ofs.InputError
		credsErr   *ofs.CredentialsError
		configErr  *ConfigError
		secretErr  *awssecret.Error
		apiErr     *ofs.APIError
		networkErr *ofs.NetworkError
		throttled  *ofs.ThrottledError
		tokenErr   *ofs.TokenResponseError
	)
	switch {
	case errors.As(err, &tokenErr):
		if tokenErr.Temporary() {
			return http.StatusServiceUnavailable, "ofs_unavailable", defaultRetryAfter
		}
		return http.StatusBadGateway, "ofs_rejected", 0
	case errors.As(err, &throttled):
		return http.StatusServiceUnavailable, "ofs_unavailable", retryAfterOr(throttled.RetryAfter)
	case errors.As(err, &eventErr), errors.As(err, &inputErr):
		return http.StatusBadRequest, "invalid_request", 0
	case errors.As(err, &credsErr), errors.As(err, &configErr):
		return http.StatusInternalServerError, "configuration_error", 0
	case errors.As(err, &secretErr):
		if secretErr.Temporary {
			return http.StatusServiceUnavailable, "secret_unavailable", defaultRetryAfter
		}
		return http.StatusInternalServerError, "configuration_error", 0
	case errors.As(err, &apiErr):
		if apiErr.Temporary() {
			return http.StatusServiceUnavailable, "ofs_unavailable", retryAfterOr(apiErr.RetryAfter)
		}
		return http.StatusBadGateway, "ofs_rejected", 0
	case errors.As(err, &networkErr), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "ofs_unavailable", defaultRetryAfter
	}
	return http.StatusInternalServerError, "internal_error", 0
}

func retryAfterOr(wait time.Duration) time.Duration {
	if wait <= 0 {
		return defaultRetryAfter
	}
	return wait.Round(time.Second)
}
