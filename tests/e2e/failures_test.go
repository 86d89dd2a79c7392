package e2e_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// TestSQSBatchPartialFailure sends a batch of a good message, a message
// with empty text and a good message whose chat request gets 503 from OFS.
// Only the last two go back to the queue, and the first chat is sent once.
func TestSQSBatchPartialFailure(t *testing.T) {
	stack := localstacktest.Stack(t, localstack.StackConfig{})
	const (
		goodText        = "Batch check: the first message starts its chat"
		unavailableText = "Batch check: OFS is unavailable for this one"
	)
	batch := sqsBatch(t, []sqsMessage{
		{id: "batch-1-good", body: `{"text":"` + goodText + `","recipients":["tech23"]}`},
		{id: "batch-2-empty-text", body: `{"text":"","recipients":["tech17"]}`},
		{id: "batch-3-unavailable", body: `{"text":"` + unavailableText + `","recipients":["tech17"]}`},
	})
	// Enough uses for every attempt a retrying client could make, so that
	// the third chat fails however the client retries.
	stack.OFS.Emulator.Inject(emulator.Fault{Endpoint: emulator.EndpointChat,
		Status: http.StatusServiceUnavailable, BodyContains: unavailableText, Times: 10})

	body := invoke(t, stack, batch)

	checkBatchResult(t, body, []string{"batch-2-empty-text", "batch-3-unavailable"})
	checkChats(t, []wantChat{{Text: goodText, Recipients: []string{"tech23"}}},
		stack.OFS.Emulator.Chats(), false)
	if got := chatRequestsContaining(stack, goodText); got != 1 {
		t.Errorf("emulator got %d chat requests for the good message, want 1", got)
	}
	if got := chatRequestsContaining(stack, unavailableText); got < 1 {
		t.Errorf("emulator got %d chat requests for the unavailable message, want at least 1", got)
	}
	if got := chatRequestsContaining(stack, `"text":""`); got != 0 {
		t.Errorf("emulator got %d chat requests with empty text, want 0: the function rejects them", got)
	}
	checkNoSecrets(t, stack, [][]byte{body})
}

// chatRequestsContaining counts the chat requests whose body contains text.
func chatRequestsContaining(stack *localstack.Stack, text string) int {
	n := 0
	for _, req := range stack.OFS.Emulator.Requests() {
		if req.Endpoint == emulator.EndpointChat && bytes.Contains(req.Body, []byte(text)) {
			n++
		}
	}
	return n
}

type sqsMessage struct {
	id   string
	body string
}

// sqsBatch returns an SQS event with one record per message, each a copy of
// the first record of events/sqs.json with the message's ID and body.
func sqsBatch(t *testing.T, messages []sqsMessage) []byte {
	t.Helper()
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	sample, err := os.ReadFile(filepath.Join(root, "events", "sqs.json"))
	if err != nil {
		t.Fatalf("reading the SQS sample: %v", err)
	}
	var event struct {
		Records []map[string]any `json:"Records"`
	}
	decode(t, sample, &event)
	if len(event.Records) == 0 {
		t.Fatal("events/sqs.json has no records")
	}

	records := make([]map[string]any, len(messages))
	for i, message := range messages {
		record := map[string]any{}
		for key, value := range event.Records[0] {
			record[key] = value
		}
		record["messageId"] = message.id
		record["body"] = message.body
		delete(record, "md5OfBody") // the template's digest fits its own body only
		records[i] = record
	}

	batch, err := json.Marshal(map[string]any{"Records": records})
	if err != nil {
		t.Fatalf("encoding the batch: %v", err)
	}
	return batch
}

// TestEmptyEventsNameFix checks that an empty object and an empty payload,
// as `sam local invoke` without -e sends, are function errors whose
// message shows how to send a valid event.
func TestEmptyEventsNameFix(t *testing.T) {
	stack := localstacktest.Stack(t, localstack.StackConfig{})
	var responses [][]byte
	for _, tt := range []struct {
		name    string
		payload string
	}{
		{name: "empty object", payload: `{}`},
		{name: "empty payload", payload: ``},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := invoke(t, stack, []byte(tt.payload))
			responses = append(responses, body)
			fnErr, ok := localstack.ParseFunctionError(body)
			if !ok {
				t.Fatalf("Invoke(%q) = %s, want a function error", tt.payload, body)
			}
			if !strings.Contains(fnErr.Message, "sam local invoke") {
				t.Errorf("error message %q does not mention sam local invoke", fnErr.Message)
			}
			if fnErr.Type != "EventError" {
				t.Errorf("errorType = %q, want EventError", fnErr.Type)
			}
		})
	}
	if got := stack.OFS.Emulator.ChatRequests(); got != 0 {
		t.Errorf("emulator got %d chat requests, want 0", got)
	}
	checkNoSecrets(t, stack, responses)
}
