package notify

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the current output")

// sampleDefaults is the OFS_DEFAULT_RECIPIENTS of the golden files. It
// equals localstack.DefaultRecipients, which the end-to-end test and the
// demo set, so that they expect the same chats.
var sampleDefaults = []string{"tech17"}

// exampleNotifier returns the Notifier of the golden files: the built-in
// templates with the rules in examples/routes.json and
// examples/attachments.json.
func exampleNotifier(t *testing.T) *Notifier {
	t.Helper()
	env := map[string]string{
		EnvRoutes:      readFile(t, filepath.Join("..", "..", "examples", "routes.json")),
		EnvAttachments: readFile(t, filepath.Join("..", "..", "examples", "attachments.json")),
	}
	n, err := FromEnv(func(name string) string { return env[name] }, sampleDefaults)
	if err != nil {
		t.Fatalf("FromEnv with the examples: %v", err)
	}
	return n
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestGoldenSamples turns every notification in events/*.json into a chat
// request and compares the requests with testdata/golden/<file>: a JSON
// list with one entry per record (one for an EventBridge event), null where
// the record carries a chat request instead. Samples without notifications
// have no golden file. go test -run TestGoldenSamples -update rewrites them.
func TestGoldenSamples(t *testing.T) {
	n := exampleNotifier(t)
	samples, err := filepath.Glob(filepath.Join("..", "..", "events", "*.json"))
	if err != nil || len(samples) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	wantGolden := map[string]bool{}
	for _, sample := range samples {
		name := filepath.Base(sample)
		requests := sampleRequests(t, n, []byte(readFile(t, sample)))
		if requests == nil {
			continue
		}
		wantGolden[name] = true
		t.Run(name, func(t *testing.T) {
			for i, req := range requests {
				if req != nil {
					checkReadable(t, i, *req)
				}
			}
			got, err := json.MarshalIndent(requests, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want := readFile(t, path); string(got) != want {
				t.Errorf("chat requests differ from %s (go test -run TestGoldenSamples -update rewrites it)\n"+
					"got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
	goldens, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	for _, golden := range goldens {
		if !wantGolden[filepath.Base(golden)] {
			t.Errorf("%s has no sample with a notification in events/; delete it", golden)
		}
	}
}

// checkReadable checks that a request is one OFS accepts and that its
// text has no trace of a template gone wrong.
func checkReadable(t *testing.T, record int, req ofs.ChatRequest) {
	t.Helper()
	if _, err := req.Normalize(); err != nil {
		t.Errorf("record %d: OFS would reject the request: %v", record, err)
	}
	for _, trace := range []string{"<no value>", "%!", "map[", "<nil>"} {
		if strings.Contains(req.Text, trace) {
			t.Errorf("record %d: text contains %q:\n%s", record, trace, req.Text)
		}
	}
}

// sampleRequests returns one entry per record of a sample event: the chat
// request of a notification, or nil for a chat request. It returns nil
// when the sample carries no notification.
func sampleRequests(t *testing.T, n *Notifier, payload []byte) []*ofs.ChatRequest {
	t.Helper()
	var shape struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
		DetailType *string `json:"detail-type"`
	}
	if err := json.Unmarshal(payload, &shape); err != nil {
		t.Fatal(err)
	}
	var requests []*ofs.ChatRequest
	switch {
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sns":
		var event events.SNSEvent
		mustDecode(t, payload, &event)
		for _, record := range event.Records {
			d := Delivery{TopicARN: record.SNS.TopicArn, Attributes: SNSAttributes(record.SNS.MessageAttributes)}
			requests = append(requests, messageRequest(t, n, record.SNS.Message, d))
		}
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sqs":
		var event events.SQSEvent
		mustDecode(t, payload, &event)
		for _, record := range event.Records {
			requests = append(requests, messageRequest(t, n, record.Body,
				Delivery{Attributes: SQSAttributes(record.MessageAttributes)}))
		}
	case shape.DetailType != nil:
		var event events.EventBridgeEvent
		mustDecode(t, payload, &event)
		requests = append(requests, eventRequest(t, n, event, Delivery{}))
	}
	for _, req := range requests {
		if req != nil {
			return requests
		}
	}
	return nil
}

// messageRequest returns the chat request of an SNS message or SQS body,
// unwrapping an SNS envelope, or nil for a chat request.
func messageRequest(t *testing.T, n *Notifier, message string, d Delivery) *ofs.ChatRequest {
	t.Helper()
	var envelope struct {
		Type              string         `json:"Type"`
		TopicArn          string         `json:"TopicArn"`
		Message           string         `json:"Message"`
		MessageAttributes map[string]any `json:"MessageAttributes"`
	}
	if json.Unmarshal([]byte(message), &envelope) == nil && envelope.Type == "Notification" && envelope.TopicArn != "" {
		message = envelope.Message
		d = Delivery{TopicARN: envelope.TopicArn, Attributes: SNSAttributes(envelope.MessageAttributes)}
	}
	message = strings.TrimSpace(message)
	var result Result
	var err error
	switch ClassifyMessage(message) {
	case KindText:
		result, err = n.Text(message, d)
	case KindAlarm:
		result, err = n.Alarm([]byte(message), d)
	case KindEvent:
		var event events.EventBridgeEvent
		mustDecode(t, []byte(message), &event)
		return eventRequest(t, n, event, d)
	default:
		return nil
	}
	if err != nil {
		t.Fatalf("making the chat request: %v", err)
	}
	return &result.Request
}

func eventRequest(t *testing.T, n *Notifier, event events.EventBridgeEvent, d Delivery) *ofs.ChatRequest {
	t.Helper()
	if DetailIsChatRequest(event.DetailType, event.Detail) {
		return nil
	}
	result, err := n.Event(event, d)
	if err != nil {
		t.Fatalf("Event(%s): %v", event.ID, err)
	}
	if result.Fallback != nil {
		t.Errorf("Event(%s) fell back to a built-in template: %v", event.ID, result.Fallback)
	}
	return &result.Request
}

func mustDecode(t *testing.T, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %T: %v", v, err)
	}
}
