package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// maxTextUnits is the documented 1000-character limit on text. The emulator
// counts UTF-16 code units, so a character outside the BMP counts twice.
const maxTextUnits = 1000

var (
	chatFields       = []string{"text", "recipients", "helpdesk", "attachment"}
	attachmentFields = []string{"type", "id", "content"}
	contentFields    = []string{"filename", "mediaType", "imageData"}
	attachmentTypes  = []string{"activity", "resource", "inventory", "image"}
)

// chatRequest is a validated StartChatRequest body. Exactly one of recipients
// and helpdesk is set.
type chatRequest struct {
	text       string
	recipients []string
	helpdesk   *int64
	attachment json.RawMessage // compacted, nil when absent
}

// parseChatRequest decodes and checks a StartChatRequest body. Every error is
// a 400. Whether logins and the helpdesk exist is checked later.
func parseChatRequest(body []byte) (chatRequest, error) {
	members, err := decodeObject(body, "chat request")
	if err != nil {
		return chatRequest{}, reject(http.StatusBadRequest, "%v", err)
	}
	if err := checkMembers(members, chatFields, "chat request"); err != nil {
		return chatRequest{}, err
	}

	var req chatRequest
	if req.text, err = parseText(members["text"]); err != nil {
		return chatRequest{}, err
	}

	rawRecipients, hasRecipients := members["recipients"]
	rawHelpdesk, hasHelpdesk := members["helpdesk"]
	switch {
	case hasRecipients && hasHelpdesk:
		return chatRequest{}, reject(http.StatusBadRequest,
			"chat request has both recipients and helpdesk; send exactly one and omit the other "+
				"(a null member counts as present)")
	case hasRecipients:
		req.recipients, err = parseRecipients(rawRecipients)
	case hasHelpdesk:
		req.helpdesk, err = parseHelpdesk(rawHelpdesk)
	default:
		err = reject(http.StatusBadRequest, "chat request has neither recipients nor helpdesk; send exactly one")
	}
	if err != nil {
		return chatRequest{}, err
	}

	if raw, ok := members["attachment"]; ok {
		if req.attachment, err = parseAttachment(raw); err != nil {
			return chatRequest{}, err
		}
	}
	return req, nil
}

// checkMembers rejects members that are not in known. A misspelt field such
// as "recipient" would otherwise be ignored silently.
func checkMembers(members map[string]json.RawMessage, known []string, name string) error {
	for key := range members {
		if !slices.Contains(known, key) {
			return reject(http.StatusBadRequest, "%s has unknown field %q; known fields are %s",
				name, echo(key), strings.Join(known, ", "))
		}
	}
	return nil
}

// parseText requires a string of 1 to maxTextUnits UTF-16 code units that is
// not only whitespace.
func parseText(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", reject(http.StatusBadRequest, "chat request has no text; want 1 to %d characters",
			maxTextUnits)
	}
	text, err := decodeString(raw, "text")
	if err != nil {
		return "", err
	}
	units := len(utf16.Encode([]rune(text)))
	switch {
	case units == 0:
		return "", reject(http.StatusBadRequest, "text is empty; want 1 to %d characters", maxTextUnits)
	case units > maxTextUnits:
		return "", reject(http.StatusBadRequest, "text is %d UTF-16 code units long; the maximum is %d",
			units, maxTextUnits)
	case strings.TrimSpace(text) == "":
		return "", reject(http.StatusBadRequest, "text contains only whitespace")
	}
	return text, nil
}

// parseRecipients requires a non-empty array of distinct, non-empty strings.
func parseRecipients(raw json.RawMessage) ([]string, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil || items == nil {
		return nil, reject(http.StatusBadRequest, "recipients is %s; want an array of login strings",
			jsonKind(raw))
	}
	if len(items) == 0 {
		return nil, reject(http.StatusBadRequest, "recipients is empty; want at least one login")
	}
	logins := make([]string, 0, len(items))
	for i, item := range items {
		login, err := decodeString(item, fmt.Sprintf("recipients[%d]", i))
		switch {
		case err != nil:
			return nil, err
		case login == "":
			return nil, reject(http.StatusBadRequest, "recipients[%d] is an empty string; want a login", i)
		case slices.Contains(logins, login):
			return nil, reject(http.StatusBadRequest, "recipients lists %q more than once", echo(login))
		}
		logins = append(logins, login)
	}
	return logins, nil
}

