package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// httpRequest contains the fields that the HTTP triggers share.
type httpRequest struct {
	method   string
	headers  map[string]string // keys in lower case
	body     string
	base64   bool
	id       string // the API Gateway or function URL request ID
	endpoint string // a label for logs, such as "rest" or "function-url"
}

// header returns the value of the named header, matched case-insensitively.
func (r httpRequest) header(name string) string {
	return r.headers[strings.ToLower(name)]
}

// lowerHeaders merges single- and multi-value headers under lower-case
// names. For a repeated header the first value wins.
func lowerHeaders(single map[string]string, multi map[string][]string) map[string]string {
	headers := make(map[string]string, len(single)+len(multi))
	for name, values := range multi {
		if len(values) > 0 {
			headers[strings.ToLower(name)] = values[0]
		}
	}
	for name, value := range single {
		headers[strings.ToLower(name)] = value
	}
	return headers
}

// httpResult is the status, headers and body of an HTTP response.
type httpResult struct {
	status  int
	headers map[string]string
	body    string
}

// handleHTTPv1 serves an API Gateway REST API (payload 1.0) event.
func (h *handler) handleHTTPv1(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	var event events.APIGatewayProxyRequest
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, &EventError{Reason: "the API Gateway event does not decode: " + describeDecodeError(err)}
	}
	result := h.serveHTTP(ctx, log, httpRequest{method: event.HTTPMethod,
		headers: lowerHeaders(event.Headers, event.MultiValueHeaders), body: event.Body,
		base64: event.IsBase64Encoded, id: event.RequestContext.RequestID, endpoint: "rest"})
	return events.APIGatewayProxyResponse{StatusCode: result.status, Headers: result.headers,
		Body: result.body}, nil
}

// handleHTTPv2 serves an HTTP API (payload 2.0) or function URL event; both
// take the same response shape.
func (h *handler) handleHTTPv2(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	var event events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, &EventError{Reason: "the HTTP API event does not decode: " + describeDecodeError(err)}
	}
	endpoint := "http-api"
	if strings.Contains(event.RequestContext.DomainName, ".lambda-url.") {
		endpoint = "function-url"
	}
	result := h.serveHTTP(ctx, log, httpRequest{method: event.RequestContext.HTTP.Method,
		headers: lowerHeaders(event.Headers, nil), body: event.Body, base64: event.IsBase64Encoded,
		id: event.RequestContext.RequestID, endpoint: endpoint})
	return events.APIGatewayV2HTTPResponse{StatusCode: result.status, Headers: result.headers,
		Body: result.body}, nil
}

// serveHTTP returns 201 with OFS's chat, or an error status with a JSON
// body {"error", "message"}: 400 for bad input, 401 for a missing or invalid
// signature, 405 for a method other than POST, 413 for a body over 64 KiB,
// 415 for a body that is not JSON, 500 for a broken configuration, 502 when
// OFS rejects the credentials or the chat, 503 with Retry-After when OFS is
// unavailable.
func (h *handler) serveHTTP(ctx context.Context, log *slog.Logger, req httpRequest) httpResult {
	log = log.With("endpoint", req.endpoint, "httpRequestId", req.id)
	if req.method != http.MethodPost {
		result := errorResult(http.StatusMethodNotAllowed, "method_not_allowed",
			req.method+" is not supported; send the chat request with POST")
		result.headers["Allow"] = http.MethodPost
		log.WarnContext(ctx, "request rejected", "status", result.status, "method", req.method)
		return result
	}
	body := []byte(req.body)
	if req.base64 {
		decoded, err := base64.StdEncoding.DecodeString(req.body)
		if err != nil {
			log.WarnContext(ctx, "request rejected", "status", http.StatusBadRequest, "error", "body is not valid base64")
			return errorResult(http.StatusBadRequest, "invalid_request",
				"the body is marked base64-encoded but is not valid base64")
		}
		body = decoded
	}
	if rejected := h.gateHTTP(ctx, log, req, body); rejected != nil {
		return *rejected
	}
	if key := req.header(idempotencyHeader); key != "" {
		if len(key) > maxIdempotencyKey {
			return errorResult(http.StatusBadRequest, "invalid_request", fmt.Sprintf("the %s "+
				"header has %d bytes; send at most %d", idempotencyHeader, len(key), maxIdempotencyKey))
		}
		if inv := invocationFrom(ctx); inv != nil {
			inv.httpKey = key
		}
	}
	result, mayHaveStarted := h.startHTTPChat(ctx, log, req, body)
	if !mayHaveStarted && h.webhooks != nil {
		// No chat started, so the sender may retry the same signed request.
		h.webhooks.Forget(req.header(webhook.SignatureHeader))
	}
	return result
}

