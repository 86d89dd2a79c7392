package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// motoServer is the moto_server that every test in this package shares.
var motoServer *localstack.Moto

// secretSerial makes secret names unique across repeated runs (-count) in
// one moto_server.
var secretSerial atomic.Int64

func TestMain(m *testing.M) {
	code := localstacktest.RunWithMoto(m, &motoServer)
	os.Exit(code)
}

// stack is a handler wired to moto's Secrets Manager and the OFS emulator.
type stack struct {
	emu      *emulator.Emulator
	handler  *handler
	logs     *localstacktest.SyncBuffer
	identity *localstack.Identity
	secrets  *secretsmanager.Client
	secretID string
	requests atomic.Int64  // signed HTTP requests sent
	deadline time.Duration // the invocation's time limit; 0 means none
}

// newStack stores a fresh identity's secret in moto under a name unique to
// the test and returns a handler that reads it.
func newStack(t *testing.T) *stack {
	t.Helper()
	if testing.Short() {
		t.Skip("tests against moto_server skipped in -short mode")
	}
	identity, err := localstack.NewIdentity("dispatcher1")
	if err != nil {
		t.Fatalf("NewIdentity: %v", err)
	}
	emu, err := emulator.New(emulator.Config{Instance: "acme.test", ClientID: "startchat", ClientSecret: "s3cr3t-client"})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.SetCertificate(identity.CertificatePEM); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"dispatcher1", "tech17", "tech23"} {
		emu.AddUser(emulator.User{Login: login})
	}
	emu.AddHelpdesk(2001)
	server := httptest.NewServer(emu)
	t.Cleanup(server.Close)

	s := &stack{emu: emu, logs: &localstacktest.SyncBuffer{}, identity: identity,
		secrets: localstack.SecretsClient(motoServer.URL()), secretID: fmt.Sprintf("ofs/%s-%d", t.Name(), secretSerial.Add(1))}
	s.putSecret(t, &secretsmanager.CreateSecretInput{SecretString: aws.String(string(s.secretJSON(t)))})
	settings := settings{SecretID: s.secretID, BaseURL: server.URL, DefaultRecipients: []string{"tech17"},
		WebhookAuth: webhookAuthHMAC}
	cache := awssecret.New(s.secrets, s.secretID, time.Minute, nil)
	logger, err := newLogger(func(string) string { return "" }, s.logs)
	if err != nil {
		t.Fatal(err)
	}
	s.handler = newHandler(settings, cache, logger)
	// Backoffs of a few milliseconds keep retry tests quick.
	s.handler.ofsConfig.Retry = ofs.RetryPolicy{BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second}
	return s
}

// testWebhookSecret is the webhookSecret stored in every test's secret.
const testWebhookSecret = "whsec-test"

// secretJSON returns the identity's secret with testWebhookSecret added.
func (s *stack) secretJSON(t *testing.T) []byte {
	t.Helper()
	var fields map[string]string
	if err := json.Unmarshal(s.identity.SecretJSON("acme.test", "startchat", "s3cr3t-client"), &fields); err != nil {
		t.Fatal(err)
	}
	fields["webhookSecret"] = testWebhookSecret
	data, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// putSecret creates the test's secret with the value in in.
func (s *stack) putSecret(t *testing.T, in *secretsmanager.CreateSecretInput) {
	t.Helper()
	in.Name = aws.String(s.secretID)
	if _, err := s.secrets.CreateSecret(context.Background(), in); err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
}

// invoke runs the handler on payload and decodes its result into out.
func (s *stack) invoke(t *testing.T, payload string, out any) error {
	t.Helper()
	ctx := context.Background()
	if s.deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.deadline)
		defer cancel()
	}
	result, err := s.handler.Invoke(ctx, []byte(payload))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(result, out); err != nil {
		t.Fatalf("decoding the result %s: %v", result, err)
	}
	return nil
}

