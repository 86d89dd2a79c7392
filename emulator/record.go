package emulator

import (
	"bytes"
	"maps"
	"net/http"
	"net/url"
	"slices"
)

// Endpoint names an OFS endpoint that the emulator serves.
type Endpoint string

const (
	// EndpointToken is POST /rest/oauthTokenService/v2/token.
	EndpointToken Endpoint = "token"
	// EndpointChat is POST /rest/ofscCollaboration/v1/chats.
	EndpointChat Endpoint = "chat"
)

// endpointFor returns the endpoint served at path, or "" for any other path.
func endpointFor(path string) Endpoint {
	switch path {
	case tokenPath:
		return EndpointToken
	case chatsPath:
		return EndpointChat
	}
	return ""
}

// Request is a recorded request to an OFS path (admin API calls are not
// recorded). The emulator records it on arrival and fills Form, Assertion and
// Status when the response is done.
type Request struct {
	Endpoint Endpoint // "" for a path that no endpoint serves
	Method   string
	Path     string
	Header   http.Header // as received, including Authorization
	Form     url.Values  // token requests with a parsable form body
	Body     []byte      // at most maxBodyBytes
	// Assertion is the decoded jwt-bearer assertion, also when a check after
	// decoding rejected it. Nil when absent or not decodable.
	Assertion *Assertion
	// Status is the HTTP status sent. Zero means no response was sent: the
	// request is in flight, a fault dropped it, or the client left first.
	Status int
}

// exchange is one request to an OFS path while the emulator handles it.
type exchange struct {
	r         *http.Request
	endpoint  Endpoint
	body      []byte
	form      url.Values
	assertion *Assertion
	record    *Request // e.requests entry; written only under e.mu
}

// begin records the request's arrival and counts it.
func (e *Emulator) begin(r *http.Request, body []byte) *exchange {
	ex := &exchange{r: r, endpoint: endpointFor(r.URL.Path), body: body}
	ex.record = &Request{
		Endpoint: ex.endpoint,
		Method:   r.Method,
		Path:     r.URL.Path,
		Header:   r.Header.Clone(),
		Body:     bytes.Clone(body),
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.requests = append(e.requests, ex.record)
	switch ex.endpoint {
	case EndpointToken:
		e.tokenRequests++
	case EndpointChat:
		e.chatRequests++
	}
	return ex
}

// finish stores what handling learned and the status sent, 0 for none.
func (e *Emulator) finish(ex *exchange, status int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	ex.record.Form = cloneValues(ex.form)
	ex.record.Assertion = cloneAssertion(ex.assertion)
	ex.record.Status = status
}

// Requests returns a copy of every request recorded since New or Reset, in
// order of arrival.
func (e *Emulator) Requests() []Request {
	e.mu.Lock()
	defer e.mu.Unlock()
	requests := make([]Request, len(e.requests))
	for i, r := range e.requests {
		requests[i] = *r
		requests[i].Header = r.Header.Clone()
		requests[i].Form = cloneValues(r.Form)
		requests[i].Body = bytes.Clone(r.Body)
		requests[i].Assertion = cloneAssertion(r.Assertion)
	}
	return requests
}

// TokenRequests returns how many requests reached the token endpoint path
// since New or Reset, counted on arrival and whatever their outcome.
func (e *Emulator) TokenRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tokenRequests
}

// ChatRequests returns how many requests reached the chats path since New or
// Reset, counted on arrival and whatever their outcome.
func (e *Emulator) ChatRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.chatRequests
}

func cloneValues(v url.Values) url.Values {
	if v == nil {
		return nil
	}
	clone := make(url.Values, len(v))
	for key, values := range v {
		clone[key] = slices.Clone(values)
	}
	return clone
}

// cloneAssertion copies the top-level maps. Nested values are shared, and the
// emulator never modifies them.
func cloneAssertion(a *Assertion) *Assertion {
	if a == nil {
		return nil
	}
	return &Assertion{Header: maps.Clone(a.Header), Claims: maps.Clone(a.Claims), Raw: a.Raw}
}
