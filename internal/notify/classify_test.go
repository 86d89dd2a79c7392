package notify

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestClassifyMessage(t *testing.T) {
	tests := []struct {
		name, message string
		want          Kind
	}{
		{"chat request", `{"text":"hi","recipients":["tech17"]}`, KindChatRequest},
		{"misspelt chat request", `{"text":"hi","recipient":["tech17"]}`, KindChatRequest},
		{"chat request without text", `{"txt":"hi"}`, KindChatRequest},
		{"broken JSON", `{"text":`, KindChatRequest},
		{"plain text", "Gate 3 is blocked", KindText},
		{"bracketed text", "[ALARM] gate 3", KindText},
		{"alarm", `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{}}`, KindAlarm},
		{"alarm name of wrong type", `{"AlarmName":5,"NewStateValue":"ALARM"}`, KindChatRequest},
		{"alarm with text", `{"AlarmName":"a","NewStateValue":"ALARM","text":"hi"}`, KindChatRequest},
		{"event", `{"source":"aws.ec2","detail-type":"x","detail":{}}`, KindEvent},
		{"event without detail", `{"source":"aws.ec2","detail-type":"x"}`, KindChatRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ClassifyMessage(tt.message); got != tt.want {
				t.Errorf("ClassifyMessage(%s) = %d, want %d", tt.message, got, tt.want)
			}
		})
	}
}

func TestDetailIsChatRequest(t *testing.T) {
	tests := []struct {
		name, detailType, detail string
		want                     bool
	}{
		{"chat request detail", "Job", `{"text":"hi"}`, true},
		{"Start Chat with a typo", ChatRequestDetailType, `{"txt":"hi"}`, true},
		{"detail as a JSON string", "Job", `"{\"text\":\"hi\"}"`, true},
		{"array detail", "Job", `[1]`, true},
		{"null detail", "Job", `null`, true},
		{"EC2 state change", "EC2 Instance State-change Notification", `{"instance-id":"i-1","state":"stopped"}`, false},
		{"empty object", "Scheduled Event", `{}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetailIsChatRequest(tt.detailType, json.RawMessage(tt.detail)); got != tt.want {
				t.Errorf("DetailIsChatRequest(%q, %s) = %v, want %v", tt.detailType, tt.detail, got, tt.want)
			}
		})
	}
}

func TestEventRejectsDetail(t *testing.T) {
	n := New(Config{DefaultRecipients: []string{"tech17"}})
	for _, detail := range []string{`[1,2]`, `{"a":`} {
		if _, err := event("acme.dispatch", "Job", detail)(n); err == nil {
			t.Errorf("Event with detail %s succeeded, want an error", detail)
		}
	}
	if _, err := n.Alarm([]byte(`{"AlarmName":5}`), Delivery{}); err == nil {
		t.Errorf("Alarm with a numeric AlarmName succeeded, want an error")
	}
}

func TestAttachments(t *testing.T) {
	rules, err := ParseAttachments([]byte(`[
		{"source": "acme.dispatch", "type": "activity", "field": "detail.activityId"},
		{"source": "acme.dispatch", "type": "inventory", "field": "detail.parts.*.inventoryId"},
		{"topicArn": "` + alarmTopic + `", "type": "resource", "field": "Trigger.Dimensions.0.value"}
	]`))
	if err != nil {
		t.Fatalf("ParseAttachments: %v", err)
	}
	n := New(Config{Attachments: rules, DefaultRecipients: []string{"tech17"}})
	tests := []struct {
		name, detail   string
		wantType, want string
	}{
		{"string ID", `{"activityId":"4225274"}`, "activity", "4225274"},
		{"number ID kept as written", `{"activityId":4225274}`, "activity", "4225274"},
		{"next rule when the field is absent", `{"parts":[{"inventoryId":""},{"inventoryId":"88"}]}`, "inventory", "88"},
		{"object is no ID", `{"activityId":{"id":"1"}}`, "", ""},
		{"no field", `{}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := event("acme.dispatch", "Activity Overdue", tt.detail)(n)
			if err != nil {
				t.Fatal(err)
			}
			got := result.Request.Attachment
			switch {
			case tt.want == "" && got != nil:
				t.Errorf("Attachment = %+v, want none", got)
			case tt.want != "" && (got == nil || got.Type != tt.wantType || got.ID != tt.want):
				t.Errorf("Attachment = %+v, want %s %s", got, tt.wantType, tt.want)
			}
		})
	}
	alarm := `{"AlarmName":"a","NewStateValue":"ALARM","Trigger":{"MetricName":"m",` +
		`"Dimensions":[{"name":"Resource","value":"tech17-van"}]}}`
	result, err := n.Alarm([]byte(alarm), Delivery{TopicARN: alarmTopic})
	if got := result.Request.Attachment; err != nil || got == nil || got.Type != "resource" || got.ID != "tech17-van" {
		t.Errorf("alarm Attachment = %+v, %v; want resource tech17-van", got, err)
	}
}

