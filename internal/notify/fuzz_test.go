package notify

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// FuzzNotification feeds arbitrary messages to the classifier and the
// formatters. They must never panic, every chat text must fit in
// ofs.MaxTextLength, and every failure must be one of the package's error
// types.
func FuzzNotification(f *testing.F) {
	for _, seed := range []string{
		"Gate 3 is blocked", `{"text":"hi"}`, strings.Repeat("😀", 600),
		`{"AlarmName":"a","NewStateValue":"ALARM","StateChangeTime":"x","Trigger":{"Dimensions":[{}]}}`,
		`{"source":"aws.ec2","detail-type":"EC2 Instance State-change Notification","detail":{"state":1}}`,
		`{"source":"aws.health","detail-type":"AWS Health Event","detail":{"eventDescription":[{"latestDescription":null}]}}`,
		`{"source":"s","detail-type":"d","detail":{"recipients":[1],"helpdesk":"x","a":[[{"b":[]}]]}}`,
	} {
		f.Add(seed)
	}
	n := New(Config{DefaultRecipients: []string{"tech17"}})
	f.Fuzz(func(t *testing.T, message string) {
		message = strings.TrimSpace(message)
		var result Result
		var err error
		switch ClassifyMessage(message) {
		case KindText:
			if message == "" {
				return
			}
			result, err = n.Text(message, Delivery{})
		case KindAlarm:
			result, err = n.Alarm([]byte(message), Delivery{})
		case KindEvent:
			var event events.EventBridgeEvent
			if json.Unmarshal([]byte(message), &event) != nil || DetailIsChatRequest(event.DetailType, event.Detail) {
				return
			}
			result, err = n.Event(event, Delivery{})
		default:
			return
		}
		var eventErr *EventError
		var templateErr *TemplateError
		if err != nil {
			if !errors.As(err, &eventErr) && !errors.As(err, &templateErr) {
				t.Fatalf("error %v (%T) is not an *EventError or *TemplateError", err, err)
			}
			return
		}
		if got := ofs.TextLength(result.Request.Text); got > ofs.MaxTextLength {
			t.Fatalf("text has %d UTF-16 code units, more than %d", got, ofs.MaxTextLength)
		}
		if utf8.ValidString(message) && !utf8.ValidString(result.Request.Text) {
			t.Fatalf("text %q is not valid UTF-8", result.Request.Text)
		}
	})
}
