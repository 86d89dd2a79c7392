package bench

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Canned OFS responses of StubOFS. The token lives an hour, so a benchmark
// never renews it.
const (
	stubTokenBody = `{"access_token":"bench-access-token","token_type":"bearer","expires_in":3600}`
	stubChatBody  = `{"chatId":48213,"type":"normal","startedBy":"dispatcher1",` +
		`"startedTime":"2026-01-05 08:30:00"}`
)

// StubOFS is an http.RoundTripper that responds to the OFS token and chat
// requests with canned successes and no network, so that a benchmark
// measures the client's own work. It reads and closes each request body,
// as a transport must, and counts the requests.
type StubOFS struct {
	tokens atomic.Int64
	chats  atomic.Int64
}

// RoundTrip returns 200 with a token for the token path, 201 with a chat for
// the chat path and 404 for any other path.
func (s *StubOFS) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	status, body := http.StatusNotFound, `{"title":"Not Found"}`
	switch {
	case strings.HasSuffix(req.URL.Path, "/oauthTokenService/v2/token"):
		s.tokens.Add(1)
		status, body = http.StatusOK, stubTokenBody
	case strings.HasSuffix(req.URL.Path, "/ofscCollaboration/v1/chats"):
		s.chats.Add(1)
		status, body = http.StatusCreated, stubChatBody
	}
	return &http.Response{
		Status:        http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}

// Tokens returns how many token requests the stub served.
func (s *StubOFS) Tokens() int64 { return s.tokens.Load() }

// Chats returns how many chat requests the stub served.
func (s *StubOFS) Chats() int64 { return s.chats.Load() }

// StaticSecret is a Secrets Manager GetSecretValue that returns Value
// without a network, for awssecret.New.
type StaticSecret struct {
	Value []byte
}

// GetSecretValue returns Value as the SecretString of version "v1".
func (s StaticSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput,
	_ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	return &secretsmanager.GetSecretValueOutput{
		Name:         in.SecretId,
		SecretString: aws.String(string(s.Value)),
		VersionId:    aws.String("v1"),
	}, nil
}