func TestParseAttachmentsRejects(t *testing.T) {
	tests := []struct{ name, rules, want string }{
		{"image", `[{"type":"image","field":"detail.x"}]`, `type "image" is not one of`},
		{"no field", `[{"type":"activity"}]`, "rule 1 has no field"},
		{"unknown member", `[{"type":"activity","field":"x","path":"y"}]`, `unknown field "path"`},
		{"not a list", `{"type":"activity","field":"x"}`, "not a JSON list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAttachments([]byte(tt.rules))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseAttachments error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSummaryKeepsOrder(t *testing.T) {
	e := &Event{rawDetail: json.RawMessage(`{"zone":"b","state":{"value":"x","reason":""},` +
		`"tags":["a","b"],"items":[{"id":1}],"recipients":["tech17"],"note":null,"long":"` +
		strings.Repeat("w ", 100) + `"}`)}
	summary := e.Summary()
	want := "zone: b; state.value: x; tags: a, b; items.0.id: 1; long: "
	if !strings.HasPrefix(summary, want) {
		t.Errorf("Summary = %q, want it to start with %q", summary, want)
	}
	if strings.Contains(summary, "recipients") {
		t.Errorf("Summary = %q, want the routing member recipients left out", summary)
	}
	if !strings.HasSuffix(summary, "…") {
		t.Errorf("Summary = %q, want the long value shortened with …", summary)
	}
}

func TestSummaryIsBounded(t *testing.T) {
	members := make([]string, 0, 100)
	for i := range 100 {
		members = append(members, `"member`+strings.Repeat("x", i%7)+`":"value"`)
	}
	e := &Event{rawDetail: json.RawMessage("{" + strings.Join(members, ",") + "}")}
	if got := len([]rune(e.Summary())); got > maxSummaryLength {
		t.Errorf("Summary has %d characters, want at most %d", got, maxSummaryLength)
	}
}

func TestFieldText(t *testing.T) {
	detail, err := decodeJSON([]byte(`{"a":{"b":[{"c":"x"},{"c":"y"},{"d":1}]},"n":12345678901,"f":true}`))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"a.b.*.c": "x, y",
		"a.b.1.c": "y",
		"a.b.5.c": "",
		"n":       "12345678901",
		"f":       "true",
		"missing": "",
		"a.b.2":   `{"d":1}`,
	}
	for path, want := range tests {
		if got := fieldText(detail, path); got != want {
			t.Errorf("field %q = %q, want %q", path, got, want)
		}
	}
}

func TestSummarySkipsDeepValues(t *testing.T) {
	deep := strings.Repeat(`[`, 5000) + `1` + strings.Repeat(`]`, 5000)
	e := &Event{rawDetail: json.RawMessage(`{"a":` + deep + `,"b":{"c":[{"d":"x"}]},"e":"after"}`)}
	if got, want := e.Summary(), "b.c.0.d: x; e: after"; got != want {
		t.Errorf("Summary = %q, want %q: values nested deeper than %d levels are skipped",
			got, want, maxSummaryDepth)
	}
}
