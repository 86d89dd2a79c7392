package emulator_test

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestFaultReplacesResponse(t *testing.T) {
	tests := []struct {
		name            string
		fault           emulator.Fault
		wantStatus      int
		wantContentType string
		wantBody        string // exact body; empty means the OFS Error body
		wantRetryAfter  string
	}{
		{"429 with Retry-After seconds",
			emulator.Fault{Endpoint: emulator.EndpointToken, Status: 429, RetryAfter: "7"},
			429, "application/json", "", "7"},
		{"429 without Retry-After",
			emulator.Fault{Endpoint: emulator.EndpointToken, Status: 429},
			429, "application/json", "", ""},
		{"503 with Retry-After date",
			emulator.Fault{Status: 503, RetryAfter: "Thu, 01 Jan 2026 00:00:30 GMT"},
			503, "application/json", "", "Thu, 01 Jan 2026 00:00:30 GMT"},
		{"500", emulator.Fault{Status: 500}, 500, "application/json", "", ""},
		{"502 HTML body",
			emulator.Fault{Status: 502, Body: "<html><body>Bad Gateway</body></html>", ContentType: "text/html"},
			502, "text/html", "<html><body>Bad Gateway</body></html>", ""},
		{"504 empty body", emulator.Fault{Status: 504, EmptyBody: true}, 504, "", "", ""},
		{"OAuth-style error",
			emulator.Fault{Status: 400, Body: `{"error":"invalid_grant","error_description":"bad assertion"}`},
			400, "application/json", `{"error":"invalid_grant","error_description":"bad assertion"}`, ""},
		{"numeric status member",
			emulator.Fault{Status: 401, Body: `{"type":"about:blank","title":"Unauthorized","status":401}`},
			401, "application/json", `{"type":"about:blank","title":"Unauthorized","status":401}`, ""},
		{"o:errorCode member",
			emulator.Fault{Status: 403, Body: `{"title":"Forbidden","status":"403","o:errorCode":"OFS-1"}`},
			403, "application/json", `{"title":"Forbidden","status":"403","o:errorCode":"OFS-1"}`, ""},
		{"200 with non-JSON body", emulator.Fault{Body: "OK"}, 200, "application/json", "OK", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.em.Inject(tt.fault)
			res := f.postToken(t, assertionForm(f.assertion(t)), nil)
			if tt.wantBody == "" && !tt.fault.EmptyBody {
				wantError(t, res, tt.wantStatus, "fault injected")
			} else {
				if res.status != tt.wantStatus {
					t.Errorf("status = %d, want %d", res.status, tt.wantStatus)
				}
				if string(res.body) != tt.wantBody {
					t.Errorf("body = %q, want %q", res.body, tt.wantBody)
				}
				if got := res.header.Get("Content-Type"); got != tt.wantContentType {
					t.Errorf("Content-Type = %q, want %q", got, tt.wantContentType)
				}
			}
			if got := res.header.Get("Retry-After"); got != tt.wantRetryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tt.wantRetryAfter)
			}
			requests := f.em.Requests()
			if len(requests) != 1 || requests[0].Status != tt.wantStatus {
				t.Errorf("recorded requests = %+v, want one with status %d", requests, tt.wantStatus)
			}
			if res := f.postToken(t, assertionForm(f.assertion(t)), nil); res.status != http.StatusOK {
				t.Errorf("status after the fault = %d, want 200; body %s", res.status, res.body)
			}
		})
	}
}

func TestFaultSuccessStatusOverride(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusOK})
	res := f.postChat(t, token, chatBody(t, "hi"))
	if res.status != http.StatusOK {
		t.Errorf("status = %d, want 200", res.status)
	}
	if !strings.Contains(string(res.body), `"chatId":48213`) {
		t.Errorf("body = %s, want the chat response", res.body)
	}
	if n := len(f.em.Chats()); n != 1 {
		t.Errorf("len(Chats()) = %d, want 1", n)
	}

	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusOK})
	res = f.postChat(t, token, `{"text":"hi"}`)
	wantError(t, res, http.StatusBadRequest, "neither recipients nor helpdesk")
}

func TestFaultTimesAndOrder(t *testing.T) {
	f := setup(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: 429})
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: 503, Times: 2})
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Status: 500})

	form := func() string { return assertionForm(f.assertion(t)).Encode() }
	for i, want := range []int{503, 503, 500, 200} {
		req := newRequest(t, http.MethodPost, f.srv.URL+tokenPath, "application/x-www-form-urlencoded", form())
		if res := send(t, req); res.status != want {
			t.Errorf("token request %d status = %d, want %d", i, res.status, want)
		}
	}
	token := f.token(t)
	wantError(t, f.postChat(t, token, chatBody(t, "hi")), 429, "fault injected")
	if res := f.postChat(t, token, chatBody(t, "hi")); res.status != http.StatusCreated {
		t.Errorf("second chat status = %d, want 201", res.status)
	}
	if got := f.em.TokenRequests(); got != 5 {
		t.Errorf("TokenRequests() = %d, want 5", got)
	}
	if got := f.em.ChatRequests(); got != 2 {
		t.Errorf("ChatRequests() = %d, want 2", got)
	}
}

