package main

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
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
		`{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"Dimensions":[{"name":"n","value":"v"}]}}`,
		`{"detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"state":"stopped"}}`,
	} {
		f.Add([]byte(seed))
	}
	h := newHandler(settings{DefaultRecipients: []string{"tech17"}}, nil, slog.New(slog.DiscardHandler))
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
		_, err = h.messageRequest(context.Background(), h.log, "m1", "a message", string(payload), notify.Delivery{})
		if err != nil && !errors.As(err, &eventErr) {
			t.Fatalf("messageRequest error = %v, want an *EventError", err)
		}
	})
}