func TestDirectInvokeStartsChat(t *testing.T) {
	s := newStack(t)
	var chat ofs.Chat
	if err := s.invoke(t, `{"text":"Truck 12 needs a tow","recipients":["tech23"]}`, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if chat.ChatID == 0 || chat.StartedBy != "dispatcher1" {
		t.Errorf("chat = %+v, want an id started by dispatcher1", chat)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 || strings.Join(chats[0].Recipients, ",") != "tech23" {
		t.Errorf("emulator chats = %+v, want one to tech23", chats)
	}
}

func TestEmptyPayloadsNameSample(t *testing.T) {
	s := newStack(t)
	for _, payload := range []string{"", "null", "{}"} {
		err := s.invoke(t, payload, nil)
		var eventErr *EventError
		if !errors.As(err, &eventErr) {
			t.Errorf("Invoke(%q) error = %v, want an *EventError", payload, err)
			continue
		}
		if !strings.Contains(err.Error(), "sam local invoke StartChatFunction -e events/") {
			t.Errorf("Invoke(%q) error = %q, want it to name sam local invoke", payload, err)
		}
	}
	if got := len(s.emu.Requests()); got != 0 {
		t.Errorf("OFS requests = %d, want 0", got)
	}
}

func TestSQSBatchListsOnlyFailures(t *testing.T) {
	s := newStack(t)
	// A 503 without Retry-After leaves it unknown whether OFS acted, so the
	// chat is not retried and the record goes back to the queue.
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusServiceUnavailable,
		BodyContains: "Gate 9"})
	batch := sqsEvent(
		`{"text":"Gate 3 is blocked","recipients":["tech23"]}`,
		`{"text":"","recipients":["tech23"]}`,
		`{"text":"Gate 9 is blocked","recipients":["tech23"]}`,
	)
	var response events.SQSEventResponse
	if err := s.invoke(t, batch, &response); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var failed []string
	for _, f := range response.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	if strings.Join(failed, ",") != "msg-2,msg-3" {
		t.Errorf("batchItemFailures = %v, want [msg-2 msg-3]", failed)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 || chats[0].Text != "Gate 3 is blocked" {
		t.Errorf("chats = %+v, want exactly the first record's", chats)
	}
}

func TestSQSAllStartedListsNone(t *testing.T) {
	s := newStack(t)
	var bodies []string
	for range 10 {
		bodies = append(bodies, `{"text":"Parts are ready"}`)
	}
	var raw map[string]json.RawMessage
	if err := s.invoke(t, sqsEvent(bodies...), &raw); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got := string(raw["batchItemFailures"]); got != "[]" {
		t.Errorf("batchItemFailures = %s, want []", got)
	}
	if got := len(s.emu.Chats()); got != 10 {
		t.Errorf("chats = %d, want 10", got)
	}
	if got := s.emu.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 for the whole batch", got)
	}
}

func TestSQSFIFOStopsAtFirstFailure(t *testing.T) {
	s := newStack(t)
	event := strings.ReplaceAll(sqsEvent(`{"text":"one"}`, `{"text":""}`, `{"text":"three"}`),
		"arn:aws:sqs:us-east-1:123456789012:chats", "arn:aws:sqs:us-east-1:123456789012:chats.fifo")
	var response events.SQSEventResponse
	if err := s.invoke(t, event, &response); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if got := len(response.BatchItemFailures); got != 2 {
		t.Errorf("batchItemFailures = %d, want 2 (the failure and the record after it)", got)
	}
	if got := len(s.emu.Chats()); got != 1 {
		t.Errorf("chats = %d, want 1", got)
	}
}

func TestHTTPStatuses(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		fault      *emulator.Fault
		wantStatus int
		wantCode   string
	}{
		{"created", `{"text":"hi","recipients":["tech17"]}`, nil, http.StatusCreated, ""},
		{"bad input", `{"text":"hi","recipient":["tech17"]}`, nil, http.StatusBadRequest, "invalid_request"},
		{"too long", `{"text":"` + strings.Repeat("é", 1001) + `"}`, nil, http.StatusBadRequest, "invalid_request"},
		{"unknown login", `{"text":"hi","recipients":["nobody"]}`, nil, http.StatusBadGateway, "ofs_rejected"},
		{"credentials rejected", `{"text":"hi"}`, &emulator.Fault{Endpoint: emulator.EndpointToken, Status: 401},
			http.StatusBadGateway, "ofs_rejected"},
		{"token throttled", `{"text":"hi"}`, &emulator.Fault{Endpoint: emulator.EndpointToken, Status: 429, RetryAfter: "7"},
			http.StatusServiceUnavailable, "ofs_unavailable"},
		{"chat unavailable", `{"text":"hi"}`, &emulator.Fault{Endpoint: emulator.EndpointChat, Status: 503,
			Body: "<html>maintenance</html>", ContentType: "text/html"}, http.StatusServiceUnavailable, "ofs_unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStack(t)
			if tt.fault != nil {
				s.emu.Inject(*tt.fault)
			}
			for _, shape := range []string{"v1", "v2"} {
				s.emu.Reset()
				if tt.fault != nil {
					s.emu.Inject(*tt.fault)
				}
				status, headers, body := s.invokeHTTP(t, shape, tt.body, shape == "v2")
				if status != tt.wantStatus {
					t.Errorf("%s status = %d, want %d (body %s)", shape, status, tt.wantStatus, body)
				}
				var result map[string]any
				if err := json.Unmarshal([]byte(body), &result); err != nil {
					t.Fatalf("%s body %q is not JSON: %v", shape, body, err)
				}
				if tt.wantCode == "" && result["chatId"] == nil {
					t.Errorf("%s body = %s, want the chat", shape, body)
				}
				if tt.wantCode != "" && (result["error"] != tt.wantCode || result["message"] == "") {
					t.Errorf("%s body = %s, want error %q with a message", shape, body, tt.wantCode)
				}
				if tt.wantStatus == http.StatusServiceUnavailable && headers["Retry-After"] == "" {
					t.Errorf("%s has no Retry-After header", shape)
				}
			}
		})
	}
}

