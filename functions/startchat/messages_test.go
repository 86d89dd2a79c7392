package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const (
	// testAlarm is the alarm JSON that CloudWatch publishes to SNS, cut to
	// the members that the text uses.
	testAlarm = `{"AlarmName":"dispatch-api-5xx","NewStateValue":"ALARM","OldStateValue":"OK",` +
		`"NewStateReason":"Threshold Crossed","StateChangeTime":"2025-12-04T16:20:31.264+0000",` +
		`"Region":"US East (N. Virginia)","AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:dispatch-api-5xx"}`
	testEC2Event = `{"version":"0","id":"eb-3","detail-type":"EC2 Instance State-change Notification",` +
		`"source":"aws.ec2","region":"us-east-1","time":"2025-12-04T16:26:02Z",` +
		`"detail":{"instance-id":"i-0abc","state":"stopped"}}`
	testAlarmTopic = "arn:aws:sns:us-east-1:123456789012:ops-alarms"
)

func TestMessageRequest(t *testing.T) {
	tests := []struct {
		name, message  string
		defaults       []string
		wantText       string // a prefix of the chat text
		wantRecipients []string
		wantErr        string
	}{
		{"JSON request", `{"text":"hi","recipients":["tech23"]}`, nil, "hi", []string{"tech23"}, ""},
		{"plain text", "  Gate 3 is blocked\n", []string{"tech17"}, "Gate 3 is blocked", []string{"tech17"}, ""},
		{"plain text without defaults", "Gate 3 is blocked", nil, "", nil, "OFS_DEFAULT_RECIPIENTS is empty"},
		{"braces but not JSON", "{gate 3} blocked", []string{"tech17"}, "", nil, "starts with { but is not valid JSON"},
		{"empty", "  ", []string{"tech17"}, "", nil, "is empty"},
		{"broken JSON", `{"text":"hi","recipients":["tech23"],}`, []string{"tech17"}, "", nil, "not valid JSON"},
		{"BOM before JSON", "\ufeff{\"text\":\"hi\"}", []string{"tech17"}, "hi", []string{"tech17"}, ""},
		{"bracketed plain text", "[ALARM] gate 3", []string{"tech17"}, "[ALARM] gate 3", []string{"tech17"}, ""},
		{"misspelt chat request", `{"text":"hi","recipient":["tech23"]}`, []string{"tech17"}, "", nil,
			`unknown field "recipient"`},
		{"object that is no notification", `{"message":"hi"}`, []string{"tech17"}, "", nil, `unknown field "message"`},
		{"CloudWatch alarm", testAlarm, []string{"tech17"}, "CloudWatch alarm dispatch-api-5xx is ALARM (was OK)",
			[]string{"tech17"}, ""},
		{"EventBridge event", testEC2Event, []string{"tech17"}, "EC2 instance i-0abc is stopped", []string{"tech17"}, ""},
		{"EventBridge chat request", `{"source":"ofs-startchat","detail-type":"Start Chat",` +
			`"detail":{"text":"Van 4 is ready"}}`, []string{"tech17"}, "Van 4 is ready", []string{"tech17"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHandler(settings{DefaultRecipients: tt.defaults}, nil, slog.New(slog.DiscardHandler))
			req, err := h.messageRequest(context.Background(), h.log, "m1", "SNS message m1", tt.message, notify.Delivery{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("messageRequest: %v", err)
			}
			if !strings.HasPrefix(req.Text, tt.wantText) {
				t.Errorf("text = %q, want it to start with %q", req.Text, tt.wantText)
			}
			if !slices.Equal(req.Recipients, tt.wantRecipients) {
				t.Errorf("recipients = %q, want %q", req.Recipients, tt.wantRecipients)
			}
		})
	}
}

func TestNotificationErrorTypes(t *testing.T) {
	h := newHandler(settings{}, nil, slog.New(slog.DiscardHandler))
	_, err := h.messageRequest(context.Background(), h.log, "m1", "SNS message m1", "Gate 3 is blocked",
		notify.Delivery{TopicARN: testAlarmTopic})
	var configErr *ConfigError
	if !errors.As(err, &configErr) || !strings.Contains(err.Error(), testAlarmTopic) {
		t.Errorf("unrouted text: error = %v, want a *ConfigError naming the topic", err)
	}
	_, err = h.messageRequest(context.Background(), h.log, "m2", "SNS message m2", `{"AlarmName":"a","NewStateValue":"ALARM","Region":5}`,
		notify.Delivery{})
	var eventErr *EventError
	if !errors.As(err, &eventErr) || !strings.HasPrefix(eventErr.Reason, "SNS message m2: ") {
		t.Errorf("broken alarm: error = %v, want an *EventError naming the message", err)
	}
}

// routedStack is a stack whose notifier has the routing rules in routes.
func routedStack(t *testing.T, routes string) *stack {
	t.Helper()
	s := newStack(t)
	env := map[string]string{notify.EnvRoutes: routes}
	notifier, err := notify.FromEnv(func(k string) string { return env[k] }, s.handler.settings.DefaultRecipients)
	if err != nil {
		t.Fatalf("FromEnv: %v", err)
	}
	s.handler.settings.Notifier = notifier
	return s
}

func TestSNSAlarmStartsRoutedChat(t *testing.T) {
	s := routedStack(t, `[{"topicArn":"`+testAlarmTopic+`","recipients":["tech23"]}]`)
	event := snsEvent(t, testAlarmTopic, testAlarm, nil)
	var chat ofs.Chat
	if err := s.invoke(t, event, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 {
		t.Fatalf("chats = %+v, want one", chats)
	}
	if !strings.HasPrefix(chats[0].Text, "CloudWatch alarm dispatch-api-5xx is ALARM") {
		t.Errorf("text = %q, want the alarm's text", chats[0].Text)
	}
	if got := strings.Join(chats[0].Recipients, ","); got != "tech23" {
		t.Errorf("recipients = %s, want tech23 from the topic's rule", got)
	}
	if !strings.Contains(s.logs.String(), `"route":"rule 1"`) {
		t.Errorf("logs do not say which rule routed the chat:\n%s", s.logs)
	}
}

func TestEventBridgeNotificationToHelpdesk(t *testing.T) {
	s := routedStack(t, `[{"source":"aws.ec2","helpdesk":2001}]`)
	var chat ofs.Chat
	if err := s.invoke(t, testEC2Event, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 || chats[0].Helpdesk == nil || *chats[0].Helpdesk != 2001 {
		t.Fatalf("chats = %+v, want one to helpdesk 2001", chats)
	}
	if want := "EC2 instance i-0abc is stopped\nRegion: us-east-1\nTime: 2025-12-04 16:26:02 UTC"; chats[0].Text != want {
		t.Errorf("text = %q, want %q", chats[0].Text, want)
	}
}

func TestUnroutedNotificationIsNotDropped(t *testing.T) {
	s := newStack(t)
	s.handler.settings.DefaultRecipients = nil
	err := s.invoke(t, testEC2Event, nil)
	var configErr *ConfigError
	if !errors.As(err, &configErr) || !strings.Contains(err.Error(), "OFS_ROUTES") {
		t.Fatalf("EventBridge error = %v, want a *ConfigError naming OFS_ROUTES", err)
	}
	var response events.SQSEventResponse
	if err := s.invoke(t, sqsEvent(testAlarm, `{"text":"Gate 3 is blocked","recipients":["tech23"]}`), &response); err != nil {
		t.Fatalf("SQS Invoke: %v", err)
	}
	if len(response.BatchItemFailures) != 1 || response.BatchItemFailures[0].ItemIdentifier != "msg-1" {
		t.Errorf("batchItemFailures = %+v, want only msg-1, the unrouted alarm", response.BatchItemFailures)
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1, the chat request's", got)
	}
}

func TestSQSNotificationsRouted(t *testing.T) {
	s := routedStack(t, `[{"topicArn":"`+testAlarmTopic+`","recipients":["tech23"]}]`)
	envelope, err := json.Marshal(map[string]any{"Type": "Notification", "MessageId": "n1",
		"TopicArn": testAlarmTopic, "Message": testAlarm})
	if err != nil {
		t.Fatal(err)
	}
	var batch events.SQSEvent
	if err := json.Unmarshal([]byte(sqsEvent(string(envelope), testEC2Event, "Gate 3 is blocked")), &batch); err != nil {
		t.Fatal(err)
	}
	batch.Records[2].MessageAttributes = map[string]events.SQSMessageAttribute{
		notify.AttributeRecipients: {DataType: "String", StringValue: new("tech23, tech17")}}
	payload, _ := json.Marshal(batch)

	var response events.SQSEventResponse
	if err := s.invoke(t, string(payload), &response); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if len(response.BatchItemFailures) != 0 {
		t.Fatalf("batchItemFailures = %+v, want none", response.BatchItemFailures)
	}

	want := map[string]string{
		"CloudWatch alarm dispatch-api-5xx is ALARM": "tech23",
		"EC2 instance i-0abc is stopped":             "tech17",
		"Gate 3 is blocked":                          "tech23,tech17",
	}
	for _, chat := range s.emu.Chats() {
		firstLine, _, _ := strings.Cut(chat.Text, "\n")
		prefix := firstLine
		if i := strings.Index(firstLine, " (was"); i >= 0 {
			prefix = firstLine[:i]
		}
		recipients, ok := want[prefix]
		if !ok {
			t.Errorf("unexpected chat %q", chat.Text)
			continue
		}
		if got := strings.Join(chat.Recipients, ","); got != recipients {
			t.Errorf("chat %q went to %s, want %s", prefix, got, recipients)
		}
		delete(want, prefix)
	}
	for prefix := range want {
		t.Errorf("no chat started for %q", prefix)
	}
}

func TestLongPlainTextIsCut(t *testing.T) {
	s := newStack(t)
	var chat ofs.Chat
	if err := s.invoke(t, snsEvent(t, testAlarmTopic, strings.Repeat("Überlauf 😀 ", 150), nil), &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 {
		t.Fatalf("chats = %+v, want one", chats)
	}
	if n := ofs.TextLength(chats[0].Text); n > ofs.MaxTextLength || n < ofs.MaxTextLength-1 {
		t.Errorf("TextLength = %d, want %d, or one less where a surrogate pair straddles the cut",
			n, ofs.MaxTextLength)
	}
	if !strings.HasSuffix(chats[0].Text, notify.TruncationMarker) {
		t.Errorf("text does not end with %q", notify.TruncationMarker)
	}
}

// snsEvent builds an SNS event with one record from topic.
func snsEvent(t *testing.T, topic, message string, attributes map[string]any) string {
	t.Helper()
	event := events.SNSEvent{Records: []events.SNSEventRecord{{EventSource: "aws:sns",
		SNS: events.SNSEntity{MessageID: "sns-9", TopicArn: topic, Message: message, MessageAttributes: attributes}}}}
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
