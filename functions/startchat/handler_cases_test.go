package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

func TestSNSPlainTextGoesToDefaults(t *testing.T) {
	s := newStack(t)
	event := `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"sns-1","Message":"Gate 3 is blocked"}}]}`
	var chat ofs.Chat
	if err := s.invoke(t, event, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	chats := s.emu.Chats()
	if len(chats) != 1 || strings.Join(chats[0].Recipients, ",") != "tech17" || chats[0].Text != "Gate 3 is blocked" {
		t.Errorf("chats = %+v, want the text sent to tech17", chats)
	}
}

func TestSNSFailureIsFunctionError(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusServiceUnavailable})
	event := `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"sns-2","Message":"{\"text\":\"hi\"}"}}]}`
	err := s.invoke(t, event, nil)
	var apiErr *ofs.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Invoke error = %v, want the 503 *ofs.APIError", err)
	}
}

func TestEventBridgeDetailString(t *testing.T) {
	s := newStack(t)
	event := `{"version":"0","id":"eb-1","detail-type":"Start Chat","source":"ofs-startchat",` +
		`"detail":"{\"text\":\"Van 4 is ready\",\"recipients\":[\"tech23\"]}"}`
	var chat ofs.Chat
	if err := s.invoke(t, event, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if chats := s.emu.Chats(); len(chats) != 1 || chats[0].Text != "Van 4 is ready" {
		t.Errorf("chats = %+v, want the detail's chat", chats)
	}
}

// A Start Chat detail is always a chat request, so a misspelt member fails
// instead of turning the event into a notification for the defaults.
func TestEventBridgeBadDetailFails(t *testing.T) {
	s := newStack(t)
	event := `{"version":"0","id":"eb-2","detail-type":"Start Chat","source":"ofs-startchat",` +
		`"detail":{"text":"Van 4 is ready","recipient":["tech23"]}}`
	err := s.invoke(t, event, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "recipient"`) {
		t.Fatalf("Invoke error = %v, want one naming the unknown field", err)
	}
}

func TestSecretBinaryWorks(t *testing.T) {
	s := newStack(t)
	s.secretID += "-binary"
	s.putSecret(t, &secretsmanager.CreateSecretInput{
		SecretBinary: s.identity.SecretJSON("acme.test", "startchat", "s3cr3t-client")})
	s.handler.secrets = awssecret.New(s.secrets, s.secretID, time.Minute, nil)
	var chat ofs.Chat
	if err := s.invoke(t, `{"text":"hi"}`, &chat); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
}

func TestSecretMissingFieldsIs500(t *testing.T) {
	s := newStack(t)
	s.secretID += "-partial"
	s.putSecret(t, &secretsmanager.CreateSecretInput{SecretString: aws.String(`{"clientId":"startchat","clientSecret":"hunter2","webhookSecret":"` + testWebhookSecret + `"}`)})
	s.handler.secrets = awssecret.New(s.secrets, s.secretID, time.Minute, nil)
	status, _, body := s.invokeHTTP(t, "v1", `{"text":"hi"}`, false)
	if status != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", status)
	}
	if !strings.Contains(s.logs.String(), "missing required fields: instance, user, privateKey") {
		t.Errorf("log = %s, want the missing field names", s.logs.String())
	}
	if strings.Contains(body, "privateKey") || !strings.Contains(body, "request r1") {
		t.Errorf("body = %s, want a summary with the request ID, not the details", body)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(s.logs.String(), "hunter2") {
		t.Error("the client secret reached the response or the logs")
	}
}

func TestMissingSecretIs500(t *testing.T) {
	s := newStack(t)
	s.handler.secrets = awssecret.New(s.secrets, "ofs/does-not-exist", time.Minute, nil)
	status, _, body := s.invokeHTTP(t, "v2", `{"text":"hi"}`, false)
	if status != http.StatusInternalServerError || strings.Contains(body, "ofs/does-not-exist") {
		t.Errorf("response = %d %s, want 500 without the secret's name", status, body)
	}
	if !strings.Contains(s.logs.String(), "ofs/does-not-exist") {
		t.Errorf("log = %s, want the secret's name", s.logs.String())
	}
}

func TestDeadlineBeatsSlowTokenService(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Delay: 10 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	_, err := s.handler.Invoke(ctx, []byte(`{"text":"hi"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke error = %v, want one wrapping context.DeadlineExceeded", err)
	}
	if !strings.Contains(err.Error(), "gave up waiting for the access token") {
		t.Errorf("error = %q, want it to say what it was waiting for", err)
	}
	if elapsed := time.Since(began); elapsed > 2*time.Second {
		t.Errorf("Invoke returned after %v, want before the 1 s deadline plus a little", elapsed)
	}
}

func TestNoDeadlineUsesDefault(t *testing.T) {
	ctx, cancel := invocationContext(context.Background())
	defer cancel()
	deadline, ok := ctx.Deadline()
	if !ok || time.Until(deadline) > defaultTimeout {
		t.Errorf("deadline = %v, %v; want one within %v", deadline, ok, defaultTimeout)
	}
}

func TestDeadlineKeepsMargin(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ctx, cancelInner := invocationContext(parent)
	defer cancelInner()
	outer, _ := parent.Deadline()
	inner, _ := ctx.Deadline()
	if margin := outer.Sub(inner); margin != maxDeadlineMargin {
		t.Errorf("margin = %v, want %v", margin, maxDeadlineMargin)
	}
}

func TestForbiddenNamesUserAndRecipients(t *testing.T) {
	s := newStack(t)
	s.emu.AddUser(emulator.User{Login: "dispatcher1", Reach: []string{"tech23"}})
	err := s.invoke(t, `{"text":"hi","recipients":["tech17"]}`, nil)
	for _, want := range []string{"403", "dispatcher1", "tech17"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error = %v, want it to contain %q", err, want)
		}
	}
	if got := s.emu.ChatRequests(); got != 1 {
		t.Errorf("chat requests = %d, want 1 (a 403 is not retried)", got)
	}
}

func TestLogsCarryNoSecrets(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusUnauthorized})
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusBadRequest, BodyContains: "bad"})
	var response events.SQSEventResponse
	if err := s.invoke(t, sqsEvent(`{"text":"good"}`, `{"text":"bad"}`, `plain text`), &response); err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	if strings.Contains(logs, "s3cr3t-client") {
		t.Error("logs contain the client secret")
	}
	for _, line := range strings.Split(string(s.identity.PrivateKeyPEM), "\n") {
		if len(line) > 16 && !strings.HasPrefix(line, "-----") && strings.Contains(logs, line) {
			t.Fatalf("logs contain a line of the private key")
		}
	}
	for _, req := range s.emu.Requests() {
		if token, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer "); ok && strings.Contains(logs, token) {
			t.Error("logs contain an access token")
		}
		if req.Assertion != nil && strings.Contains(logs, req.Assertion.Raw) {
			t.Error("logs contain an assertion")
		}
	}
}

