// Package webhook signs and verifies webhook requests with HMAC-SHA256.
//
// A sender signs each request with a secret it shares with the receiver:
//
//	X-Signature-Timestamp: <unix seconds>
//	X-Signature: sha256=<lowercase hex of HMAC-SHA256(secret, timestamp + "." + raw body)>
//
// The receiver accepts a request only when the signature matches, the
// timestamp is within Window of its clock, and the same signature was not
// accepted before within the window. Binding the timestamp into the MAC makes
// a captured request useless once it is stale, and the replay cache covers
// the window itself.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Header names; receivers match them case-insensitively.
const (
	TimestampHeader = "X-Signature-Timestamp"
	SignatureHeader = "X-Signature"
	signaturePrefix = "sha256="
)

// Window is how far a request's timestamp may be from the receiver's clock,
// in either direction, and how long an accepted signature is remembered.
const Window = 5 * time.Minute

// maxRemembered bounds the replay cache. At the limit, expired entries are
// dropped first; a container that accepts more distinct signatures than this
// within one window rejects the excess as a possible flood.
const maxRemembered = 100_000

// Sign returns the X-Signature value for body sent at timestamp.
func Sign(secret []byte, timestamp int64, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, strconv.FormatInt(timestamp, 10), body))
}

// Headers returns both signature headers for body sent at now.
func Headers(secret []byte, now time.Time, body []byte) map[string]string {
	ts := now.Unix()
	return map[string]string{
		TimestampHeader: strconv.FormatInt(ts, 10),
		SignatureHeader: Sign(secret, ts, body),
	}
}

// mac is the HMAC over the timestamp header's text as sent, a period and
// the body.
func mac(secret []byte, timestamp string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(timestamp))
	h.Write([]byte{'.'})
	h.Write(body)
	return h.Sum(nil)
}

// Rejection errors, for callers that count or log them by kind.
var (
	ErrUnsigned = errors.New("webhook: request is not signed")
	ErrStale    = errors.New("webhook: signature timestamp is outside the allowed window")
	ErrForged   = errors.New("webhook: signature does not match")
	ErrReplayed = errors.New("webhook: signature was already used")
	ErrFlooded  = errors.New("webhook: too many signed requests in one window")
)

// Verifier checks signatures and remembers accepted ones. It is safe for
// concurrent use.
type Verifier struct {
	now func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time // signature -> when it may be forgotten
}

// NewVerifier returns a verifier using the clock now, or time.Now when nil.
func NewVerifier(now func() time.Time) *Verifier {
	if now == nil {
		now = time.Now
	}
	return &Verifier{now: now, seen: make(map[string]time.Time)}
}

// Verify checks the two header values against body and, when they are
// valid, remembers the signature so that the same request is rejected when
// it comes again. The error wraps one of the Err values and names the fix; it never contains the secret or the expected signature.
func (v *Verifier) Verify(secret []byte, timestamp, signature string, body []byte) error {
	timestamp, signature = strings.TrimSpace(timestamp), strings.TrimSpace(signature)
	if timestamp == "" || signature == "" {
		return fmt.Errorf("%w: send the %s and %s headers", ErrUnsigned, TimestampHeader, SignatureHeader)
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %s %q is not Unix seconds", ErrUnsigned, TimestampHeader, timestamp)
	}
	now := v.now()
	sent := time.Unix(ts, 0)
	if sent.Before(now.Add(-Window)) || sent.After(now.Add(Window)) {
		return fmt.Errorf("%w: %s is %s, %s from this server's clock; sign each request when "+
			"sending it, with a synchronized clock", ErrStale, TimestampHeader,
			sent.UTC().Format(time.RFC3339), now.Sub(sent).Round(time.Second))
	}
	hexMAC, ok := strings.CutPrefix(signature, signaturePrefix)
	got, decodeErr := hex.DecodeString(hexMAC)
	if !ok || decodeErr != nil {
		return fmt.Errorf("%w: %s must be sha256= followed by lowercase hex", ErrForged, SignatureHeader)
	}
	if !hmac.Equal(got, mac(secret, timestamp, body)) {
		return fmt.Errorf("%w: compute HMAC-SHA256 with the shared secret over the timestamp, "+
			"a period and the raw body", ErrForged)
	}
	return v.remember(hexMAC, sent.Add(Window), now)
}

// Forget drops an accepted signature, so that the sender may retry the same
// signed request within the window. Callers use it when the request
// achieved nothing, because then a repeat cannot duplicate an effect.
func (v *Verifier) Forget(signature string) {
	hexMAC, _ := strings.CutPrefix(strings.TrimSpace(signature), signaturePrefix)
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.seen, strings.ToLower(hexMAC))
}

func (v *Verifier) remember(hexMAC string, until, now time.Time) error {
	key := strings.ToLower(hexMAC)
	v.mu.Lock()
	defer v.mu.Unlock()
	if expiry, ok := v.seen[key]; ok && now.Before(expiry) {
		return fmt.Errorf("%w: sign each request anew, with a fresh timestamp", ErrReplayed)
	}
	if len(v.seen) >= maxRemembered {
		for k, expiry := range v.seen {
			if !now.Before(expiry) {
				delete(v.seen, k)
			}
		}
		if len(v.seen) >= maxRemembered {
			return fmt.Errorf("%w: retry later", ErrFlooded)
		}
	}
	v.seen[key] = until
	return nil
}
