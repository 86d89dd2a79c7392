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
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
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
	idem      *idempotency.Store // nil when idempotency is off
	metrics   metricsConfig
	repeats   repeatLimiter
	coldStart atomic.Bool // true until the first invocation takes it

	mu            sync.Mutex
	client        *ofs.Client
	clientVersion string
	clientSecret  []byte
}

func newHandler(s settings, secrets *awssecret.Cache, logger *slog.Logger) *handler {
	return &handler{settings: s, secrets: secrets, log: logger, ofsConfig: ofs.Config{BaseURL: s.BaseURL},
		webhooks: webhook.NewVerifier(nil), repeats: repeatLimiter{interval: repeatInterval}}
}

// Invoke recognises the trigger and returns the result in that trigger's shape.
func (h *handler) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := &invocation{coldStart: h.coldStart.Swap(false), lambdaDeadline: lambdaDeadlineOf(ctx)}
	ctx, cancel := invocationContext(withInvocation(ctx, inv))
	defer cancel()
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		inv.requestID = lc.AwsRequestID
	}
	fetchesBefore := h.secretFetches()
	defer func() {
		if err := h.metrics.emit(inv, h.secretFetches()-fetchesBefore, time.Now()); err != nil {
			h.log.LogAttrs(ctx, slog.LevelWarn, "writing the metrics failed", slog.String("error", err.Error()))
		}
	}()
	kind, err := detectTrigger(payload)
	if err != nil {
		inv.record("invalid_request", false, 0, 0)
		h.logRepeated(ctx, h.log, slog.LevelError, "event rejected", err)
		return nil, err
	}
	inv.trigger = kind
	// The logger's handler adds requestId and trigger from the context to
	// every line, so no logger is built per invocation.
	log := h.log
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

// lambdaDeadlineOf returns Lambda's deadline for the invocation, or the
// default timeout from now outside Lambda.
func lambdaDeadlineOf(ctx context.Context) time.Time {
	if deadline, ok := ctx.Deadline(); ok {
		return deadline
	}
	return time.Now().Add(defaultTimeout)
}

// lambdaDeadline returns Lambda's own deadline, which is later than the
// invocation context's by the margin, or the context's deadline when ctx
// belongs to no invocation.
func lambdaDeadline(ctx context.Context) time.Time {
	if inv := invocationFrom(ctx); inv != nil && !inv.lambdaDeadline.IsZero() {
		return inv.lambdaDeadline
	}
	return lambdaDeadlineOf(ctx)
}

// startChat sends one chat request with the current credentials, unless
// the idempotency store holds the event's chat already, and logs one line
// for the outcome. source is the ID of the event or message that carried it.
func (h *handler) startChat(ctx context.Context, log *slog.Logger, source string, req ofs.ChatRequest) (*ofs.Chat, error) {
	began := time.Now()
	var trace ofs.Trace
	ctx = ofs.WithTrace(ctx, &trace)
	key := "" // only the store needs a key, and hashing the request costs 5 allocations
	if h.idem != nil {
		key = idempotencyKey(ctx, source, req)
	}
	chat, duplicate, err := h.startOnce(ctx, log, key, req)
	latency := time.Since(began)
	retries := max(int(trace.ChatAttempts.Load())-1, 0)
	status := int(trace.ChatStatus.Load())
	if err != nil {
		_, code, _ := classify(err)
		invocationFrom(ctx).record(code, false, latency, int(trace.TokenRequests.Load()))
		log.LogAttrs(ctx, slog.LevelError, "chat not started", slog.String("source", source),
			slog.Int64("latencyMs", latency.Milliseconds()), slog.Int("ofsStatus", status),
			slog.Int("retries", retries), slog.String("class", code), slog.String("error", err.Error()))
		return nil, err
	}
	invocationFrom(ctx).record("", duplicate, latency, int(trace.TokenRequests.Load()))
	msg := "chat started"
	if duplicate {
		msg = "chat already started for this event; returning the stored chat"
	}
	log.LogAttrs(ctx, slog.LevelInfo, msg, slog.String("source", source),
		slog.Int64("latencyMs", latency.Milliseconds()), slog.Int("ofsStatus", status),
		slog.Int("retries", retries), slog.Int64("chatId", chat.ChatID), slog.String("type", chat.Type))
	return chat, nil
}

// secretFetches returns the secret cache's fetch count, for the metrics.
func (h *handler) secretFetches() int {
	if h.secrets == nil {
		return 0
	}
	return h.secrets.Fetches()
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
	if err == nil {
		return chat, nil
	}
	var apiErr *ofs.APIError
	if !errors.As(err, &apiErr) || !apiErr.Rejected() {
		return chat, err
	}
	h.secrets.InvalidateFetchedBefore(began)
	fresh, freshErr := h.ofsClient(ctx)
	if freshErr != nil || fresh == client {
		return nil, err
	}
	h.log.InfoContext(ctx, "retrying with the secret's new value after OFS rejected the credentials",
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
	if err != nil {
		var secretErr *awssecret.Error
		if errors.As(err, &secretErr) && !secretErr.Temporary {
			return nil, &ConfigError{Reason: err.Error(), Err: err}
		}
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
	case isIdempotencyError(err):
		if errors.As(err, new(*idempotency.InProgressError)) {
			return http.StatusServiceUnavailable, "duplicate_in_progress", retryAfterFor(err)
		}
		return http.StatusServiceUnavailable, "idempotency_unavailable", retryAfterFor(err)
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