// parseHelpdesk requires a JSON integer.
func parseHelpdesk(raw json.RawMessage) (*int64, error) {
	if jsonKind(raw) != "a number" {
		return nil, reject(http.StatusBadRequest, "helpdesk is %s; want an integer helpdesk ID", jsonKind(raw))
	}
	literal := string(bytes.TrimSpace(raw))
	id, err := strconv.ParseInt(literal, 10, 64)
	if err != nil {
		return nil, reject(http.StatusBadRequest, "helpdesk is %s; want an integer helpdesk ID", echo(literal))
	}
	return &id, nil
}

// parseAttachment checks an attachment object and returns it compacted.
func parseAttachment(raw json.RawMessage) (json.RawMessage, error) {
	members, err := decodeObject(raw, "attachment")
	if err != nil {
		return nil, reject(http.StatusBadRequest, "%v", err)
	}
	if err := checkMembers(members, attachmentFields, "attachment"); err != nil {
		return nil, err
	}
	if err := checkAttachmentType(members); err != nil {
		return nil, err
	}

	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, reject(http.StatusBadRequest, "attachment is not valid JSON")
	}
	return compact.Bytes(), nil
}

// checkAttachmentType checks the attachment members against its type. An
// image needs content and no id. The other types need an id and no content.
func checkAttachmentType(members map[string]json.RawMessage) error {
	if members["type"] == nil {
		return reject(http.StatusBadRequest, "attachment has no type; want one of %s",
			strings.Join(attachmentTypes, ", "))
	}
	kind, err := decodeString(members["type"], "attachment type")
	if err != nil {
		return err
	}

	rawID, hasID := members["id"]
	rawContent, hasContent := members["content"]
	switch {
	case !slices.Contains(attachmentTypes, kind):
		return reject(http.StatusBadRequest, "attachment type %q is not supported; want one of %s",
			echo(kind), strings.Join(attachmentTypes, ", "))
	case kind == "image" && hasID:
		return reject(http.StatusBadRequest, "attachment of type image must not have an id")
	case kind == "image" && !hasContent:
		return reject(http.StatusBadRequest,
			"attachment of type image has no content; want filename, mediaType and imageData")
	case kind == "image":
		return checkImageContent(rawContent)
	case hasContent:
		return reject(http.StatusBadRequest, "attachment of type %s must not have content; "+
			"content is for images only", kind)
	case !hasID:
		return reject(http.StatusBadRequest, "attachment of type %s has no id", kind)
	}
	return checkNonEmptyString(rawID, "attachment id")
}

// checkImageContent requires filename, an image/* mediaType and imageData in
// padded standard base64.
func checkImageContent(raw json.RawMessage) error {
	members, err := decodeObject(raw, "attachment content")
	if err != nil {
		return reject(http.StatusBadRequest, "%v", err)
	}
	if err := checkMembers(members, contentFields, "attachment content"); err != nil {
		return err
	}
	for _, field := range contentFields {
		if members[field] == nil {
			return reject(http.StatusBadRequest, "attachment content has no %s; "+
				"an image needs filename, mediaType and imageData", field)
		}
		if err := checkNonEmptyString(members[field], "attachment content "+field); err != nil {
			return err
		}
	}
	mediaType, _ := decodeString(members["mediaType"], "")
	if parsed, _, err := mime.ParseMediaType(mediaType); err != nil || !strings.HasPrefix(parsed, "image/") {
		return reject(http.StatusBadRequest, "attachment content mediaType %q is not an image/* media type",
			echo(mediaType))
	}
	imageData, _ := decodeString(members["imageData"], "")
	if _, err := base64.StdEncoding.Strict().DecodeString(imageData); err != nil {
		return reject(http.StatusBadRequest,
			"attachment content imageData is not valid base64 (standard alphabet, padded)")
	}
	return nil
}

// decodeString decodes raw as a JSON string. name labels it in errors.
func decodeString(raw json.RawMessage, name string) (string, error) {
	var s string
	if jsonKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
		return "", reject(http.StatusBadRequest, "%s is %s; want a string", name, jsonKind(raw))
	}
	return s, nil
}

func checkNonEmptyString(raw json.RawMessage, name string) error {
	s, err := decodeString(raw, name)
	if err == nil && s == "" {
		err = reject(http.StatusBadRequest, "%s is an empty string", name)
	}
	return err
}
