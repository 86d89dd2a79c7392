// Package awssecret reads one AWS Secrets Manager secret and keeps it for a
// time to live, so that a Lambda function fetches it once per cold start and
// then once per TTL, never once per message.
package awssecret

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// staleRetry is how long an expired value is served after a refresh
// failed for a temporary reason, before the next fetch is tried.
const staleRetry = 30 * time.Second

// DefaultTTL is how long a fetched value is kept when Cache.TTL is zero.
// A rotated secret reaches a warm function within this time.
const DefaultTTL = 5 * time.Minute

// API is the part of the Secrets Manager client the cache calls.
type API interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
		opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Secret is one fetched version of the secret.
type Secret struct {
	Value     []byte // SecretString, or SecretBinary when there is no string
	VersionID string
}

// Cache holds the current value of one secret.
type Cache struct {
	client API
	id     string
	ttl    time.Duration
	now    func() time.Time

	mu        sync.Mutex
	current   Secret
	fetchedAt time.Time
	lastErr   error     // the last fetch's error, shared with callers that waited for it
	failedAt  time.Time // when lastErr happened
	fetches   int       // GetSecretValue calls made
}

// New returns a cache of the secret id (a name or an ARN). A ttl of zero
// means DefaultTTL; now nil means time.Now.
func New(client API, id string, ttl time.Duration, now func() time.Time) *Cache {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if now == nil {
		now = time.Now
	}
	return &Cache{client: client, id: id, ttl: ttl, now: now}
}

// Now returns the cache's clock reading, for InvalidateFetchedBefore.
func (c *Cache) Now() time.Time { return c.now() }

// Fetches returns how many times the cache called GetSecretValue.
func (c *Cache) Fetches() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fetches
}

// ID returns the secret name or ARN the cache reads.
func (c *Cache) ID() string { return c.id }

// Get returns the cached value, fetching it when it is absent or older than
// the TTL. Callers wait for one fetch in turn; the fetch is bounded by the
// context of the caller that makes it, and callers that waited while it
// failed get its error instead of fetching again. When a refresh fails for
// a temporary reason (throttling, a network error), the expired value is
// returned and the fetch is tried again after staleRetry.
func (c *Cache) Get(ctx context.Context) (Secret, error) {
	arrived := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.current.Value != nil && c.now().Sub(c.fetchedAt) < c.ttl {
		return c.current, nil
	}
	if c.lastErr != nil && c.failedAt.After(arrived) {
		return Secret{}, c.lastErr
	}
	c.fetches++
	out, err := c.client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(c.id)})
	if err != nil {
		described := c.describe(err)
		var secretErr *Error
		if errors.As(described, &secretErr) && secretErr.Temporary && c.current.Value != nil {
			// Keep serving the last value; OFS still accepts it unless it
			// was rotated, and a rejection then invalidates it.
			c.fetchedAt = c.now().Add(-c.ttl + min(staleRetry, c.ttl))
			return c.current, nil
		}
		c.lastErr, c.failedAt = described, c.now()
		return Secret{}, described
	}
	c.lastErr = nil
	value := out.SecretBinary
	if out.SecretString != nil {
		value = []byte(*out.SecretString)
	}
	if len(value) == 0 {
		return Secret{}, &Error{SecretID: c.id, Reason: "the secret has no value; store the " +
			"credentials JSON as its SecretString"}
	}
	c.current = Secret{Value: value, VersionID: aws.ToString(out.VersionId)}
	c.fetchedAt = c.now()
	return c.current, nil
}

// InvalidateFetchedBefore clears the cached value if it was fetched before
// t, so the next Get fetches it again. Callers that saw the value fail pass
// the time they started; when many fail at once, only the first causes a
// new fetch, because the others find a value fetched after they started.
func (c *Cache) InvalidateFetchedBefore(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fetchedAt.Before(t) {
		c.current = Secret{}
	}
}

// Invalidate clears the cached value, so the next Get fetches it again.
func (c *Cache) Invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.current = Secret{}
}

// Error reports a secret that could not be read.
type Error struct {
	SecretID string
	Code     string // the AWS error code, such as ResourceNotFoundException
	Reason   string
	// Temporary is true for throttling and network failures.
	Temporary bool
	Err       error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("awssecret: reading secret %q failed", e.SecretID)
	if e.Code != "" {
		msg += " (" + e.Code + ")"
	}
	return msg + ": " + e.Reason
}

func (e *Error) Unwrap() error { return e.Err }

// describe maps an SDK error to an *Error that names the fix.
func (c *Cache) describe(err error) error {
	e := &Error{SecretID: c.id, Err: err, Reason: err.Error()}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		e.Temporary = true
		return e
	}
	e.Code = apiErr.ErrorCode()
	switch e.Code {
	case "ResourceNotFoundException":
		e.Reason = "no such secret in this account and region; set OFS_SECRET_ID to the " +
			"secret's full ARN or name"
	case "AccessDeniedException":
		e.Reason = "access denied; allow secretsmanager:GetSecretValue on this secret in the " +
			"function's role"
	case "DecryptionFailure":
		e.Reason = "the secret's KMS key cannot be used; allow kms:Decrypt on that key in " +
			"the function's role"
	case "ThrottlingException", "InternalServiceError", "RequestTimeout":
		e.Temporary = true
		e.Reason = apiErr.ErrorMessage()
	default:
		e.Reason = apiErr.ErrorMessage()
	}
	return e
}
