package ofs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// RetryPolicy bounds the retries of one OFS call. The zero value means the
// defaults below.
type RetryPolicy struct {
	// MaxAttempts is the most tries of one call, the first included.
	// Zero means 3; 1 turns retries off.
	MaxAttempts int
	// BaseDelay is the backoff before the second try. Each later backoff
	// doubles it, up to MaxDelay, and the wait is drawn uniformly between
	// zero and that value ("full jitter"), so that callers that failed
	// together do not retry together. Zero means 200 ms.
	BaseDelay time.Duration
	// MaxDelay caps one backoff, and a Retry-After that the client waits
	// for. Zero means 5 s.
	MaxDelay time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 3
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 200 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	return p
}

// backoff returns the full-jitter wait after the given failed try (1-based).
func (p RetryPolicy) backoff(try int) time.Duration {
	ceiling := p.BaseDelay << min(try-1, 20)
	if ceiling <= 0 || ceiling > p.MaxDelay {
		ceiling = p.MaxDelay
	}
	return rand.N(ceiling + 1)
}

// ThrottledError reports a call that was not sent, or not retried, because
// OFS asked callers to wait longer than the caller's deadline allows. It
// wraps the response that started the wait.
type ThrottledError struct {
	Endpoint   Endpoint
	RetryAfter time.Duration // how long from now OFS asked callers to wait
	Err        error
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("ofs: %s endpoint asked callers to wait %s, beyond this call's deadline: %v",
		e.Endpoint, e.RetryAfter.Round(time.Second), e.Err)
}

func (e *ThrottledError) Unwrap() error { return e.Err }

// Temporary reports true: the call can succeed after RetryAfter.
func (e *ThrottledError) Temporary() bool { return true }

// cooldowns holds, per endpoint, until when OFS asked callers to wait, so
// that concurrent calls (the records of one SQS batch) share one wait
// instead of each hitting a throttled endpoint again.
type cooldowns struct {
	mu    sync.Mutex
	until map[Endpoint]time.Time
	cause map[Endpoint]error
}

func (cd *cooldowns) get(endpoint Endpoint) (time.Time, error) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	return cd.until[endpoint], cd.cause[endpoint]
}

func (cd *cooldowns) extend(endpoint Endpoint, until time.Time, cause error) {
	cd.mu.Lock()
	defer cd.mu.Unlock()
	if cd.until == nil {
		cd.until, cd.cause = map[Endpoint]time.Time{}, map[Endpoint]error{}
	}
	if until.After(cd.until[endpoint]) {
		cd.until[endpoint], cd.cause[endpoint] = until, cause
	}
}

// retry runs try until it succeeds, fails in a way that retrying cannot
// help, or runs out of attempts or time. Every wait, for a backoff, a
// Retry-After or a shared cooldown, watches ctx and is skipped with a
// *ThrottledError when it would end after ctx's deadline.
func retry[T any](ctx context.Context, c *Client, endpoint Endpoint, try func() (T, error)) (T, error) {
	var zero T
	for attempt := 1; ; attempt++ {
		if err := c.awaitCooldown(ctx, endpoint); err != nil {
			return zero, err
		}
		if endpoint == EndpointChat {
			traceFrom(ctx).ChatAttempts.Add(1)
		}
		result, err := try()
		if err == nil || !retryable(endpoint, err) {
			return result, err
		}
		wait := c.retry.backoff(attempt)
		var apiErr *APIError
		if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
			wait = apiErr.RetryAfter
		}
		if errors.As(err, &apiErr) && (apiErr.StatusCode == http.StatusTooManyRequests ||
			apiErr.StatusCode == http.StatusServiceUnavailable) {
			c.cooldowns.extend(endpoint, time.Now().Add(wait), err)
		}
		if attempt >= c.retry.MaxAttempts {
			return zero, countAttempts(err, attempt)
		}
		if !fitsDeadline(ctx, wait) || wait > c.retry.MaxDelay {
			return zero, &ThrottledError{Endpoint: endpoint, RetryAfter: wait, Err: err}
		}
		if err := sleep(ctx, wait); err != nil {
			return zero, err
		}
	}
}

// countAttempts records on err how many times its request was sent.
func countAttempts(err error, attempts int) error {
	var apiErr *APIError
	var netErr *NetworkError
	switch {
	case errors.As(err, &apiErr):
		apiErr.Attempts = attempts
	case errors.As(err, &netErr):
		netErr.Attempts = attempts
	}
	return err
}