func TestFaultDelayBeyondClientTimeout(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Delay: 10 * time.Second})

	client := &http.Client{Timeout: 100 * time.Millisecond}
	req := newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "application/json", chatBody(t, "hi"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("Do returned status %d, want a timeout", resp.StatusCode)
	}
	var netErr net.Error
	if !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Errorf("Do error = %v, want a timeout", err)
	}
	// The chat started before the delay, as when a response is lost.
	if n := len(f.em.Chats()); n != 1 {
		t.Errorf("len(Chats()) = %d, want 1", n)
	}
	// Close waits for running handlers, so a quick Close shows that the
	// delayed handler stopped when the client left.
	start := time.Now()
	f.srv.Close()
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Errorf("server Close took %v; the delayed handler ignored the cancelled request", elapsed)
	}
	requests := f.em.Requests()
	if got := requests[len(requests)-1].Status; got != 0 {
		t.Errorf("recorded status = %d, want 0 for no response", got)
	}
}

func TestFaultDelayThenResponse(t *testing.T) {
	f := setup(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointToken, Delay: 50 * time.Millisecond, Status: 503})
	start := time.Now()
	wantError(t, f.postToken(t, assertionForm(f.assertion(t)), nil), 503, "fault injected")
	if elapsed := time.Since(start); elapsed < 50*time.Millisecond {
		t.Errorf("response came after %v, want at least 50ms", elapsed)
	}
}

func TestFaultDropConnection(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Drop: true})

	req := newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "application/json", chatBody(t, "hi"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("Do returned status %d, want a connection error", resp.StatusCode)
	}
	if n := len(f.em.Chats()); n != 1 {
		t.Errorf("len(Chats()) = %d, want 1: the chat starts before the drop", n)
	}
	requests := f.em.Requests()
	if got := requests[len(requests)-1].Status; got != 0 {
		t.Errorf("recorded status = %d, want 0 for a dropped connection", got)
	}
	if res := f.postChat(t, token, chatBody(t, "again")); res.status != http.StatusCreated {
		t.Errorf("status after the drop = %d, want 201", res.status)
	}
}

func TestFaultEmptyEndpointMatchesBoth(t *testing.T) {
	f := setup(t)
	f.em.Inject(emulator.Fault{Status: 502})
	wantError(t, f.postToken(t, assertionForm(f.assertion(t)), nil), 502, "fault injected")
	token := f.token(t)
	f.em.Inject(emulator.Fault{Status: 502})
	wantError(t, f.postChat(t, token, chatBody(t, "hi")), 502, "fault injected")
	if res := f.postChat(t, token, chatBody(t, "hi")); res.status != http.StatusCreated {
		t.Errorf("chat status after the faults = %d, want 201", res.status)
	}
}

func TestFaultBodyContainsMatchesOneChat(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	f.em.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: 503, BodyContains: "gate 3"})
	if res := f.postChat(t, token, chatBody(t, "gate 1")); res.status != http.StatusCreated {
		t.Errorf("status of the chat without the text = %d, want 201", res.status)
	}
	wantError(t, f.postChat(t, token, chatBody(t, "gate 3")), 503, "fault injected")
	if res := f.postChat(t, token, chatBody(t, "gate 3")); res.status != http.StatusCreated {
		t.Errorf("status after the fault was used = %d, want 201", res.status)
	}
}

func TestResetClearsFaults(t *testing.T) {
	f := setup(t)
	f.em.Inject(emulator.Fault{Status: 503, Times: 3})
	f.em.Reset()
	if res := f.postToken(t, assertionForm(f.assertion(t)), nil); res.status != http.StatusOK {
		t.Errorf("status after Reset = %d, want 200", res.status)
	}
}

func TestInjectInvalidFaultPanics(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.Fault
	}{
		{"status 42", emulator.Fault{Status: 42}},
		{"status 600", emulator.Fault{Status: 600}},
		{"unknown endpoint", emulator.Fault{Endpoint: "messages"}},
		{"negative times", emulator.Fault{Times: -1}},
		{"negative delay", emulator.Fault{Delay: -time.Second}},
		{"drop with status", emulator.Fault{Drop: true, Status: 503}},
		{"line break in Retry-After", emulator.Fault{Status: 429, RetryAfter: "1\r\nX-Evil: 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			defer func() {
				if recover() == nil {
					t.Errorf("Inject(%+v) did not panic", tt.fault)
				}
			}()
			f.em.Inject(tt.fault)
		})
	}
}
