package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// maxBodyBytes caps every request body the emulator reads.
const maxBodyBytes = 1 << 20

// maxEchoLength caps client-sent values quoted in error details.
const maxEchoLength = 80

// response is an HTTP response prepared before it is written, so that faults
// can delay, replace or drop it.
type response struct {
	status int
	header http.Header
	body   []byte
}

// write sends the response. Its headers replace those already set on w.
func (resp response) write(w http.ResponseWriter) {
	h := w.Header()
	for name, values := range resp.header {
		h[name] = values
	}
	if resp.status != http.StatusNoContent {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	// A write error means that the client has gone, so it cannot be reported.
	_, _ = w.Write(resp.body)
}

// errorBody is the OFS Error schema. OFS sends status as a string.
type errorBody struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// ofsError is a rejected request: the HTTP status and the detail sent in the
// Error body. Details never contain an assertion, a token or a secret.
type ofsError struct {
	status int
	detail string
	allow  string // Allow header value for 405
}

func (e *ofsError) Error() string {
	return fmt.Sprintf("%d %s", e.status, e.detail)
}

// reject returns an *ofsError with a formatted detail.
func reject(status int, format string, args ...any) error {
	return &ofsError{status: status, detail: fmt.Sprintf(format, args...)}
}

// methodNotAllowed returns a 405 error that names the allowed method.
func methodNotAllowed(method, path, allowed string) error {
	return &ofsError{
		status: http.StatusMethodNotAllowed,
		detail: fmt.Sprintf("method %s is not allowed on %s; use %s", echo(method), path, allowed),
		allow:  allowed,
	}
}

// errorResponse converts err into an OFS Error response. An error that is not
// an *ofsError becomes a 500.
func errorResponse(err error) response {
	var oe *ofsError
	if !errors.As(err, &oe) {
		oe = &ofsError{status: http.StatusInternalServerError, detail: "emulator error: " + err.Error()}
	}
	resp := statusErrorResponse(oe.status, oe.detail)
	if oe.allow != "" {
		resp.header.Set("Allow", oe.allow)
	}
	return resp
}

// statusErrorResponse returns the OFS Error body for status with detail.
func statusErrorResponse(status int, detail string) response {
	body := errorBody{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: strconv.Itoa(status),
		Detail: detail,
	}
	return jsonResponse(status, body)
}

// jsonResponse returns v encoded as an application/json response.
func jsonResponse(status int, v any) response {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":"500"}`)
	}
	header := http.Header{}
	header.Set("Content-Type", "application/json")
	return response{status: status, header: header, body: body}
}

// readBody reads at most maxBodyBytes of the request body.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, reject(http.StatusRequestEntityTooLarge,
			"request body is larger than the %d-byte limit", maxBodyBytes)
	case err != nil:
		return nil, reject(http.StatusBadRequest, "reading the request body failed: %v", err)
	}
	return body, nil
}

// checkMediaType rejects a request whose Content-Type is not want. Parameters
// such as charset are allowed.
func checkMediaType(r *http.Request, want string) error {
	value := r.Header.Get("Content-Type")
	if value == "" {
		return reject(http.StatusBadRequest, "missing Content-Type; want %s", want)
	}
	mediaType, _, err := mime.ParseMediaType(value)
	if err != nil || mediaType != want {
		return reject(http.StatusBadRequest, "Content-Type %q is not supported; want %s",
			echo(value), want)
	}
	return nil
}

// decodeObject decodes data as exactly one JSON object and returns its members.
// It rejects duplicate member names, which parsers would otherwise resolve
// differently. name labels the value in errors.
func decodeObject(data []byte, name string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s is not a JSON object", name)
	}
	members := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s is not valid JSON", name)
		}
		key := tok.(string) // inside an object, the decoder returns keys as strings
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			return nil, fmt.Errorf("%s is not valid JSON", name)
		}
		if _, dup := members[key]; dup {
			return nil, fmt.Errorf("%s has member %q more than once", name, echo(key))
		}
		members[key] = value
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON", name)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s has data after the JSON object", name)
	}
	return members, nil
}

// jsonKind returns the JSON type of a raw value, for error details.
func jsonKind(raw json.RawMessage) string {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return "nothing"
	}
	switch trimmed[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// echo shortens a client-sent value before an error detail quotes it.
func echo(s string) string {
	if len(s) <= maxEchoLength {
		return s
	}
	return strings.ToValidUTF8(s[:maxEchoLength], "") + "..."
}
