package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// trigger is the kind of event that invoked the function.
type trigger string

const (
	triggerDirect      trigger = "direct" // also EventBridge Scheduler, which sends its input as is
	triggerHTTPv1      trigger = "apigateway-rest"
	triggerHTTPv2      trigger = "apigateway-http" // HTTP API payload 2.0 and function URLs
	triggerSNS         trigger = "sns"
	triggerSQS         trigger = "sqs"
	triggerEventBridge trigger = "eventbridge"
)

// sampleHint is the advice on sending a valid event locally.
const sampleHint = `send a chat request such as {"text":"Truck 12 needs a tow","recipients":["tech17"]}, ` +
	`for example: sam local invoke StartChatFunction -e events/direct.json`

// EventError reports an event that carries no valid chat request. Lambda
// shows its type name as the errorType.
type EventError struct {
	Reason string
}

func (e *EventError) Error() string { return "startchat: " + e.Reason }

// eventShape holds the fields that tell the triggers apart. encoding/json
// matches names case-insensitively, so EventSource matches both SQS's
// "eventSource" and SNS's "EventSource".
type eventShape struct {
	Records []struct {
		EventSource string `json:"eventSource"`
	} `json:"Records"`
	Version        string          `json:"version"`
	RouteKey       *string         `json:"routeKey"`
	HTTPMethod     string          `json:"httpMethod"`
	RequestContext json.RawMessage `json:"requestContext"`
	DetailType     *string         `json:"detail-type"`
	Detail         json.RawMessage `json:"detail"`
}

// detectTrigger recognises the trigger from the raw payload. An HTTP API or
// function URL event (payload 2.0) is checked before REST (payload 1.0),
// so it is never read as one.
func detectTrigger(payload []byte) (trigger, error) {
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return "", &EventError{Reason: "the event is empty; " + sampleHint}
	}
	if trimmed[0] != '{' {
		return "", &EventError{Reason: "the event is not a JSON object; " + sampleHint}
	}
	if !json.Valid(trimmed) {
		return "", &EventError{Reason: "the event is not valid JSON; " + sampleHint}
	}
	var shape eventShape
	if err := json.Unmarshal(trimmed, &shape); err != nil {
		return "", &EventError{Reason: "the event has an unexpected shape (" + describeDecodeError(err) +
			"); " + sampleHint}
	}
	switch {
	case len(shape.Records) > 0:
		switch source := shape.Records[0].EventSource; source {
		case "aws:sqs":
			return triggerSQS, nil
		case "aws:sns":
			return triggerSNS, nil
		default:
			return "", &EventError{Reason: fmt.Sprintf("records from %q are not supported; "+
				"subscribe the function to SQS or SNS, or invoke it with a chat request", source)}
		}
	case shape.DetailType != nil && shape.Detail != nil:
		return triggerEventBridge, nil
	case shape.RequestContext != nil && shape.Version == "2.0" && shape.RouteKey != nil:
		return triggerHTTPv2, nil
	case shape.RequestContext != nil && shape.HTTPMethod != "":
		return triggerHTTPv1, nil
	}
	return triggerDirect, nil
}

// decodeChatRequest decodes one JSON chat request strictly, so that a
// misspelt field such as "recipient" is an error rather than a chat sent to
// the default recipients. what names the carrier in messages.
func decodeChatRequest(data []byte, what string, defaults []string) (ofs.ChatRequest, error) {
	var req ofs.ChatRequest
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return req, &EventError{Reason: fmt.Sprintf("%s is not a chat request: %s; a chat request "+
			"has the fields text, recipients (or helpdesk) and attachment", what, describeDecodeError(err))}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return req, &EventError{Reason: what + " has data after the JSON object; send one chat request"}
	}
	if req.Text == "" && len(req.Recipients) == 0 && req.Helpdesk == nil && req.Attachment == nil {
		return req, &EventError{Reason: what + " has no chat request fields; " + sampleHint}
	}
	return withDefaults(req, defaults), nil
}

// describeDecodeError shortens encoding/json's messages without quoting
// the data.
func describeDecodeError(err error) string {
	if errors.Is(err, io.EOF) {
		return "it is empty"
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		if typeErr.Field == "" {
			return "it is a JSON " + typeErr.Value + ", not an object"
		}
		return fmt.Sprintf("field %s is a JSON %s, want %s", typeErr.Field, typeErr.Value, typeErr.Type)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// withDefaults fills in the default recipients when req has no recipients
// and no helpdesk.
func withDefaults(req ofs.ChatRequest, defaults []string) ofs.ChatRequest {
	if len(req.Recipients) == 0 && req.Helpdesk == nil {
		req.Recipients = defaults
	}
	return req
}
