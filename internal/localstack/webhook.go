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
	signature := webhook.Headers(secret, now, raw)
	headers, _ := event["headers"].(map[string]any)
	if headers == nil {
		headers = map[string]any{}
	}
	multi, _ := event["multiValueHeaders"].(map[string]any)
	for name, value := range signature {
		// Replace a sample's stale header in whatever case it is spelt.
		for _, m := range []map[string]any{headers, multi} {
			for existing := range m {
				if strings.EqualFold(existing, name) {
					delete(m, existing)
				}
			}
		}
		headers[name] = value
		if multi != nil {
			multi[name] = []string{value}
		}
	}
	event["headers"] = headers
	return json.Marshal(event)
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
