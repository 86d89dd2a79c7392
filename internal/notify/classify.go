package notify

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ChatRequestDetailType is the detail-type of EventBridge events whose
// detail is a chat request, as the function's own EventBridge rule
// matches them.
const ChatRequestDetailType = "Start Chat"

// Kind is the content of an SNS message or an SQS message body.
type Kind int

const (
	// KindChatRequest is a JSON object that the caller decodes strictly as
	// a chat request, so that a misspelt member is rejected. Every JSON
	// object that is neither of the notifications below is one, and so is
	// text that starts with { but is not valid JSON.
	KindChatRequest Kind = iota
	// KindText is text that does not start with {, sent as it is.
	KindText
	// KindAlarm is the JSON that CloudWatch publishes to SNS when an alarm
	// changes state: it has AlarmName and NewStateValue, and no text.
	KindAlarm
	// KindEvent is an EventBridge event that a rule sent to an SNS topic or
	// an SQS queue: it has source, detail-type and detail, and no text.
	KindEvent
)

// ClassifyMessage returns what a trimmed SNS message or SQS body carries.
// A JSON object with a "text" member is always a chat request.
func ClassifyMessage(message string) Kind {
	if !strings.HasPrefix(message, "{") {
		return KindText
	}
	var members map[string]json.RawMessage
	if json.Unmarshal([]byte(message), &members) != nil {
		return KindChatRequest
	}
	if _, ok := members["text"]; ok {
		return KindChatRequest
	}
	if isString(members["AlarmName"]) && isString(members["NewStateValue"]) {
		return KindAlarm
	}
	if isString(members["source"]) && isString(members["detail-type"]) && members["detail"] != nil {
		return KindEvent
	}
	return KindChatRequest
}

// DetailIsChatRequest reports whether an EventBridge event's detail is a
// chat request rather than a notification to format. It is one when the
// detail-type is ChatRequestDetailType, when the detail is not a JSON
// object (a JSON string that holds a chat request, for example), and when
// the detail object has a "text" member.
func DetailIsChatRequest(detailType string, detail json.RawMessage) bool {
	if detailType == ChatRequestDetailType {
		return true
	}
	trimmed := bytes.TrimSpace(detail)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return true
	}
	var members map[string]json.RawMessage
	if json.Unmarshal(trimmed, &members) != nil {
		return true
	}
	_, hasText := members["text"]
	return hasText
}

func isString(raw json.RawMessage) bool {
	trimmed := bytes.TrimSpace(raw)
	return len(trimmed) > 0 && trimmed[0] == '"'
}