func TestHTTPRetryAfterFromOFS(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: 429, RetryAfter: "7"})
	_, headers, _ := s.invokeHTTP(t, "v1", `{"text":"hi"}`, false)
	if got := headers["Retry-After"]; got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
}

func TestHTTPMethodNotAllowed(t *testing.T) {
	s := newStack(t)
	event := `{"httpMethod":"GET","body":"","requestContext":{"requestId":"r1"}}`
	var response events.APIGatewayProxyResponse
	if err := s.invoke(t, event, &response); err != nil {
		t.Fatal(err)
	}
	if response.StatusCode != http.StatusMethodNotAllowed || response.Headers["Allow"] != "POST" {
		t.Errorf("response = %d %v, want 405 with Allow: POST", response.StatusCode, response.Headers)
	}
}

// invokeHTTP sends body through an API Gateway event of the given payload
// shape ("v1" or "v2"), signed and marked as JSON, and returns the
// response's status, headers and body.
func (s *stack) invokeHTTP(t *testing.T, shape, body string, encode bool) (int, map[string]string, string) {
	t.Helper()
	// Each request gets its own second, so two requests with the same body
	// do not share a signature and look like a replay.
	sent := time.Now().Add(time.Duration(s.requests.Add(1)) * time.Second)
	headers := webhook.Headers([]byte(testWebhookSecret), sent, []byte(body))
	headers["Content-Type"] = "application/json"
	return s.invokeHTTPWith(t, shape, body, encode, headers)
}

// invokeHTTPWith is invokeHTTP with the request headers given as they are.
func (s *stack) invokeHTTPWith(t *testing.T, shape, body string, encode bool, headers map[string]string) (int, map[string]string, string) {
	t.Helper()
	if encode {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	event := map[string]any{"body": body, "isBase64Encoded": encode}
	switch shape {
	case "v1":
		event["resource"], event["path"], event["httpMethod"] = "/chats", "/chats", "POST"
		event["headers"] = headers
		event["requestContext"] = map[string]any{"requestId": "r1", "stage": "v1"}
	default:
		lower := make(map[string]string, len(headers))
		for name, value := range headers {
			lower[strings.ToLower(name)] = value
		}
		event["version"], event["routeKey"], event["rawPath"] = "2.0", "POST /chats", "/chats"
		event["headers"] = lower
		event["requestContext"] = map[string]any{"requestId": "r2", "http": map[string]any{"method": "POST"}}
	}
	payload, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	var response struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := s.invoke(t, string(payload), &response); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	return response.StatusCode, response.Headers, response.Body
}

// sqsEvent builds an SQS event whose records carry bodies, with message
// IDs msg-1, msg-2 and so on.
func sqsEvent(bodies ...string) string {
	return sqsEventFrom(0, bodies)
}

// sqsEventFrom is sqsEvent with message IDs counted from first+1.
func sqsEventFrom(first int, bodies []string) string {
	var event events.SQSEvent
	for i, body := range bodies {
		event.Records = append(event.Records, events.SQSMessage{
			MessageId: "msg-" + strconv.Itoa(first+i+1), Body: body, EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:chats"})
	}
	data, _ := json.Marshal(event)
	return string(data)
}
