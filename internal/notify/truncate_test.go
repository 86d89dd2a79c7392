package notify

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		wantLength int  // UTF-16 code units of the result
		wantCut    bool // whether the marker was added
	}{
		{"ASCII at the limit", strings.Repeat("a", 1000), 1000, false},
		{"ASCII one over", strings.Repeat("a", 1001), 1000, true},
		{"two-byte UTF-8 at the limit", strings.Repeat("é", 1000), 1000, false},
		{"two-byte UTF-8 one over", strings.Repeat("é", 1001), 1000, true},
		{"three-byte UTF-8 over", strings.Repeat("漢", 1500), 1000, true},
		{"surrogate pairs at the limit", strings.Repeat("😀", 500), 1000, false},
		{"surrogate pairs over", strings.Repeat("😀", 501), 1000, true},
		// The cut falls inside the 494th pair, which is dropped whole.
		{"surrogate pair straddling the cut", "a" + strings.Repeat("😀", 600), 999, true},
		{"mixed widths over", strings.Repeat("aé漢😀", 300), 1000, true},
		{"short", "Gate 3 is blocked", 17, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, cut := Truncate(tt.text, ofs.MaxTextLength)
			if cut != tt.wantCut {
				t.Errorf("cut = %v, want %v", cut, tt.wantCut)
			}
			if n := ofs.TextLength(got); n != tt.wantLength {
				t.Errorf("TextLength(result) = %d, want %d", n, tt.wantLength)
			}
			if !utf8.ValidString(got) {
				t.Errorf("result is not valid UTF-8, so a character was split")
			}
			if hasMarker := strings.HasSuffix(got, TruncationMarker); hasMarker != tt.wantCut {
				t.Errorf("result ends with the marker = %v, want %v", hasMarker, tt.wantCut)
			}
			if !tt.wantCut && got != tt.text {
				t.Errorf("result changed a text within the limit")
			}
			if tt.wantCut && !strings.HasPrefix(tt.text, strings.TrimSuffix(got, TruncationMarker)) {
				t.Errorf("result is not a prefix of the text plus the marker")
			}
		})
	}
}

func TestTruncateMarkerLength(t *testing.T) {
	if n := ofs.TextLength(TruncationMarker); n != 12 {
		t.Errorf("TextLength(TruncationMarker) = %d, want the 12 that its comment states", n)
	}
}

func TestTruncatedTextIsAccepted(t *testing.T) {
	text, _ := Truncate(strings.Repeat("Zählerstand 😀 ", 200), ofs.MaxTextLength)
	req := ofs.ChatRequest{Text: text, Recipients: []string{"tech17"}}
	if _, err := req.Normalize(); err != nil {
		t.Errorf("Normalize rejects the truncated text: %v", err)
	}
}

func TestPlainTextOverLimitIsCut(t *testing.T) {
	n := New(Config{DefaultRecipients: []string{"tech17"}})
	result, err := n.Text(strings.Repeat("ß", 1500), Delivery{})
	if err != nil {
		t.Fatalf("Text: %v", err)
	}
	if !result.Truncated {
		t.Errorf("Truncated = false, want true")
	}
	if got := ofs.TextLength(result.Request.Text); got != ofs.MaxTextLength {
		t.Errorf("TextLength = %d, want %d", got, ofs.MaxTextLength)
	}
}

func TestShorten(t *testing.T) {
	tests := []struct {
		limit      int
		text, want string
	}{
		{5, "abcdef", "abcd…"},
		{6, "abcdef", "abcdef"},
		{3, "😀😀", "😀…"},
		{2, "😀😀", "…"},
		{0, "abc", "abc"},
	}
	for _, tt := range tests {
		if got := shorten(tt.limit, tt.text); got != tt.want {
			t.Errorf("shorten(%d, %q) = %q, want %q", tt.limit, tt.text, got, tt.want)
		}
	}
}
