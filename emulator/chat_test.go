package emulator_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// chatBody returns a chat request with text and one recipient.
func chatBody(t *testing.T, text string) string {
	t.Helper()
	body, err := json.Marshal(map[string]any{"text": text, "recipients": []string{"tech17"}})
	if err != nil {
		t.Fatalf("encoding chat body: %v", err)
	}
	return string(body)
}

func TestChatRequestValidation(t *testing.T) {
	const image = `{"type":"image","content":{"filename":"gate.png","mediaType":"image/png","imageData":"iVBORw0KGgo="}}`
	tests := []struct {
		name       string
		body       func(*testing.T) string
		wantStatus int
		wantDetail string // for errors; the chat type for 201
	}{
		{"one recipient", raw(`{"text":"hi","recipients":["tech17"]}`), http.StatusCreated, "normal"},
		{"two recipients", raw(`{"text":"hi","recipients":["tech17","tech23"]}`), http.StatusCreated, "conference"},
		{"helpdesk", raw(`{"text":"hi","helpdesk":5}`), http.StatusCreated, "normal"},
		{"unknown field recipient", raw(`{"text":"hi","recipient":"tech17"}`),
			http.StatusBadRequest, `unknown field "recipient"`},
		{"1000 two-byte characters", func(t *testing.T) string { return chatBody(t, strings.Repeat("é", 1000)) },
			http.StatusCreated, "normal"},
		{"1001 two-byte characters", func(t *testing.T) string { return chatBody(t, strings.Repeat("é", 1001)) },
			http.StatusBadRequest, "text is 1001 UTF-16 code units long; the maximum is 1000"},
		{"500 emoji", func(t *testing.T) string { return chatBody(t, strings.Repeat("🚚", 500)) },
			http.StatusCreated, "normal"},
		{"500 emoji and a letter", func(t *testing.T) string { return chatBody(t, strings.Repeat("🚚", 500)+"a") },
			http.StatusBadRequest, "text is 1001 UTF-16 code units"},
		{"empty text", raw(`{"text":"","recipients":["tech17"]}`), http.StatusBadRequest, "text is empty"},
		{"whitespace text", raw(`{"text":" \n\t","recipients":["tech17"]}`), http.StatusBadRequest, "only whitespace"},
		{"missing text", raw(`{"recipients":["tech17"]}`), http.StatusBadRequest, "has no text"},
		{"numeric text", raw(`{"text":7,"recipients":["tech17"]}`), http.StatusBadRequest, "text is a number"},
		{"empty recipients", raw(`{"text":"hi","recipients":[]}`), http.StatusBadRequest, "recipients is empty"},
		{"null recipients", raw(`{"text":"hi","recipients":null}`), http.StatusBadRequest, "recipients is null"},
		{"recipients string", raw(`{"text":"hi","recipients":"tech17"}`), http.StatusBadRequest, "recipients is a string"},
		{"recipient object", raw(`{"text":"hi","recipients":[{"login":"tech17"}]}`),
			http.StatusBadRequest, "recipients[0] is an object"},
		{"empty login", raw(`{"text":"hi","recipients":["tech17",""]}`), http.StatusBadRequest, "recipients[1] is an empty string"},
		{"duplicate login", raw(`{"text":"hi","recipients":["tech17","tech17"]}`),
			http.StatusBadRequest, `"tech17" more than once`},
		{"unknown login", raw(`{"text":"hi","recipients":["tech17","ghost"]}`),
			http.StatusBadRequest, `recipients[1] "ghost" is not a known user login`},
		{"sender as recipient", raw(`{"text":"hi","recipients":["dispatcher1"]}`),
			http.StatusBadRequest, "is the user starting the chat"},
		{"helpdesk and recipients", raw(`{"text":"hi","recipients":["tech17"],"helpdesk":5}`),
			http.StatusBadRequest, "both recipients and helpdesk"},
		{"null helpdesk beside recipients", raw(`{"text":"hi","recipients":["tech17"],"helpdesk":null}`),
			http.StatusBadRequest, "both recipients and helpdesk"},
		{"neither recipients nor helpdesk", raw(`{"text":"hi"}`), http.StatusBadRequest, "neither recipients nor helpdesk"},
		{"helpdesk string", raw(`{"text":"hi","helpdesk":"5"}`), http.StatusBadRequest, "helpdesk is a string"},
		{"helpdesk fraction", raw(`{"text":"hi","helpdesk":5.5}`), http.StatusBadRequest, "helpdesk is 5.5"},
		{"unknown helpdesk", raw(`{"text":"hi","helpdesk":9}`), http.StatusBadRequest, "helpdesk 9 is not a known helpdesk ID"},
		{"activity attachment", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"activity","id":"4711"}}`),
			http.StatusCreated, "normal"},
		{"image attachment", raw(`{"text":"hi","recipients":["tech17"],"attachment":` + image + `}`),
			http.StatusCreated, "normal"},
		{"attachment type video", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"video","id":"1"}}`),
			http.StatusBadRequest, `attachment type "video" is not supported`},
		{"attachment without type", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"id":"1"}}`),
			http.StatusBadRequest, "attachment has no type"},
		{"resource without id", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"resource"}}`),
			http.StatusBadRequest, "attachment of type resource has no id"},
		{"numeric inventory id", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"inventory","id":12}}`),
			http.StatusBadRequest, "attachment id is a number"},
		{"attachment unknown field", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"activity","id":"1","url":"x"}}`),
			http.StatusBadRequest, `attachment has unknown field "url"`},
		{"activity with content", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"activity","id":"1","content":{}}}`),
			http.StatusBadRequest, "content is for images only"},
		{"image with id", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"image","id":"1","content":{}}}`),
			http.StatusBadRequest, "type image must not have an id"},
		{"image without content", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"image"}}`),
			http.StatusBadRequest, "type image has no content"},
		{"image without filename", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"image",` +
			`"content":{"mediaType":"image/png","imageData":"AAAA"}}}`), http.StatusBadRequest, "content has no filename"},
		{"image with text media type", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"image",` +
			`"content":{"filename":"a.txt","mediaType":"text/plain","imageData":"AAAA"}}}`),
			http.StatusBadRequest, `mediaType "text/plain" is not an image/*`},
		{"image with bad base64", raw(`{"text":"hi","recipients":["tech17"],"attachment":{"type":"image",` +
			`"content":{"filename":"a.png","mediaType":"image/png","imageData":"not base64!"}}}`),
			http.StatusBadRequest, "imageData is not valid base64"},
		{"not JSON", raw(`text=hi`), http.StatusBadRequest, "chat request is not a JSON object"},
		{"JSON array", raw(`[{"text":"hi","recipients":["tech17"]}]`), http.StatusBadRequest, "not a JSON object"},
		{"two objects", raw(`{"text":"hi","recipients":["tech17"]}{}`), http.StatusBadRequest, "data after the JSON object"},
		{"duplicate member", raw(`{"text":"hi","text":"again","recipients":["tech17"]}`),
			http.StatusBadRequest, `member "text" more than once`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			res := f.postChat(t, f.token(t), tt.body(t))
			if tt.wantStatus != http.StatusCreated {
				wantError(t, res, tt.wantStatus, tt.wantDetail)
				if n := len(f.em.Chats()); n != 0 {
					t.Errorf("len(Chats()) = %d after a rejected request, want 0", n)
				}
				return
			}
			if res.status != http.StatusCreated {
				t.Fatalf("status = %d, want 201; body %s", res.status, res.body)
			}
			var got struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal(res.body, &got); err != nil || got.Type != tt.wantDetail {
				t.Errorf("type = %q (%v), want %q", got.Type, err, tt.wantDetail)
			}
		})
	}
}

// raw returns a body function for a fixed chat request body.
func raw(body string) func(*testing.T) string {
	return func(*testing.T) string { return body }
}

func TestChatRecordsStartedChat(t *testing.T) {
	f := setup(t)
	f.clock.Advance(5 * time.Second)
	body := `{ "text": "Gate 3", "helpdesk": 5, "attachment": { "type": "activity", "id": "4711" } }`
	if res := f.postChat(t, f.token(t), body); res.status != http.StatusCreated {
		t.Fatalf("status = %d, want 201; body %s", res.status, res.body)
	}
	chats := f.em.Chats()
	if len(chats) != 1 {
		t.Fatalf("len(Chats()) = %d, want 1", len(chats))
	}
	got := chats[0]
	if got.ID != 48213 || got.Type != "normal" || got.StartedBy != "dispatcher1" || got.Text != "Gate 3" {
		t.Errorf("chat = %+v, want ID 48213, type normal, startedBy dispatcher1, text Gate 3", got)
	}
	if got.Helpdesk == nil || *got.Helpdesk != 5 {
		t.Errorf("Helpdesk = %v, want 5", got.Helpdesk)
	}
	if got.Recipients != nil {
		t.Errorf("Recipients = %v, want nil", got.Recipients)
	}
	if string(got.Attachment) != `{"type":"activity","id":"4711"}` {
		t.Errorf("Attachment = %s, want the compacted attachment", got.Attachment)
	}
	if got.StartedTime != "2026-01-01 00:00:05" {
		t.Errorf("StartedTime = %q, want 2026-01-01 00:00:05", got.StartedTime)
	}
}

func TestChatIDsIncreaseAndReset(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	for _, want := range []int64{48213, 48214} {
		if res := f.postChat(t, token, chatBody(t, "hi")); res.status != http.StatusCreated {
			t.Fatalf("status = %d, want 201; body %s", res.status, res.body)
		}
		chats := f.em.Chats()
		if got := chats[len(chats)-1].ID; got != want {
			t.Errorf("chat ID = %d, want %d", got, want)
		}
	}
	f.em.Reset()
	if res := f.postChat(t, f.token(t), chatBody(t, "hi")); !strings.Contains(string(res.body), `"chatId":48213`) {
		t.Errorf("first chat after Reset = %s, want chatId 48213", res.body)
	}
}

func TestChatAuthorization(t *testing.T) {
	tests := []struct {
		name          string
		authorization func(token string) string
		wantStatus    int
		wantDetail    string
	}{
		{"missing", func(string) string { return "" }, http.StatusUnauthorized, "missing Authorization header"},
		{"Basic", func(string) string { return "Basic c3RhcnRjaGF0QGFjbWUudGVzdDp4" },
			http.StatusUnauthorized, "Basic authorization cannot start a chat"},
		{"unknown token", func(string) string { return "Bearer not-issued" }, http.StatusUnauthorized, "unknown"},
		{"empty token", func(string) string { return "Bearer " }, http.StatusUnauthorized, "Bearer token is empty"},
		{"other scheme", func(tok string) string { return "Token " + tok }, http.StatusUnauthorized, `scheme "token"`},
		{"lowercase bearer", func(tok string) string { return "bearer " + tok }, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			req := newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "application/json", chatBody(t, "hi"))
			if value := tt.authorization(f.token(t)); value != "" {
				req.Header.Set("Authorization", value)
			}
			res := send(t, req)
			if tt.wantStatus == http.StatusCreated {
				if res.status != http.StatusCreated {
					t.Fatalf("status = %d, want 201; body %s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tt.wantStatus, tt.wantDetail)
		})
	}
}

func TestChatRouting(t *testing.T) {
	f := setup(t)
	token := f.token(t)
	req := newRequest(t, http.MethodGet, f.srv.URL+chatsPath, "", "")
	req.Header.Set("Authorization", "Bearer "+token)
	wantError(t, send(t, req), http.StatusMethodNotAllowed, "use POST")

	req = newRequest(t, http.MethodPost, f.srv.URL+chatsPath+"/48213/messages", "application/json", `{"text":"hi"}`)
	req.Header.Set("Authorization", "Bearer "+token)
	wantError(t, send(t, req), http.StatusNotFound, "serves only POST")

	req = newRequest(t, http.MethodPost, f.srv.URL+chatsPath, "text/plain", chatBody(t, "hi"))
	req.Header.Set("Authorization", "Bearer "+token)
	wantError(t, send(t, req), http.StatusBadRequest, `Content-Type "text/plain" is not supported`)
}

func TestChatPermissions(t *testing.T) {
	tests := []struct {
		name       string
		sender     emulator.User
		recipients string
		wantStatus int
		wantDetail string
	}{
		{"no Collaboration permission", emulator.User{Login: "dispatcher1", NoCollaboration: true},
			`["tech17"]`, http.StatusForbidden, `user "dispatcher1" lacks the Collaboration permission`},
		{"recipient out of reach", emulator.User{Login: "dispatcher1", Reach: []string{"tech17"}},
			`["tech17","tech23"]`, http.StatusForbidden, `user "dispatcher1" cannot reach recipient "tech23"`},
		{"recipient in reach", emulator.User{Login: "dispatcher1", Reach: []string{"tech17"}},
			`["tech17"]`, http.StatusCreated, ""},
		{"in no group", emulator.User{Login: "dispatcher1", Reach: []string{}},
			`["tech17"]`, http.StatusForbidden, `cannot reach recipient "tech17"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := setup(t)
			f.em.AddUser(tt.sender)
			res := f.postChat(t, f.token(t), `{"text":"hi","recipients":`+tt.recipients+`}`)
			if tt.wantStatus == http.StatusCreated {
				if res.status != http.StatusCreated {
					t.Fatalf("status = %d, want 201; body %s", res.status, res.body)
				}
				return
			}
			wantError(t, res, tt.wantStatus, tt.wantDetail)
		})
	}
}
