package ofs

import (
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf16"
)

// MaxTextLength is the longest chat text OFS accepts, in UTF-16 code units.
// OFS documents 1000 characters; counting UTF-16 units never undercounts,
// since an emoji outside the Basic Multilingual Plane counts as two.
const MaxTextLength = 1000

// ChatRequest is the body of "Start a new chat". Exactly one of Recipients
// and Helpdesk is set.
type ChatRequest struct {
	Text       string      `json:"text"`
	Recipients []string    `json:"recipients,omitempty"`
	Helpdesk   *int64      `json:"helpdesk,omitempty"`
	Attachment *Attachment `json:"attachment,omitempty"`
}

// Attachment links an OFS entity or carries an image.
type Attachment struct {
	Type    string        `json:"type"`              // activity, resource, inventory or image
	ID      string        `json:"id,omitempty"`      // the entity's ID; empty for an image
	Content *ImageContent `json:"content,omitempty"` // images only
}

// ImageContent is the file of an image attachment.
type ImageContent struct {
	Filename  string `json:"filename"`
	MediaType string `json:"mediaType"` // such as image/png
	ImageData string `json:"imageData"` // the file, standard base64
}

// TextLength returns the length of text as OFS limits it, in UTF-16 code units.
func TextLength(text string) int {
	n := 0
	for _, r := range text {
		n += utf16.RuneLen(r) // invalid UTF-8 reads as U+FFFD, one unit
	}
	return n
}

// Normalize checks r against the OFS schema and returns a copy with the
// recipients trimmed and duplicates dropped, keeping their first order.
// Every problem is an *InputError naming the field.
func (r ChatRequest) Normalize() (ChatRequest, error) {
	if strings.TrimSpace(r.Text) == "" {
		return r, &InputError{Field: "text", Reason: "is empty; send 1 to 1000 characters of text"}
	}
	if n := TextLength(r.Text); n > MaxTextLength {
		return r, &InputError{Field: "text", Reason: fmt.Sprintf("has %d characters, more than "+
			"the %d OFS accepts; shorten it", n, MaxTextLength)}
	}
	recipients, err := normalizeRecipients(r.Recipients)
	if err != nil {
		return r, err
	}
	switch {
	case len(recipients) > 0 && r.Helpdesk != nil:
		return r, &InputError{Field: "helpdesk", Reason: "is set together with recipients; " +
			"send either recipient logins or one helpdesk id"}
	case len(recipients) == 0 && r.Helpdesk == nil:
		return r, &InputError{Field: "recipients", Reason: "is missing; send at least one " +
			"login in recipients, or a helpdesk id"}
	case r.Helpdesk != nil && *r.Helpdesk <= 0:
		return r, &InputError{Field: "helpdesk", Reason: fmt.Sprintf("%d is not a helpdesk id; "+
			"use the positive id from the OFS address book", *r.Helpdesk)}
	}
	if err := r.Attachment.validate(); err != nil {
		return r, err
	}
	r.Recipients = recipients
	return r, nil
}

func normalizeRecipients(logins []string) ([]string, error) {
	if len(logins) == 0 {
		return nil, nil
	}
	seen := make(map[string]bool, len(logins))
	out := make([]string, 0, len(logins))
	for i, login := range logins {
		login = strings.TrimSpace(login)
		if login == "" {
			return nil, &InputError{Field: fmt.Sprintf("recipients[%d]", i),
				Reason: "is empty; every recipient must be an OFS user login"}
		}
		if !seen[login] {
			seen[login] = true
			out = append(out, login)
		}
	}
	return out, nil
}

func (a *Attachment) validate() error {
	if a == nil {
		return nil
	}
	fail := func(field, reason string) error {
		return &InputError{Field: "attachment." + field, Reason: reason}
	}
	switch a.Type {
	case "activity", "resource", "inventory":
		if strings.TrimSpace(a.ID) == "" {
			return fail("id", fmt.Sprintf("is empty; a %s attachment needs the %s's ID", a.Type, a.Type))
		}
		if a.Content != nil {
			return fail("content", "is only for images; remove it or use type image")
		}
	case "image":
		if a.ID != "" {
			return fail("id", "must be empty for an image; the image goes in content")
		}
		return a.Content.validate()
	default:
		return fail("type", fmt.Sprintf("%q is not one of activity, resource, inventory, image", a.Type))
	}
	return nil
}

func (c *ImageContent) validate() error {
	if c == nil {
		return &InputError{Field: "attachment.content", Reason: "is missing; an image needs " +
			"filename, mediaType and imageData"}
	}
	for _, f := range []struct{ name, value string }{
		{"filename", c.Filename}, {"mediaType", c.MediaType}, {"imageData", c.ImageData},
	} {
		if strings.TrimSpace(f.value) == "" {
			return &InputError{Field: "attachment.content." + f.name, Reason: "is empty; an image " +
				"needs filename, mediaType and imageData"}
		}
	}
	if _, err := base64.StdEncoding.DecodeString(c.ImageData); err != nil {
		return &InputError{Field: "attachment.content.imageData", Reason: "is not valid standard " +
			"base64; encode the file with base64 (no line breaks, no URL alphabet)"}
	}
	return nil
}
