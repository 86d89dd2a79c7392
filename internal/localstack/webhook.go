package localstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// SignHTTPEvent returns payload with the webhook signature headers added
// when payload is an API Gateway or function URL event, signed with secret
// at now over the raw body (base64-decoded when flagged). Other events are
// returned unchanged. Sample files in events/ carry no valid signature,
// because a signature goes stale five minutes after it is made.
func SignHTTPEvent(payload, secret []byte, now time.Time) ([]byte, error) {
	var event map[string]any
	if err := json.Unmarshal(payload, &event); err != nil || event["requestContext"] == nil ||
		(event["httpMethod"] == nil && event["routeKey"] == nil) {
		return payload, nil
	}
	body, _ := event["body"].(string)
	raw := []byte(body)
	if encoded, _ := event["isBase64Encoded"].(bool); encoded {
		decoded, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("localstack: the event's body is flagged base64 but does not decode: %w", err)
		}
		raw = decoded
	}
	headers, multi := removeSignature(event)
	for name, value := range webhook.Headers(secret, now, raw) {
		headers[name] = value
		if multi != nil {
			multi[name] = []string{value}
		}
	}
	return json.Marshal(event)
}

// RemoveSignature returns payload without the webhook signature headers,
// as an unsigned request would arrive. Events other than API Gateway and
// function URL events are returned unchanged.
func RemoveSignature(payload []byte) ([]byte, error) {
	var event map[string]any
	if err := json.Unmarshal(payload, &event); err != nil || event["requestContext"] == nil {
		return payload, nil
	}
	removeSignature(event)
	return json.Marshal(event)
}

// removeSignature deletes the signature headers, in whatever case they are
// spelt, from the event's headers and multiValueHeaders, and returns both
// maps; headers is created when the event has none.
func removeSignature(event map[string]any) (headers, multi map[string]any) {
	headers, _ = event["headers"].(map[string]any)
	if headers == nil {
		headers = map[string]any{}
		event["headers"] = headers
	}
	multi, _ = event["multiValueHeaders"].(map[string]any)
	for _, m := range []map[string]any{headers, multi} {
		for name := range m {
			if strings.EqualFold(name, webhook.TimestampHeader) || strings.EqualFold(name, webhook.SignatureHeader) {
				delete(m, name)
			}
		}
	}
	return headers, multi
}

// Invoke sends payload to the function through RIE, first signing it with
// the stack's webhook secret when it is an HTTP event, as a webhook sender
// would. Use RIE.Invoke to send a payload exactly as it is.
func (s *Stack) Invoke(ctx context.Context, payload []byte) (status int, body []byte, err error) {
	signed, err := SignHTTPEvent(payload, []byte(s.WebhookSecret), s.nextSigningTime())
	if err != nil {
		return 0, nil, err
	}
	return s.RIE.Invoke(ctx, signed)
}

// nextSigningTime returns now, or one second after the previous signing
// time when that is later. The function rejects a signature it has seen,
// and two samples with the same body signed in the same second would have
// the same signature.
func (s *Stack) nextSigningTime() time.Time {
	s.signMu.Lock()
	defer s.signMu.Unlock()
	next := time.Now().Truncate(time.Second)
	if !next.After(s.lastSigned) {
		next = s.lastSigned.Add(time.Second)
	}
	s.lastSigned = next
	return next
}
