package ofs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// startedTimeLayout is OFS's startedTime format, always UTC.
const startedTimeLayout = "2006-01-02 15:04:05"

// Chat is OFS's response to "Start a new chat".
type Chat struct {
	ChatID       int64  `json:"chatId"`
	Type         string `json:"type"`                  // normal or conference
	StartedBy    string `json:"startedBy,omitempty"`   // login of the user who started it
	StartedTime  string `json:"startedTime,omitempty"` // UTC, "YYYY-MM-DD HH:MM:SS"
	Participants []Link `json:"participants,omitempty"`
}

// Link is a reference to a related OFS resource.
type Link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// StartedAt parses StartedTime as UTC.
func (c *Chat) StartedAt() (time.Time, error) {
	return time.ParseInLocation(startedTimeLayout, c.StartedTime, time.UTC)
}

// StartChat validates req and starts the chat. It checks the request before
// any network call, so an *InputError means nothing was sent. A 401 from the
// chat API drops the cached token and tries once more with a new one. Other
// failures are retried only when OFS surely did not act on the request (see
// retryable), because a second POST can start a second chat.
func (c *Client) StartChat(ctx context.Context, req ChatRequest) (*Chat, error) {
	req, err := req.Normalize()
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("ofs: encoding the chat request failed: %w", err)
	}
	for attempt := 1; ; attempt++ {
		token, err := c.accessToken(ctx)
		if err != nil {
			return nil, err
		}
		chat, err := retry(ctx, c, EndpointChat, func() (*Chat, error) {
			return c.postChat(ctx, token, body, req)
		})
		if err == nil {
			return chat, nil
		}
		var apiErr *APIError
		if attempt == 1 && errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusUnauthorized {
			c.dropToken(token)
			continue
		}
		return chat, err
	}
}

func (c *Client) chatURL() string { return c.baseURL + "/rest/ofscCollaboration/v1/chats" }

func (c *Client) postChat(ctx context.Context, token string, body []byte, req ChatRequest) (*Chat, error) {
	httpReq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.chatURL(), bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("ofs: building the chat request failed: %w", err)
	}
	httpReq.Header.Set("Content-Type", "application/json")
	httpReq.Header.Set("Accept", "application/json")
	httpReq.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.send(ctx, EndpointChat, httpReq)
	if err != nil {
		return nil, err
	}
	traceFrom(ctx).ChatStatus.Store(int32(resp.StatusCode))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		apiErr := newAPIError(EndpointChat, resp.Response, resp.body, c.now())
		if apiErr.StatusCode == http.StatusForbidden {
			apiErr.Hint = fmt.Sprintf("user %q started the chat with %s; check that the user "+
				"has the Collaboration permission and shares a collaboration group with them",
				c.creds.User, describeAddressees(req))
		}
		return nil, apiErr
	}
	var chat Chat
	if err := json.Unmarshal(resp.body, &chat); err != nil || chat.ChatID == 0 {
		// OFS returned 2xx, so the chat may exist and a retry could duplicate it.
		return nil, &APIError{Endpoint: EndpointChat, StatusCode: resp.StatusCode,
			Body: quoteText(string(resp.body)), Hint: "OFS accepted the request but the response has no chatId"}
	}
	return &chat, nil
}

func describeAddressees(req ChatRequest) string {
	if req.Helpdesk != nil {
		return "helpdesk " + strconv.FormatInt(*req.Helpdesk, 10)
	}
	return "recipients " + strings.Join(req.Recipients, ", ")
}