// awaitCooldown waits out the endpoint's shared cooldown, or returns a
// *ThrottledError when the cooldown outlasts ctx's deadline.
func (c *Client) awaitCooldown(ctx context.Context, endpoint Endpoint) error {
	until, cause := c.cooldowns.get(endpoint)
	wait := time.Until(until)
	if wait <= 0 {
		return nil
	}
	if !fitsDeadline(ctx, wait) || wait > c.retry.MaxDelay {
		return &ThrottledError{Endpoint: endpoint, RetryAfter: wait, Err: cause}
	}
	// A jitter of up to one base delay spreads out the callers that waited
	// for the same cooldown, so they do not all send at its end.
	return sleep(ctx, wait+rand.N(c.retry.BaseDelay+1))
}

// retryable reports whether a failed call can succeed when sent again.
//
// The token request creates nothing, so it is repeated after any failure
// that can pass: no response, 429, 502, 503, 504, or a 200 whose body is
// not the token (a proxy's HTML page or an empty body).
//
// The chat request is not idempotent: a second POST after OFS acted on the
// first starts a second chat. It is repeated only when OFS surely did not
// act on it: the connection was never made, or OFS returned 429, or 503
// with a Retry-After. A timeout, a dropped connection, a 502, a 504 or a
// 503 without Retry-After leaves it unknown whether the chat started, so
// those are returned to the caller, whose trigger redelivers the event.
func retryable(endpoint Endpoint, err error) bool {
	var apiErr *APIError
	var netErr *NetworkError
	var bodyErr *TokenResponseError
	if endpoint == EndpointToken {
		switch {
		case errors.As(err, &bodyErr):
			return bodyErr.Malformed
		case errors.As(err, &netErr):
			return !isContextError(err)
		case errors.As(err, &apiErr):
			switch apiErr.StatusCode {
			case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable,
				http.StatusGatewayTimeout:
				return true
			}
		}
		return false
	}
	switch {
	case errors.As(err, &netErr):
		return notConnected(err)
	case errors.As(err, &apiErr):
		return apiErr.StatusCode == http.StatusTooManyRequests ||
			(apiErr.StatusCode == http.StatusServiceUnavailable && apiErr.RetryAfter > 0)
	}
	return false
}

// notConnected reports whether err happened while dialling, before any
// byte of the request was sent.
func notConnected(err error) bool {
	var opErr *net.OpError
	return errors.As(err, &opErr) && opErr.Op == "dial" && !isContextError(err)
}

func isContextError(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// fitsDeadline reports whether a wait of d ends before ctx's deadline.
func fitsDeadline(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Now().Add(d).Before(deadline)
}

// sleep waits for d or until ctx ends, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TokenResponseError reports a successful token response that carries no
// usable token. A malformed body, such as a proxy's HTML page or an empty
// body, is temporary and the request is repeated; a well-formed body without
// a bearer token is not.
type TokenResponseError struct {
	URL       string
	Reason    string
	Malformed bool
}

func (e *TokenResponseError) Error() string {
	return fmt.Sprintf("ofs: token response from %s is unusable: %s", e.URL, e.Reason)
}

// Temporary reports whether a new request can get a usable response.
func (e *TokenResponseError) Temporary() bool { return e.Malformed }

// ChatMayHaveStarted reports whether OFS may have started the chat although
// StartChat returned err: the request was sent and the response was lost, a
// timeout, a 5xx other than 503 with Retry-After, or a 2xx without a chat
// ID. It is false when the chat request was never sent or OFS rejected it
// outright, so that the event can be retried without starting a second chat.
func ChatMayHaveStarted(err error) bool {
	var apiErr *APIError
	var netErr *NetworkError
	switch {
	case err == nil:
		return true
	case errors.As(err, &apiErr) && apiErr.Endpoint == EndpointChat:
		if apiErr.StatusCode >= 200 && apiErr.StatusCode < 300 {
			return true
		}
		if retryable(EndpointChat, apiErr) {
			return false
		}
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusRequestTimeout
	case errors.As(err, &netErr) && netErr.Endpoint == EndpointChat:
		return !notConnected(err)
	}
	return false
}
