package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestJudgeResults(t *testing.T) {
	chat := []emulator.Chat{{ID: 48213, Type: "normal", Recipients: []string{"tech17"}}}
	sqsEvent := `{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:sqs"}]}`
	tests := []struct {
		name        string
		event       string
		status      int
		body        string
		chats       []emulator.Chat
		wantOK      bool
		wantSummary string
		wantProblem string
	}{
		{name: "chat", body: `{"chatId":48213,"type":"normal"}`, chats: chat, wantOK: true},
		{name: "chat without emulator chat", body: `{"chatId":48213}`,
			wantProblem: "the emulator started no chat"},
		{name: "HTTP created", body: `{"statusCode":201,"body":"{}"}`, chats: chat, wantOK: true,
			wantSummary: "201 Created"},
		{name: "HTTP bad request", body: `{"statusCode":400,"body":"{\"error\":\"invalid_request\",\"message\":\"no text\"}"}`,
			wantSummary: "400 Bad Request", wantProblem: "invalid_request: no text"},
		{name: "SQS all started", event: sqsEvent, body: `{"batchItemFailures":[]}`, chats: chat,
			wantOK: true, wantSummary: "2 records, 0 batch item failures"},
		{name: "SQS one failed", event: sqsEvent, body: `{"batchItemFailures":[{"itemIdentifier":"m2"}]}`,
			chats: chat, wantSummary: "2 records, 1 batch item failure", wantProblem: "redelivered: m2"},
		{name: "function error", body: `{"errorMessage":"startchat: the event is empty","errorType":"EventError"}`,
			wantSummary: "function error EventError", wantProblem: "startchat: the event is empty"},
		{name: "RIE error status", status: 502, body: `boom`, wantSummary: "RIE returned status 502",
			wantProblem: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := tt.status
			if status == 0 {
				status = 200
			}
			got := judge([]byte(tt.event), status, []byte(tt.body), tt.chats)
			if got.ok != tt.wantOK {
				t.Errorf("judge(%s).ok = %v, want %v", tt.body, got.ok, tt.wantOK)
			}
			if got.summary != tt.wantSummary {
				t.Errorf("judge(%s).summary = %q, want %q", tt.body, got.summary, tt.wantSummary)
			}
			if got.problem != tt.wantProblem {
				t.Errorf("judge(%s).problem = %q, want %q", tt.body, got.problem, tt.wantProblem)
			}
		})
	}
}

func TestTriggerNameOfSamples(t *testing.T) {
	want := map[string]string{
		"apigw-http.json":                   "API Gateway HTTP",
		"apigw-rest.json":                   "API Gateway REST",
		"apigw-rest-base64.json":            "API Gateway REST",
		"direct.json":                       "direct or Scheduler",
		"eventbridge.json":                  "EventBridge rule",
		"eventbridge-detail-string.json":    "EventBridge rule",
		"function-url.json":                 "function URL",
		"schedule.json":                     "direct or Scheduler",
		"sns.json":                          "SNS",
		"sns-plain-text.json":               "SNS",
		"sqs.json":                          "SQS",
		"sns-cloudwatch-alarm.json":         "SNS",
		"eventbridge-cloudwatch-alarm.json": "EventBridge rule",
		"eventbridge-custom-overdue.json":   "EventBridge rule",
		"eventbridge-ec2-state-change.json": "EventBridge rule",
		"eventbridge-health.json":           "EventBridge rule",
		"eventbridge-rds-event.json":        "EventBridge rule",
	}
	for file, wantName := range want {
		payload, err := os.ReadFile(filepath.Join("..", "..", "events", file))
		if err != nil {
			t.Errorf("reading %s: %v", file, err)
			continue
		}
		if got := triggerName(payload); got != wantName {
			t.Errorf("triggerName(%s) = %q, want %q", file, got, wantName)
		}
	}
}

func TestReportFailedEvent(t *testing.T) {
	var out bytes.Buffer
	r := newReport(&out, []string{"events/sqs.json"})
	r.add(outcome{file: "sqs.json", trigger: "SQS", summary: "3 records, 1 batch item failure",
		problem: "redelivered: m2", log: []string{"message rejected (m2): startchat: empty"}})
	err := r.finish(1, 1)
	if err == nil || !strings.Contains(err.Error(), "sqs.json") {
		t.Errorf("finish = %v, want an error naming sqs.json", err)
	}
	for _, want := range []string{"FAIL  sqs.json", "redelivered: m2", "log: message rejected (m2)",
		"1 event: 0 started their chats, 1 failed."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestReportShowsChatText(t *testing.T) {
	var out bytes.Buffer
	r := newReport(&out, []string{"events/eventbridge-custom-overdue.json"})
	r.add(outcome{file: "eventbridge-custom-overdue.json", trigger: "EventBridge rule", ok: true,
		chats: []emulator.Chat{{ID: 7, Type: "normal", Recipients: []string{"tech23"},
			Text:       "Activity Overdue from acme.dispatch\nRegion: us-east-1",
			Attachment: []byte(`{"type":"activity","id":"4225274"}`)}}})
	for _, want := range []string{"chat 7 (normal) to tech23, attachment activity 4225274",
		"| Activity Overdue from acme.dispatch\n", "| Region: us-east-1\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report output lacks %q:\n%s", want, out.String())
		}
	}
}
