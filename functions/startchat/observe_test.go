package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// withIdempotency gives the stack's handler a store on a new moto table.
func (s *stack) withIdempotency(t *testing.T) {
	t.Helper()
	table := fmt.Sprintf("idempotency-%d", secretSerial.Add(1))
	if err := localstack.CreateIdempotencyTable(context.Background(), motoServer.URL(), table); err != nil {
		t.Fatal(err)
	}
	s.handler.idem = idempotency.New(localstack.DynamoClient(motoServer.URL()), table, 0, nil)
}

func TestDuplicateSQSDeliveryStartsOneChat(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	batch := sqsEvent(`{"text":"Gate 3 is blocked"}`)
	var first, second events.SQSEventResponse
	if err := s.invoke(t, batch, &first); err != nil {
		t.Fatal(err)
	}
	if err := s.invoke(t, batch, &second); err != nil {
		t.Fatal(err)
	}
	if len(first.BatchItemFailures)+len(second.BatchItemFailures) != 0 {
		t.Errorf("batchItemFailures = %v, %v; want none", first.BatchItemFailures, second.BatchItemFailures)
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1 for two deliveries", got)
	}
	if !strings.Contains(s.logs.String(), "chat already started for this event") {
		t.Errorf("log = %s, want the duplicate answered from the store", s.logs.String())
	}
}

