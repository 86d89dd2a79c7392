package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const (
	// maxSummaryLength bounds Event.Summary, in UTF-16 code units, so that
	// the lines after it in a template still fit in the chat.
	maxSummaryLength = 400
	// maxSummaryValue bounds each value in Event.Summary, so that one long
	// member does not push the others out.
	maxSummaryValue = 120
	// maxSummaryDepth is the deepest nesting that Event.Summary shows.
	// Deeper values are skipped, which also keeps the dotted names short.
	maxSummaryDepth = 8
)

// decodeJSON decodes data keeping numbers as json.Number, so that an ID
// such as 4225274 prints as written and not as 4.225274e+06.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	err := dec.Decode(&value)
	return value, err
}

// lookup returns the values at a dotted path in a decoded JSON value. A
// segment is an object member name, an array index, or * for every element
// of an array. A member name that contains a dot cannot be reached.
func lookup(value any, path string) []any {
	current := []any{value}
	for _, segment := range strings.Split(path, ".") {
		var next []any
		for _, v := range current {
			switch node := v.(type) {
			case map[string]any:
				if child, ok := node[segment]; ok {
					next = append(next, child)
				}
			case []any:
				if segment == "*" {
					next = append(next, node...)
				} else if i, err := strconv.Atoi(segment); err == nil && i >= 0 && i < len(node) {
					next = append(next, node[i])
				}
			}
		}
		current = next
	}
	return current
}

// fieldText returns the values at path as text, joined with ", ", or ""
// when the path leads nowhere. It is the template function field.
func fieldText(value any, path string) string {
	var parts []string
	for _, v := range lookup(value, path) {
		if s := valueText(v); s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, ", ")
}

// valueText prints a decoded JSON value: scalars as written, arrays joined
// with ", ", objects as compact JSON and null as "".
func valueText(v any) string {
	switch value := v.(type) {
	case nil:
		return ""
	case string:
		return value
	case json.Number:
		return value.String()
	case float64:
		return strconv.FormatFloat(value, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(value)
	case []any:
		var parts []string
		for _, item := range value {
			if s := valueText(item); s != "" {
				parts = append(parts, s)
			}
		}
		return strings.Join(parts, ", ")
	}
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

// summarize returns the members of a JSON object as "name: value" pairs in
// the order they are written, joined with "; ". Nested members get dotted
// names and list elements their index, except that the scalars of a list
// are joined with ", " into one pair. Empty values are left out, as are the
// top-level members named in skip. The result is cut at maxSummaryLength
// units.
func summarize(raw json.RawMessage, skip map[string]bool) string {
	s := summarizer{dec: json.NewDecoder(bytes.NewReader(raw)), skip: skip}
	s.dec.UseNumber()
	_ = s.value("") // a decoding error, or a full summary, ends the walk
	summary, _ := Truncate(strings.Join(s.pairs, "; "), maxSummaryLength)
	return summary
}

// summarizer walks the JSON tokens once, so that its time grows with the
// detail's size and not with the square of its depth.
type summarizer struct {
	dec    *json.Decoder
	skip   map[string]bool
	pairs  []string
	length int // of the pairs so far, in bytes
	depth  int // of the object or list being read
}

// errSummaryFull stops the walk once the summary is long enough to be cut.
var errSummaryFull = errors.New("summary full")

// value reads one JSON value named name.
func (s *summarizer) value(name string) error {
	token, err := s.dec.Token()
	if err != nil {
		return err
	}
	return s.valueFrom(token, name)
}

// valueFrom reads the rest of the JSON value that token starts. Members of
// the top-level object have no prefix, and only they can be skipped.
func (s *summarizer) valueFrom(token json.Token, name string) error {
	if token == json.Delim('{') || token == json.Delim('[') {
		if s.depth == maxSummaryDepth {
			return s.skipRest()
		}
		s.depth++
		defer func() { s.depth-- }()
	}
	switch token {
	case json.Delim('{'):
		for s.dec.More() {
			key, err := s.dec.Token()
			if err != nil {
				return err
			}
			member, _ := key.(string)
			if name == "" && s.skip[member] {
				var ignored json.RawMessage
				if err := s.dec.Decode(&ignored); err != nil {
					return err
				}
				continue
			}
			if err := s.value(joinName(name, member)); err != nil {
				return err
			}
		}
		_, err := s.dec.Token() // the closing brace
		return err
	case json.Delim('['):
		var scalars []string
		for i := 0; s.dec.More(); i++ {
			item, err := s.dec.Token()
			if err != nil {
				return err
			}
			if item == json.Delim('{') || item == json.Delim('[') {
				if err := s.valueFrom(item, joinName(name, strconv.Itoa(i))); err != nil {
					return err
				}
			} else if text := valueText(item); text != "" {
				scalars = append(scalars, text)
			}
		}
		if _, err := s.dec.Token(); err != nil { // the closing bracket
			return err
		}
		return s.add(name, strings.Join(scalars, ", "))
	}
	return s.add(name, valueText(token))
}

// skipRest reads the rest of an object or a list whose opening token has
// been read.
func (s *summarizer) skipRest() error {
	for open := 1; open > 0; {
		token, err := s.dec.Token()
		if err != nil {
			return err
		}
		switch token {
		case json.Delim('{'), json.Delim('['):
			open++
		case json.Delim('}'), json.Delim(']'):
			open--
		}
	}
	return nil
}

func (s *summarizer) add(name, value string) error {
	value = shorten(maxSummaryValue, oneLine(value))
	if value == "" {
		return nil
	}
	if name != "" {
		value = name + ": " + value
	}
	s.pairs = append(s.pairs, value)
	s.length += len(value) + 2
	// A UTF-16 code unit takes at most 3 bytes of UTF-8, so this length in
	// bytes is always past the cut.
	if s.length > 4*maxSummaryLength {
		return errSummaryFull
	}
	return nil
}

func joinName(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// oneLine replaces each run of white space, line breaks included, with one
// space. It is the template function oneLine.
func oneLine(text string) string {
	return strings.Join(strings.Fields(text), " ")
}

// shorten cuts text to at most limit UTF-16 code units, ending it with "…"
// when it was cut. It is the template function shorten, whose argument
// order suits a pipeline: {{field .Detail "x" | shorten 200}}.
func shorten(limit int, text string) string {
	if limit <= 0 || ofs.TextLength(text) <= limit {
		return text
	}
	used := 0
	for i, r := range text {
		size := utf16.RuneLen(r)
		if used+size > limit-1 {
			return text[:i] + "…"
		}
		used += size
	}
	return text
}