// startHTTPChat decodes the body and starts its chat. It also reports
// whether OFS may have started a chat, whatever the response is.
func (h *handler) startHTTPChat(ctx context.Context, log *slog.Logger, req httpRequest, body []byte) (httpResult, bool) {
	chatReq, err := decodeChatRequest(body, "the request body", h.settings.DefaultRecipients)
	if err != nil {
		h.rejectEvent(ctx, log, "request rejected", req.id, err)
		return errorResult(http.StatusBadRequest, "invalid_request", err.Error()), false
	}
	chat, err := h.startChat(ctx, log, req.id, chatReq)
	if err != nil {
		status, code, retryAfter := classify(err)
		result := errorResult(status, code, publicMessage(err, status, req.id))
		setRetryAfter(&result, retryAfter)
		return result, ofs.ChatMayHaveStarted(err)
	}
	encoded, err := json.Marshal(chat)
	if err != nil {
		return errorResult(http.StatusInternalServerError, "internal_error", "encoding the chat failed"), true
	}
	return httpResult{status: http.StatusCreated, headers: jsonHeaders(), body: string(encoded)}, true
}

// publicMessage is the error message that an HTTP caller gets. A bad
// request and OFS's rejection of the chat itself help the caller fix the
// request, so their messages are returned; configuration, credential and
// availability problems are the operator's, so the caller gets a summary and
// the request ID, and the details are in the function's log.
func publicMessage(err error, status int, requestID string) string {
	var apiErr *ofs.APIError
	switch {
	case status < 500:
		return err.Error()
	case status == http.StatusBadGateway && errors.As(err, &apiErr) && apiErr.Endpoint == ofs.EndpointChat:
		apiErr := *apiErr
		apiErr.Hint = ""
		return "OFS rejected the chat: " + strings.TrimPrefix(apiErr.Error(), "ofs: chat request failed: ")
	case status == http.StatusBadGateway:
		return "OFS rejected the function's credentials; the function's log has the details, request " + requestID
	case status == http.StatusServiceUnavailable && errors.As(err, new(*idempotency.InProgressError)):
		return "another delivery of this request is being handled; retry after the Retry-After interval"
	case status == http.StatusServiceUnavailable && isIdempotencyError(err):
		return "the idempotency store is unavailable; retry after the Retry-After interval (request " +
			requestID + ")"
	case status == http.StatusServiceUnavailable:
		return "OFS is unavailable or throttled; retry after the Retry-After interval (request " + requestID + ")"
	}
	return "the function's configuration is broken; its log has the details, request " + requestID
}

// setRetryAfter adds the Retry-After header, in whole seconds, to a 503.
func setRetryAfter(result *httpResult, wait time.Duration) {
	if result.status == http.StatusServiceUnavailable {
		result.headers["Retry-After"] = strconv.Itoa(int(wait.Seconds()))
	}
}

func errorResult(status int, code, message string) httpResult {
	body, _ := json.Marshal(map[string]string{"error": code, "message": message})
	return httpResult{status: status, headers: jsonHeaders(), body: string(body)}
}

func errorResultPtr(status int, code, message string) *httpResult {
	result := errorResult(status, code, message)
	return &result
}

func jsonHeaders() map[string]string {
	return map[string]string{"Content-Type": "application/json"}
}
