package ofs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeAccepts(t *testing.T) {
	helpdesk := int64(2001)
	tests := []struct {
		name string
		req  ChatRequest
		want []string
	}{
		{"1000 é", ChatRequest{Text: strings.Repeat("é", 1000), Recipients: []string{"tech17"}}, []string{"tech17"}},
		{"trimmed and deduplicated", ChatRequest{Text: "hi", Recipients: []string{" tech17", "tech23 ", "tech17"}},
			[]string{"tech17", "tech23"}},
		{"helpdesk", ChatRequest{Text: "hi", Helpdesk: &helpdesk}, nil},
		{"activity attachment", ChatRequest{Text: "hi", Recipients: []string{"a"},
			Attachment: &Attachment{Type: "activity", ID: "4225274"}}, []string{"a"}},
		{"image attachment", ChatRequest{Text: "hi", Recipients: []string{"a"}, Attachment: &Attachment{
			Type: "image", Content: &ImageContent{Filename: "a.png", MediaType: "image/png", ImageData: "iVBORw0KGgo="}}},
			[]string{"a"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.req.Normalize()
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if !reflect.DeepEqual(got.Recipients, tt.want) {
				t.Errorf("Recipients = %q, want %q", got.Recipients, tt.want)
			}
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	zero := int64(0)
	helpdesk := int64(2001)
	to := []string{"tech17"}
	tests := []struct {
		name      string
		req       ChatRequest
		wantField string
		wantText  string
	}{
		{"1001 characters", ChatRequest{Text: strings.Repeat("é", 1001), Recipients: to}, "text", "1001 characters"},
		{"emoji count twice", ChatRequest{Text: strings.Repeat("😀", 501), Recipients: to}, "text", "1002 characters"},
		{"empty text", ChatRequest{Text: "", Recipients: to}, "text", "is empty"},
		{"blank text", ChatRequest{Text: " \n\t", Recipients: to}, "text", "is empty"},
		{"no recipients", ChatRequest{Text: "hi"}, "recipients", "is missing"},
		{"blank recipient", ChatRequest{Text: "hi", Recipients: []string{"tech17", " "}}, "recipients[1]", "is empty"},
		{"both recipients and helpdesk", ChatRequest{Text: "hi", Recipients: to, Helpdesk: &helpdesk}, "helpdesk", "together"},
		{"zero helpdesk", ChatRequest{Text: "hi", Helpdesk: &zero}, "helpdesk", "not a helpdesk id"},
		{"attachment type", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "file"}},
			"attachment.type", `"file"`},
		{"activity without id", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "activity"}},
			"attachment.id", "activity's ID"},
		{"image without content", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "image"}},
			"attachment.content", "is missing"},
		{"image with id", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "image", ID: "1"}},
			"attachment.id", "must be empty"},
		{"image bad base64", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "image",
			Content: &ImageContent{Filename: "a.png", MediaType: "image/png", ImageData: "***"}}},
			"attachment.content.imageData", "base64"},
		{"image without filename", ChatRequest{Text: "hi", Recipients: to, Attachment: &Attachment{Type: "image",
			Content: &ImageContent{MediaType: "image/png", ImageData: "AA=="}}},
			"attachment.content.filename", "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.req.Normalize()
			var inputErr *InputError
			if !errors.As(err, &inputErr) {
				t.Fatalf("Normalize error = %v, want an *InputError", err)
			}
			if inputErr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", inputErr.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestTextLengthCountsUTF16(t *testing.T) {
	tests := []struct {
		text string
		want int
	}{
		{"abc", 3},
		{"é", 1},
		{"😀", 2},
		{"", 0},
	}
	for _, tt := range tests {
		if got := TextLength(tt.text); got != tt.want {
			t.Errorf("TextLength(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}