func TestRotatedCredentialsRefetched(t *testing.T) {
	s := newStack(t)
	if err := s.invoke(t, `{"text":"before the rotation"}`, &ofs.Chat{}); err != nil {
		t.Fatalf("first Invoke: %v", err)
	}
	fetches := motoServer.Calls("secretsmanager.GetSecretValue")

	// The administrator uploads a new certificate to OFS and stores the new
	// key; OFS drops the tokens issued for the old one.
	rotated, err := localstack.NewIdentity("dispatcher1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.emu.SetCertificate(rotated.CertificatePEM); err != nil {
		t.Fatal(err)
	}
	s.emu.Reset()
	s.identity = rotated
	if _, err := s.secrets.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(s.secretID), SecretString: aws.String(string(s.secretJSON(t)))}); err != nil {
		t.Fatal(err)
	}

	if err := s.invoke(t, `{"text":"after the rotation"}`, &ofs.Chat{}); err != nil {
		t.Fatalf("Invoke after the rotation: %v", err)
	}
	if got := motoServer.Calls("secretsmanager.GetSecretValue") - fetches; got != 1 {
		t.Errorf("GetSecretValue calls after the rejection = %d, want 1", got)
	}
	if chats := s.emu.Chats(); len(chats) != 1 || chats[0].Text != "after the rotation" {
		t.Errorf("chats after the rotation = %+v, want the one request", chats)
	}
}

func TestRejectedCredentialsWithoutRotationFail(t *testing.T) {
	s := newStack(t)
	s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: http.StatusUnauthorized, Times: 3})
	fetches := motoServer.Calls("secretsmanager.GetSecretValue")
	err := s.invoke(t, `{"text":"hi"}`, nil)
	var apiErr *ofs.APIError
	if !errors.As(err, &apiErr) || !apiErr.Rejected() {
		t.Fatalf("Invoke error = %v, want the token service's rejection", err)
	}
	if got := motoServer.Calls("secretsmanager.GetSecretValue") - fetches; got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1 (the value fetched for this call is current)", got)
	}
	if got := s.emu.TokenRequests(); got != 1 {
		t.Errorf("token requests = %d, want 1 (an unchanged secret is not retried)", got)
	}
}
