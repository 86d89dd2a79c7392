package main

import (
	"errors"
	"testing"
)

// FuzzDetectTrigger feeds arbitrary payloads to the trigger recogniser and
// the chat request decoders: they must never panic, and every rejection
// must be an *EventError, which the handler turns into a clear message.
func FuzzDetectTrigger(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{}`, `[]`, `{"text":"hi","recipients":["tech17"]}`,
		`{"Records":[{"eventSource":"aws:sqs","body":"hi"}]}`,
		`{"Records":[{"EventSource":"aws:sns","Sns":{"Message":"{\"text\":\"hi\"}"}}]}`,
		`{"version":"2.0","routeKey":"POST /chats","requestContext":{"http":{"method":"POST"}}}`,
		`{"httpMethod":"POST","requestContext":{},"body":"e30=","isBase64Encoded":true}`,
		`{"detail-type":"Start Chat","source":"x","detail":"{\"text\":\"hi\"}"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		kind, err := detectTrigger(payload)
		var eventErr *EventError
		if err != nil {
			if !errors.As(err, &eventErr) {
				t.Fatalf("detectTrigger error = %v, want an *EventError", err)
			}
			return
		}
		if kind == triggerDirect {
			if _, err := decodeChatRequest(payload, "the event", []string{"tech17"}); err != nil &&
				!errors.As(err, &eventErr) {
				t.Fatalf("decodeChatRequest error = %v, want an *EventError", err)
			}
		}
		if _, err := messageRequest(string(payload), "a message", []string{"tech17"}); err != nil &&
			!errors.As(err, &eventErr) {
			t.Fatalf("messageRequest error = %v, want an *EventError", err)
		}
	})
}
