package main

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
)

func TestDetectTriggerSamples(t *testing.T) {
	want := map[string]trigger{
		"direct.json":                       triggerDirect,
		"schedule.json":                     triggerDirect,
		"apigw-rest.json":                   triggerHTTPv1,
		"apigw-rest-base64.json":            triggerHTTPv1,
		"apigw-http.json":                   triggerHTTPv2,
		"function-url.json":                 triggerHTTPv2,
		"sns.json":                          triggerSNS,
		"sns-plain-text.json":               triggerSNS,
		"sqs.json":                          triggerSQS,
		"eventbridge.json":                  triggerEventBridge,
		"eventbridge-detail-string.json":    triggerEventBridge,
		"eventbridge-cloudwatch-alarm.json": triggerEventBridge,
		"eventbridge-custom-overdue.json":   triggerEventBridge,
		"eventbridge-ec2-state-change.json": triggerEventBridge,
		"eventbridge-health.json":           triggerEventBridge,
		"eventbridge-rds-event.json":        triggerEventBridge,
		"sns-cloudwatch-alarm.json":         triggerSNS,
	}
	files, err := filepath.Glob("../../events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events found: %v", err)
	}
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			expected, ok := want[name]
			if !ok {
				t.Fatalf("%s has no expected trigger; add it to this test", name)
			}
			payload, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := detectTrigger(payload)
			if err != nil || got != expected {
				t.Errorf("detectTrigger(%s) = %q, %v; want %q", name, got, err, expected)
			}
		})
	}
}

func TestDetectTriggerRejects(t *testing.T) {
	tests := []struct {
		name, payload, wantText string
	}{
		{"empty", "", "sam local invoke"},
		{"blank", " \n", "sam local invoke"},
		{"null", "null", "sam local invoke"},
		{"array", `[{"text":"hi"}]`, "not a JSON object"},
		{"string", `"hi"`, "not a JSON object"},
		{"broken JSON", `{"text":`, "not valid JSON"},
		{"routing field of another type", `{"text":"hi","version":2}`, "unexpected shape"},
		{"S3 records", `{"Records":[{"eventSource":"aws:s3"}]}`, `"aws:s3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := detectTrigger([]byte(tt.payload))
			var eventErr *EventError
			if !errors.As(err, &eventErr) {
				t.Fatalf("detectTrigger(%q) error = %v, want an *EventError", tt.payload, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestHTTPv2NeverReadAsV1(t *testing.T) {
	// An HTTP API 2.0 event that also carries httpMethod must stay 2.0.
	payload := `{"version":"2.0","routeKey":"POST /chats","httpMethod":"POST","requestContext":{"http":{"method":"POST"}}}`
	if got, _ := detectTrigger([]byte(payload)); got != triggerHTTPv2 {
		t.Errorf("detectTrigger = %q, want %q", got, triggerHTTPv2)
	}
}

func TestDecodeChatRequest(t *testing.T) {
	defaults := []string{"tech17"}
	tests := []struct {
		name, data     string
		wantRecipients []string
		wantErr        string
	}{
		{"explicit recipients", `{"text":"hi","recipients":["tech23"]}`, []string{"tech23"}, ""},
		{"defaults fill in", `{"text":"hi"}`, []string{"tech17"}, ""},
		{"helpdesk keeps no recipients", `{"text":"hi","helpdesk":5}`, nil, ""},
		{"empty object", `{}`, nil, "sam local invoke"},
		{"misspelt field", `{"text":"hi","recipient":["tech23"]}`, nil, `unknown field "recipient"`},
		{"text not a string", `{"text":5}`, nil, "field text is a JSON number"},
		{"two objects", `{"text":"hi"} {"text":"again"}`, nil, "data after the JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := decodeChatRequest([]byte(tt.data), "the event", defaults)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeChatRequest: %v", err)
			}
			if !reflect.DeepEqual(req.Recipients, tt.wantRecipients) {
				t.Errorf("Recipients = %q, want %q", req.Recipients, tt.wantRecipients)
			}
		})
	}
}

func TestLoadSettings(t *testing.T) {
	env := map[string]string{
		envSecretID:          " ofs/startchat ",
		envDefaultRecipients: "tech17, ,tech23,",
		envSecretCacheTTL:    "90s",
	}
	s, err := loadSettings(func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("loadSettings: %v", err)
	}
	if s.SecretID != "ofs/startchat" || !reflect.DeepEqual(s.DefaultRecipients, []string{"tech17", "tech23"}) ||
		s.SecretTTL.Seconds() != 90 {
		t.Errorf("settings = %+v", s)
	}
	for name, bad := range map[string]map[string]string{
		"no secret id":         {},
		"bad ttl":              {envSecretID: "x", envSecretCacheTTL: "five minutes"},
		"http base URL":        {envSecretID: "x", envBaseURL: "http://acme.fs.ocs.oraclecloud.com"},
		"base URL with path":   {envSecretID: "x", envBaseURL: "https://acme.fs.ocs.oraclecloud.com/rest"},
		"rule without matcher": {envSecretID: "x", notify.EnvRoutes: `[{"recipients":["tech17"]}]`},
	} {
		if _, err := loadSettings(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("%s: loadSettings succeeded, want an error", name)
		}
	}
}
