package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// adminPrefix is the path prefix of the admin API. It lies outside /rest/, so
// no OFS client call can reach it by accident.
const adminPrefix = "/_emulator/"

// userJSON is a User in the admin API.
type userJSON struct {
	Login           string   `json:"login"`
	NoCollaboration bool     `json:"noCollaboration"`
	Reach           []string `json:"reach"`
}

// helpdeskJSON is a helpdesk in the admin API.
type helpdeskJSON struct {
	ID *int64 `json:"id"`
}

// faultJSON is a Fault in the admin API, with Delay as a Go duration string.
type faultJSON struct {
	Endpoint    Endpoint `json:"endpoint"`
	Status      int      `json:"status"`
	Body        string   `json:"body"`
	EmptyBody   bool     `json:"emptyBody"`
	ContentType string   `json:"contentType"`
	RetryAfter  string   `json:"retryAfter"`
	Delay       string   `json:"delay"`
	Drop        bool     `json:"drop"`
	Times       int      `json:"times"`
	// BodyContains limits the fault to requests whose body contains it.
	BodyContains string `json:"bodyContains"`
}

// statsJSON is the body of GET /_emulator/stats.
type statsJSON struct {
	TokenRequests int `json:"tokenRequests"`
	ChatRequests  int `json:"chatRequests"`
}

// adminRoute is one admin API resource: its method and handler.
type adminRoute struct {
	method string
	handle func(e *Emulator, body []byte) response
}

var adminRoutes = map[string]adminRoute{
	"certificate": {http.MethodPut, (*Emulator).adminCertificate},
	"users":       {http.MethodPost, (*Emulator).adminUser},
	"helpdesks":   {http.MethodPost, (*Emulator).adminHelpdesk},
	"faults":      {http.MethodPost, (*Emulator).adminFault},
	"chats":       {http.MethodGet, (*Emulator).adminChats},
	"stats":       {http.MethodGet, (*Emulator).adminStats},
	"reset":       {http.MethodPost, (*Emulator).adminReset},
}

// serveAdmin serves the admin API. Its requests are not recorded.
func (e *Emulator) serveAdmin(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, adminPrefix)
	route, ok := adminRoutes[name]
	if !ok {
		errorResponse(reject(http.StatusNotFound, "no admin resource at %q", echo(r.URL.Path))).write(w)
		return
	}
	if r.Method != route.method {
		errorResponse(methodNotAllowed(r.Method, r.URL.Path, route.method)).write(w)
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		errorResponse(err).write(w)
		return
	}
	route.handle(e, body).write(w)
}

func (e *Emulator) adminCertificate(body []byte) response {
	if err := e.SetCertificate(body); err != nil {
		return errorResponse(reject(http.StatusBadRequest, "%v", err))
	}
	return noContent()
}

func (e *Emulator) adminUser(body []byte) response {
	var u userJSON
	if err := decodeAdminJSON(body, &u); err != nil {
		return errorResponse(err)
	}
	if u.Login == "" {
		return errorResponse(reject(http.StatusBadRequest, "user has no login"))
	}
	e.AddUser(User{Login: u.Login, NoCollaboration: u.NoCollaboration, Reach: u.Reach})
	return noContent()
}

func (e *Emulator) adminHelpdesk(body []byte) response {
	var h helpdeskJSON
	if err := decodeAdminJSON(body, &h); err != nil {
		return errorResponse(err)
	}
	if h.ID == nil {
		return errorResponse(reject(http.StatusBadRequest, "helpdesk has no id"))
	}
	e.AddHelpdesk(*h.ID)
	return noContent()
}

func (e *Emulator) adminFault(body []byte) response {
	var wire faultJSON
	if err := decodeAdminJSON(body, &wire); err != nil {
		return errorResponse(err)
	}
	f := Fault{
		Endpoint:     wire.Endpoint,
		Status:       wire.Status,
		Body:         wire.Body,
		EmptyBody:    wire.EmptyBody,
		ContentType:  wire.ContentType,
		RetryAfter:   wire.RetryAfter,
		Drop:         wire.Drop,
		Times:        wire.Times,
		BodyContains: wire.BodyContains,
	}
	if wire.Delay != "" {
		delay, err := time.ParseDuration(wire.Delay)
		if err != nil {
			return errorResponse(reject(http.StatusBadRequest,
				"fault delay %q is not a Go duration such as \"2s\" or \"150ms\"", echo(wire.Delay)))
		}
		f.Delay = delay
	}
	if err := f.validate(); err != nil {
		return errorResponse(reject(http.StatusBadRequest, "%v", err))
	}
	e.Inject(f)
	return noContent()
}

func (e *Emulator) adminChats([]byte) response {
	return jsonResponse(http.StatusOK, e.Chats())
}

func (e *Emulator) adminStats([]byte) response {
	e.mu.Lock()
	stats := statsJSON{TokenRequests: e.tokenRequests, ChatRequests: e.chatRequests}
	e.mu.Unlock()
	return jsonResponse(http.StatusOK, stats)
}

func (e *Emulator) adminReset([]byte) response {
	e.Reset()
	return noContent()
}

// decodeAdminJSON decodes body as exactly one JSON object into v, rejecting
// unknown fields.
func decodeAdminJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return reject(http.StatusBadRequest, "request body is not a valid JSON object: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return reject(http.StatusBadRequest, "request body has data after the JSON object")
	}
	return nil
}

func noContent() response {
	return response{status: http.StatusNoContent}
}
