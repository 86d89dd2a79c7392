package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault changes how the emulator responds to the next matching requests.
//
// A fault with a non-2xx Status, a Body or EmptyBody replaces the response:
// the request is recorded but not handled, so no token is issued and no chat
// starts. Any other fault lets the emulator handle the request as usual first.
// A 2xx Status then replaces the code of a successful response, for example
// 200 instead of 201, and error responses keep theirs. Delay and Drop apply
// after handling, so a chat can start although the client never learns it.
type Fault struct {
	// Endpoint is the endpoint the fault applies to. Empty matches both.
	Endpoint Endpoint

	// Status is the HTTP status to send, 200 to 599. Zero keeps the status,
	// or is 200 when Body is set.
	Status int

	// Body is the raw body to send. With Status set and Body empty, the
	// emulator sends the OFS Error body for that status.
	Body string

	// EmptyBody sends no body at all. It overrides Body.
	EmptyBody bool

	// ContentType is the Content-Type of Body. Empty means application/json.
	ContentType string

	// RetryAfter is the Retry-After header value: seconds or an HTTP date.
	// It is sent as given, so tests can also send invalid values.
	RetryAfter string

	// Delay is the real time to wait before responding. A client that gives
	// up first ends the wait, and no response is sent.
	Delay time.Duration

	// Drop closes the connection without a response, after Delay.
	Drop bool

	// Times is how many matching requests the fault applies to. Zero means 1.
	Times int

	// BodyContains, when set, limits the fault to requests whose raw body
	// contains it, so that a test can fail one of several concurrent chats.
	BodyContains string
}

// Inject queues f. Each request to an endpoint takes the oldest queued fault
// that matches it. Inject panics if f is invalid, for example with a Status
// outside 200..599 or with Drop and a Body, because that is a test bug.
func (e *Emulator) Inject(f Fault) {
	if err := f.validate(); err != nil {
		panic("emulator: " + err.Error())
	}
	if f.Times == 0 {
		f.Times = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, f)
}

func (f Fault) validate() error {
	switch {
	case f.Endpoint != "" && f.Endpoint != EndpointToken && f.Endpoint != EndpointChat:
		return fmt.Errorf("fault endpoint %q is invalid; want %q, %q or empty for both",
			f.Endpoint, EndpointToken, EndpointChat)
	case f.Status != 0 && (f.Status < 200 || f.Status > 599):
		return fmt.Errorf("fault status %d is invalid; want 200 to 599, or 0 to keep the status", f.Status)
	case f.Times < 0:
		return fmt.Errorf("fault times %d is invalid; want 0 or more", f.Times)
	case f.Delay < 0:
		return fmt.Errorf("fault delay %v is invalid; want 0 or more", f.Delay)
	case strings.ContainsAny(f.RetryAfter+f.ContentType, "\r\n"):
		return errors.New("fault retryAfter and contentType must not contain line breaks")
	case f.Drop && (f.Status != 0 || f.Body != "" || f.EmptyBody || f.ContentType != ""):
		return errors.New("fault drop sends no response, so status, body, emptyBody " +
			"and contentType must be unset")
	}
	return nil
}

// takeFault removes one use of the oldest fault that matches endpoint and
// body.
func (e *Emulator) takeFault(endpoint Endpoint, body []byte) (Fault, bool) {
	if endpoint == "" {
		return Fault{}, false
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, f := range e.faults {
		if f.Endpoint != "" && f.Endpoint != endpoint {
			continue
		}
		if f.BodyContains != "" && !strings.Contains(string(body), f.BodyContains) {
			continue
		}
		e.faults[i].Times--
		if e.faults[i].Times == 0 {
			e.faults = append(e.faults[:i:i], e.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// replacesResponse reports whether the fault's response replaces handling.
func (f Fault) replacesResponse() bool {
	return f.Body != "" || f.EmptyBody || (f.Status != 0 && !isSuccess(f.Status))
}

// response returns the response that replaces handling.
func (f Fault) response() response {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body == "" && !f.EmptyBody {
		return statusErrorResponse(status,
			fmt.Sprintf("fault injected by the emulator: %d %s", status, http.StatusText(status)))
	}
	contentType := f.ContentType
	if contentType == "" {
		contentType = "application/json"
	}
	resp := response{status: status, header: http.Header{}}
	if !f.EmptyBody {
		resp.body = []byte(f.Body)
		resp.header.Set("Content-Type", contentType)
	}
	return resp
}

// apply adjusts a handled response: a 2xx Status replaces a success code, and
// RetryAfter is added to any response.
func (f Fault) apply(resp response) response {
	if f.Status != 0 && isSuccess(resp.status) {
		resp.status = f.Status
	}
	if f.RetryAfter != "" {
		if resp.header == nil {
			resp.header = http.Header{}
		}
		resp.header.Set("Retry-After", f.RetryAfter)
	}
	return resp
}

func isSuccess(status int) bool {
	return status >= 200 && status < 300
}

// wait sleeps for d of real time and reports whether it ended before ctx.
func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// dropConnection closes the client connection without a response. Where the
// connection cannot be hijacked, as with HTTP/2, it aborts the handler, which
// makes net/http reset the stream.
func dropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	// Close errors are moot: the aim is a connection that ends unanswered.
	_ = conn.Close()
}
