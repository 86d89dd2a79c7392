package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// requestTimeout bounds one request of the naive flow and of ChatRoundTrip.
const requestTimeout = 30 * time.Second

// Naive starts chats the way a function without caches would: on every
// call it reads the secret, parses the credentials, mints and exchanges an
// assertion and starts the chat. Only the Secrets Manager client and the
// HTTP connections are reused between calls.
type Naive struct {
	secrets  *secretsmanager.Client
	secretID string
	baseURL  string
	http     *http.Client
}

// NewNaive returns the naive flow for env's secret and emulator.
func NewNaive(env *Env) *Naive {
	return &Naive{secrets: localstack.SecretsClient(env.Secrets.URL()), secretID: env.SecretID,
		baseURL: env.OFS.URL(), http: &http.Client{Timeout: requestTimeout}}
}

// StartChat makes the three round trips in sequence: secret, token, chat.
func (n *Naive) StartChat(ctx context.Context, req ofs.ChatRequest) (*ofs.Chat, error) {
	out, err := n.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(n.secretID)})
	if err != nil {
		return nil, fmt.Errorf("bench: naive flow: %w", err)
	}
	creds, err := ofs.ParseCredentials([]byte(aws.ToString(out.SecretString)))
	if err != nil {
		return nil, fmt.Errorf("bench: naive flow: %w", err)
	}
	client, err := ofs.NewClient(creds, ofs.Config{BaseURL: n.baseURL, HTTPClient: n.http})
	if err != nil {
		return nil, fmt.Errorf("bench: naive flow: %w", err)
	}
	return client.StartChat(ctx, req)
}

// ChatRoundTrip sends one prepared chat request with a ready access token:
// the least work that starts a chat, one OFS round trip. Its time is the
// unit of the warm figures.
type ChatRoundTrip struct {
	url   string
	token string
	body  []byte
	http  *http.Client
}

// NewChatRoundTrip exchanges one assertion for an access token at env's
// emulator and prepares the chat request body for req.
func NewChatRoundTrip(ctx context.Context, env *Env, req ofs.ChatRequest) (*ChatRoundTrip, error) {
	creds, err := ofs.ParseCredentials(env.SecretJSON)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	assertion, err := ofs.MintAssertion(creds, ofs.DefaultIssuer, time.Now())
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}

	rt := &ChatRoundTrip{url: env.OFS.URL() + "/rest/ofscCollaboration/v1/chats",
		http: &http.Client{Timeout: requestTimeout}}
	form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:jwt-bearer"}, "assertion": {assertion}}
	tokenReq, err := http.NewRequestWithContext(ctx, http.MethodPost,
		env.OFS.URL()+"/rest/oauthTokenService/v2/token", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	tokenReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tokenReq.SetBasicAuth(creds.ClientID+"@"+creds.Instance, env.ClientSecret)
	body, err := rt.send(tokenReq, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var token struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &token); err != nil || token.AccessToken == "" {
		return nil, fmt.Errorf("bench: the token response has no access_token (%d bytes)", len(body))
	}

	rt.token = token.AccessToken
	if rt.body, err = json.Marshal(req); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return rt, nil
}

// Do sends the chat request once and returns how long it took.
func (rt *ChatRoundTrip) Do(ctx context.Context) (time.Duration, error) {
	began := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rt.url, bytes.NewReader(rt.body))
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+rt.token)
	if _, err := rt.send(req, http.StatusCreated); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// send performs req and returns the body of a response with status want.
func (rt *ChatRoundTrip) send(req *http.Request, want int) ([]byte, error) {
	resp, err := rt.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("bench: %s %s failed: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("bench: reading the response of %s failed: %w", req.URL.Path, err)
	}
	if resp.StatusCode != want {
		return nil, fmt.Errorf("bench: %s %s returned %d, want %d: %s", req.Method, req.URL.Path,
			resp.StatusCode, want, body)
	}
	return body, nil
}
