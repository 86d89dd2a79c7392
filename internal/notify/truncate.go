package notify

import (
	"strings"
	"unicode/utf16"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// TruncationMarker ends a text that Truncate shortened, so the reader sees
// that the rest is missing. It counts 12 UTF-16 code units.
const TruncationMarker = "…[truncated]"

// Truncate returns text unchanged when ofs.TextLength counts at most limit
// UTF-16 code units in it. Otherwise it cuts text on a rune boundary and
// appends TruncationMarker, so that the result, marker included, has at
// most limit units. A character outside the Basic Multilingual Plane counts
// two units and is kept whole or dropped whole, so a surrogate pair is never
// split. The result is shorter than limit by one unit when such a character
// straddles the cut. limit must be at least the marker's 12 units. The second
// value reports whether text was cut.
func Truncate(text string, limit int) (string, bool) {
	if ofs.TextLength(text) <= limit {
		return text, false
	}
	budget := max(limit-ofs.TextLength(TruncationMarker), 0)
	used := 0
	cut := 0
	for i, r := range text {
		size := utf16.RuneLen(r)
		if size < 0 {
			size = 1 // invalid UTF-8 reads as U+FFFD, as in ofs.TextLength
		}
		if used+size > budget {
			cut = i
			break
		}
		used += size
	}
	var b strings.Builder
	b.Grow(cut + len(TruncationMarker))
	b.WriteString(text[:cut])
	b.WriteString(TruncationMarker)
	return b.String(), true
}
