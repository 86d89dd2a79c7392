package e2e_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// resultKind is the shape of the function's result for a trigger.
type resultKind string

const (
	resultChat  resultKind = "chat"  // direct, Scheduler, SNS and EventBridge: the chat JSON
	resultHTTP  resultKind = "http"  // API Gateway and function URLs: 201 with the chat JSON
	resultBatch resultKind = "batch" // SQS: batchItemFailures
)

// wantChat is a chat that an event should start, as the emulator records it.
type wantChat struct {
	Text       string
	Recipients []string
	Helpdesk   *int64
	Attachment json.RawMessage
}

func (c wantChat) String() string {
	if c.Helpdesk != nil {
		return fmt.Sprintf("%q to helpdesk %d", c.Text, *c.Helpdesk)
	}
	return fmt.Sprintf("%q to %s", c.Text, strings.Join(c.Recipients, ","))
}

// matches reports whether the emulator's chat is c, started by user.
func (c wantChat) matches(chat emulator.Chat, user string) bool {
	helpdeskEqual := (c.Helpdesk == nil) == (chat.Helpdesk == nil) &&
		(c.Helpdesk == nil || *c.Helpdesk == *chat.Helpdesk)
	return chat.Text == c.Text && slices.Equal(chat.Recipients, c.Recipients) &&
		helpdeskEqual && sameJSON(c.Attachment, chat.Attachment) && chat.StartedBy == user
}

// sameJSON reports whether a and b are the same JSON, ignoring white space.
// Two absent values are the same.
func sameJSON(a, b json.RawMessage) bool {
	var compactA, compactB bytes.Buffer
	if len(a) > 0 && json.Compact(&compactA, a) != nil || len(b) > 0 && json.Compact(&compactB, b) != nil {
		return false
	}
	return bytes.Equal(compactA.Bytes(), compactB.Bytes())
}

// expectation is what one sample event should do, read from the event
// file on its own terms and not from the handler's code.
type expectation struct {
	kind  resultKind
	chats []wantChat // in event order; SQS records may start theirs in any order
}

// expect reads an event file's trigger and the chats that it carries.
// Messages without recipients go to localstack.DefaultRecipients, and a
// plain-text SNS or SQS message is the text of a chat to them. A record
// or event that carries a notification starts the chat in the sample's
// golden file (see goldenChats).
func expect(t *testing.T, name string, payload []byte) expectation {
	t.Helper()
	golden := goldenChats(t, name)
	var shape struct {
		Records []struct {
			EventSource string `json:"eventSource"` // also matches SNS's EventSource
		} `json:"Records"`
		RequestContext json.RawMessage `json:"requestContext"`
		DetailType     string          `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &shape); err != nil {
		t.Fatalf("event is not a JSON object: %v", err)
	}
	switch {
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sqs":
		var event events.SQSEvent
		decode(t, payload, &event)
		exp := expectation{kind: resultBatch}
		for i, record := range event.Records {
			exp.chats = append(exp.chats, golden.chatFor(i, func() wantChat {
				return messageChat(t, unwrapSNS(record.Body))
			}))
		}
		return exp
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sns":
		var event events.SNSEvent
		decode(t, payload, &event)
		exp := expectation{kind: resultChat}
		for i, record := range event.Records {
			exp.chats = append(exp.chats, golden.chatFor(i, func() wantChat {
				return messageChat(t, record.SNS.Message)
			}))
		}
		return exp
	case shape.DetailType != "":
		return expectation{kind: resultChat, chats: []wantChat{golden.chatFor(0, func() wantChat {
			var event events.EventBridgeEvent
			decode(t, payload, &event)
			detail := []byte(event.Detail)
			var text string
			if json.Unmarshal(detail, &text) == nil {
				detail = []byte(text)
			}
			return requestChat(t, detail)
		})}}
	case shape.RequestContext != nil:
		return expectation{kind: resultHTTP, chats: []wantChat{requestChat(t, httpBody(t, payload))}}
	}
	return expectation{kind: resultChat, chats: []wantChat{requestChat(t, payload)}}
}

// httpBody returns the decoded body of an API Gateway or function URL
// event, whose body and isBase64Encoded fields have the same names in
// payload versions 1.0 and 2.0.
func httpBody(t *testing.T, payload []byte) []byte {
	t.Helper()
	var event struct {
		Body            string `json:"body"`
		IsBase64Encoded bool   `json:"isBase64Encoded"`
	}
	decode(t, payload, &event)
	if !event.IsBase64Encoded {
		return []byte(event.Body)
	}
	body, err := base64.StdEncoding.DecodeString(event.Body)
	if err != nil {
		t.Fatalf("body is marked base64 but does not decode: %v", err)
	}
	return body
}

// unwrapSNS returns the Message of an SNS notification delivered to SQS
// without raw message delivery, or body itself.
func unwrapSNS(body string) string {
	var envelope struct {
		Type     string `json:"Type"`
		TopicArn string `json:"TopicArn"`
		Message  string `json:"Message"`
	}
	if json.Unmarshal([]byte(body), &envelope) != nil {
		return body
	}
	if envelope.Type != "Notification" || envelope.TopicArn == "" {
		return body
	}
	return envelope.Message
}

// messageChat reads an SNS or SQS message: a JSON chat request, or plain
// text for the default recipients.
func messageChat(t *testing.T, message string) wantChat {
	t.Helper()
	trimmed := strings.TrimSpace(message)
	if strings.HasPrefix(trimmed, "{") {
		return requestChat(t, []byte(trimmed))
	}
	return wantChat{Text: trimmed, Recipients: defaultRecipients()}
}

// requestChat reads a JSON chat request.
func requestChat(t *testing.T, data []byte) wantChat {
	t.Helper()
	var req wantChat
	decode(t, data, &req)
	if len(req.Recipients) == 0 && req.Helpdesk == nil {
		req.Recipients = defaultRecipients()
	}
	return req
}

func defaultRecipients() []string {
	return strings.Split(localstack.DefaultRecipients, ",")
}

func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decoding %T: %v", v, err)
	}
}