func TestConcurrentDuplicatesStartOneChat(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	// The chat takes a while, so the second delivery arrives while the
	// first holds the key.
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Delay: 500 * time.Millisecond})
	batch := sqsEvent(`{"text":"Van 4 is ready"}`)
	var wg sync.WaitGroup
	responses := make([]events.SQSEventResponse, 2)
	for i := range responses {
		wg.Go(func() {
			if err := s.invoke(t, batch, &responses[i]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
	listed := len(responses[0].BatchItemFailures) + len(responses[1].BatchItemFailures)
	if listed != 1 {
		t.Errorf("records listed for redelivery = %d, want 1 (the duplicate, retryable)", listed)
	}
}

func TestUnknownOutcomeKeepsKey(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	// OFS starts the chat and the response is lost, so the outcome is
	// unknown: the redelivery must not send the chat again.
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Drop: true})
	batch := sqsEvent(`{"text":"lost response"}`)
	for i := range 2 {
		var response events.SQSEventResponse
		if err := s.invoke(t, batch, &response); err != nil {
			t.Fatal(err)
		}
		if got := len(response.BatchItemFailures); got != 1 {
			t.Errorf("delivery %d: listed = %d, want 1", i+1, got)
		}
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestLongIdempotencyKeyRejected(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	headers := signed(testWebhookSecret, time.Now(), chatBody)
	headers["Idempotency-Key"] = strings.Repeat("k", maxIdempotencyKey+1)
	if status, _, body := s.invokeHTTPWith(t, "v1", chatBody, false, headers); status != http.StatusBadRequest {
		t.Errorf("status = %d, want 400 (body %s)", status, body)
	}
}

func TestIdempotencyKeyBoundToBody(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	for _, body := range []string{`{"text":"first"}`, `{"text":"second"}`} {
		headers := signed(testWebhookSecret, time.Now().Add(time.Duration(s.requests.Add(1))*time.Second), body)
		headers["Idempotency-Key"] = "same-key"
		if status, _, response := s.invokeHTTPWith(t, "v2", body, false, headers); status != http.StatusCreated {
			t.Errorf("status = %d, want 201 (body %s)", status, response)
		}
	}
	if got := len(s.emu.Chats()); got != 2 {
		t.Errorf("chats = %d, want 2: a key reused for another request does not return the first chat", got)
	}
}

func TestFailedChatReleasesKey(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	// A 403 means OFS started nothing, so the key is free for the retry.
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusForbidden})
	batch := sqsEvent(`{"text":"retry me"}`)
	for i, wantListed := range []int{1, 0} {
		var response events.SQSEventResponse
		if err := s.invoke(t, batch, &response); err != nil {
			t.Fatal(err)
		}
		if got := len(response.BatchItemFailures); got != wantListed {
			t.Errorf("delivery %d: listed = %d, want %d", i+1, got, wantListed)
		}
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestHTTPIdempotencyKey(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	for range 2 {
		headers := signed(testWebhookSecret, time.Now().Add(time.Duration(s.requests.Add(1))*time.Second), chatBody)
		headers["Idempotency-Key"] = "order-5521"
		if status, _, body := s.invokeHTTPWith(t, "v2", chatBody, false, headers); status != http.StatusCreated {
			t.Errorf("status = %d, want 201 (body %s)", status, body)
		}
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1 for two requests with one Idempotency-Key", got)
	}
}

func TestDirectInvokeKeyedByRequest(t *testing.T) {
	s := newStack(t)
	s.withIdempotency(t)
	for _, payload := range []string{`{"text":"same"}`, `{"text":"same"}`, `{"text":"other"}`} {
		if err := s.invoke(t, payload, &ofs.Chat{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(s.emu.Chats()); got != 2 {
		t.Errorf("chats = %d, want 2 (the repeated request answered from the store)", got)
	}
}

func TestChatLogLineFields(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusTooManyRequests})
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	if _, err := s.handler.Invoke(ctx, []byte(sqsEvent(`{"text":"fields"}`))); err != nil {
		t.Fatal(err)
	}
	line := logLine(t, s.logs.String(), "chat started")
	want := map[string]any{"requestId": "req-42", "trigger": "sqs", "source": "msg-1",
		"ofsStatus": float64(201), "retries": float64(1), "type": "normal"}
	for key, value := range want {
		if line[key] != value {
			t.Errorf("%s = %v, want %v", key, line[key], value)
		}
	}
	for _, key := range []string{"chatId", "latencyMs", "timestamp", "level"} {
		if _, ok := line[key]; !ok {
			t.Errorf("the chat line has no %s: %v", key, line)
		}
	}
}

func TestMetricsDocument(t *testing.T) {
	s := newStack(t)
	var out bytes.Buffer
	s.handler.metrics = metricsConfig{out: &out, namespace: "Test", functionName: "StartChatFunction",
		dimensions: []string{"FunctionName", "Trigger"}}
	s.handler.coldStart.Store(true)
	batch := sqsEvent(`{"text":"one"}`, `{"text":""}`, `{"text":"three"}`)
	if _, err := s.handler.Invoke(context.Background(), []byte(batch)); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("metrics %q are not one JSON document: %v", out.String(), err)
	}
	want := map[string]any{"ChatsStarted": float64(2), "ChatsFailed": float64(1),
		"ChatsFailed_invalid_request": float64(1), "TokenRequests": float64(1), "SecretFetches": float64(1),
		"ColdStart": float64(1), "DuplicatesSkipped": float64(0), "FunctionName": "StartChatFunction",
		"Trigger": "sqs"}
	for key, value := range want {
		if doc[key] != value {
			t.Errorf("%s = %v, want %v", key, doc[key], value)
		}
	}
	if latencies, _ := doc["OFSLatency"].([]any); len(latencies) != 2 {
		t.Errorf("OFSLatency = %v, want two values", doc["OFSLatency"])
	}
	meta := doc["_aws"].(map[string]any)["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if meta["Namespace"] != "Test" || fmt.Sprint(meta["Dimensions"]) != "[[FunctionName Trigger]]" {
		t.Errorf("CloudWatchMetrics = %v, want namespace Test and dimensions FunctionName, Trigger", meta)
	}
	out.Reset()
	if _, err := s.handler.Invoke(context.Background(), []byte(batch)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"ColdStart":0`) || !strings.Contains(out.String(), `"SecretFetches":0`) {
		t.Errorf("second invocation's metrics = %s, want no cold start and no secret fetch", out.String())
	}
}

func TestRepeatedRejectionsCounted(t *testing.T) {
	s := newStack(t)
	headers := map[string]string{"Content-Type": "application/json"}
	for range 5 {
		s.invokeHTTPWith(t, "v1", chatBody, false, headers)
	}
	if got := strings.Count(s.logs.String(), `"message":"request rejected"`); got != 1 {
		t.Errorf("rejection lines = %d, want 1 for 5 identical unsigned requests", got)
	}
	for i := range 5 {
		stale := time.Now().Add(-time.Hour - time.Duration(i)*time.Second)
		s.invokeHTTPWith(t, "v1", chatBody, false, signed(testWebhookSecret, stale, chatBody))
	}
	if got := strings.Count(s.logs.String(), `"message":"request rejected"`); got != 2 {
		t.Errorf("rejection lines = %d, want 2: stale requests with varying timestamps count as one kind", got)
	}
	limiter := repeatLimiter{interval: time.Minute}
	now := time.Now()
	limiter.allow("k", now)
	limiter.allow("k", now.Add(time.Second))
	if ok, repeated := limiter.allow("k", now.Add(2*time.Minute)); !ok || repeated != 1 {
		t.Errorf("allow after the interval = %v, %d; want true with 1 held back", ok, repeated)
	}
}

func TestNewLoggerSettings(t *testing.T) {
	tests := []struct {
		env       map[string]string
		wantDebug bool
		wantText  bool
		wantErr   bool
	}{
		{map[string]string{}, false, false, false},
		{map[string]string{"LOG_LEVEL": "debug"}, true, false, false},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, true, false, false},
		{map[string]string{"LOG_LEVEL": "WARN", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, false, false, false},
		{map[string]string{"AWS_LAMBDA_LOG_FORMAT": "TEXT"}, false, true, false},
		{map[string]string{"LOG_LEVEL": "loud"}, false, false, true},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "TRACE"}, true, false, false},
		{map[string]string{"AWS_LAMBDA_LOG_LEVEL": "FATAL"}, false, false, false},
	}
	for _, tt := range tests {
		var out bytes.Buffer
		logger, err := newLogger(func(k string) string { return tt.env[k] }, &out)
		if (err != nil) != tt.wantErr {
			t.Errorf("newLogger(%v) error = %v, want error %v", tt.env, err, tt.wantErr)
			continue
		}
		logger.Debug("probe")
		logger.Info("probe")
		if got := strings.Count(out.String(), "probe") == 2; got != tt.wantDebug && !tt.wantErr {
			t.Errorf("newLogger(%v) logs debug = %v, want %v", tt.env, got, tt.wantDebug)
		}
		if text := !strings.HasPrefix(out.String(), "{"); text != tt.wantText && out.Len() > 0 {
			t.Errorf("newLogger(%v) text format = %v, want %v", tt.env, text, tt.wantText)
		}
	}
}

// logLine returns the first JSON log line whose message is msg.
func logLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		var fields map[string]any
		if json.Unmarshal([]byte(line), &fields) == nil && (fields["message"] == msg || fields["msg"] == msg) {
			return fields
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, logs)
	return nil
}
