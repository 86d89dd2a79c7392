package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// Idempotency settings, read from the environment. An empty table turns
// idempotency off.
const (
	envIdempotencyTable = "OFS_IDEMPOTENCY_TABLE"
	envIdempotencyTTL   = "OFS_IDEMPOTENCY_TTL"
)

// idempotencyHeader is the HTTP header whose value keys an HTTP request.
const idempotencyHeader = "Idempotency-Key"

// maxIdempotencyKey is the longest Idempotency-Key accepted, in bytes; the
// store's key must stay under DynamoDB's 2048-byte limit.
const maxIdempotencyKey = 255

// idempotencyKey returns the event's natural ID as a store key: the SQS
// message ID, the SNS message ID, the EventBridge event ID, the HTTP
// request's Idempotency-Key header, or for a direct invoke a hash of the
// chat request. An HTTP request without the header has no key and is not
// deduplicated.
func idempotencyKey(ctx context.Context, source string, req ofs.ChatRequest) string {
	inv := invocationFrom(ctx)
	if inv == nil {
		return ""
	}
	switch kind := inv.trigger; kind {
	case triggerSQS, triggerSNS, triggerEventBridge:
		return string(kind) + ":" + source
	case triggerHTTPv1, triggerHTTPv2:
		value := inv.httpKey
		if value == "" {
			return ""
		}
		// The request's content is part of the key, so that a key reused
		// for another chat request starts that chat instead of returning
		// the first one.
		return "http:" + value + ":" + requestHash(req)
	}
	return "invoke:" + requestHash(req)
}

// requestHash returns the SHA-256 of the chat request's JSON, in hex.
func requestHash(req ofs.ChatRequest) string {
	encoded, _ := json.Marshal(req) // a ChatRequest always encodes
	sum := sha256.Sum256(encoded)
	return hex.EncodeToString(sum[:])
}

// startOnce sends req unless the store already holds the event's chat.
// It returns the chat, whether it came from the store, and the error. When
// another invocation holds the key, the error is a temporary
// *idempotency.InProgressError and nothing is sent, so a chat is never sent
// twice for one key while its record lives.
func (h *handler) startOnce(ctx context.Context, log *slog.Logger, key string,
	req ofs.ChatRequest) (*ofs.Chat, bool, error) {
	if h.idem == nil || key == "" {
		chat, err := h.sendChat(ctx, req)
		return chat, false, err
	}
	until := time.Now().Add(defaultTimeout)
	if deadline, ok := ctx.Deadline(); ok {
		until = deadline
	}
	stored, err := h.idem.Begin(ctx, key, until)
	if err != nil {
		return nil, false, err
	}
	if stored != nil {
		var chat ofs.Chat
		if err := json.Unmarshal(stored, &chat); err != nil {
			return nil, false, &idempotency.Error{Table: h.idem.Table(), Op: "decode", Err: err}
		}
		return &chat, true, nil
	}
	chat, err := h.sendChat(ctx, req)
	// The store's calls may use the margin kept before Lambda's deadline, so
	// that a record is written even when the chat used up the invocation's
	// own time; they never run past Lambda's deadline.
	storeDeadline := time.Now().Add(storeTimeout)
	if hard := lambdaDeadline(ctx); hard.Before(storeDeadline) {
		storeDeadline = hard
	}
	storeCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), storeDeadline)
	defer cancel()
	if err != nil {
		if ofs.ChatMayHaveStarted(err) {
			// OFS may have started the chat. The in-progress record stays
			// until it expires at the deadline, so a concurrent or early
			// redelivery does not send again.
			log.LogAttrs(ctx, slog.LevelWarn, "the chat's outcome is unknown; keeping the "+
				"in-progress idempotency record until it expires", slog.String("key", key))
			return nil, false, err
		}
		if releaseErr := h.idem.Release(storeCtx, key); releaseErr != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "releasing the idempotency record failed; a retry "+
				"waits for it to expire", slog.String("key", key), slog.String("error", releaseErr.Error()))
		}
		return nil, false, err
	}
	result, _ := json.Marshal(chat) // a Chat always encodes
	if completeErr := h.idem.Complete(storeCtx, key, result); completeErr != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "recording the chat in the idempotency store failed; a "+
			"redelivery after the in-progress record expires starts another chat",
			slog.String("key", key), slog.String("error", completeErr.Error()))
	}
	return chat, false, nil
}

// storeTimeout bounds one idempotency store call made after the chat.
const storeTimeout = 2 * time.Second

// isIdempotencyError reports store failures and in-progress duplicates.
func isIdempotencyError(err error) bool {
	var storeErr *idempotency.Error
	var inProgress *idempotency.InProgressError
	return errors.As(err, &storeErr) || errors.As(err, &inProgress)
}

// retryAfterFor is the wait to advertise for an idempotency error: until
// the other invocation's record expires, or the default.
func retryAfterFor(err error) time.Duration {
	var inProgress *idempotency.InProgressError
	if errors.As(err, &inProgress) {
		return inProgress.RetryAfter.Round(time.Second)
	}
	return defaultRetryAfter
}
