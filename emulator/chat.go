package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	chatsPath = "/rest/ofscCollaboration/v1/chats"

	// startedTimeLayout is the StartChatResponse time format: UTC, no zone.
	startedTimeLayout = "2006-01-02 15:04:05"
)

// Chat is a chat that the emulator started with a 201 response.
type Chat struct {
	ID          int64           `json:"chatId"`
	Type        string          `json:"type"` // "normal" or "conference"
	StartedBy   string          `json:"startedBy"`
	StartedTime string          `json:"startedTime"` // UTC "YYYY-MM-DD HH:MM:SS"
	Text        string          `json:"text"`
	Recipients  []string        `json:"recipients,omitempty"`
	Helpdesk    *int64          `json:"helpdesk,omitempty"`
	Attachment  json.RawMessage `json:"attachment,omitempty"` // compacted, as sent
}

// startChatResponse is the 201 body of "Start a new chat".
type startChatResponse struct {
	ChatID       int64  `json:"chatId"`
	Type         string `json:"type"`
	StartedBy    string `json:"startedBy"`
	StartedTime  string `json:"startedTime"`
	Participants []link `json:"participants"`
}

type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

// handleChat serves POST /rest/ofscCollaboration/v1/chats. It checks, in this
// order, the Bearer token (401), the user's Collaboration permission (403),
// the body (400), the logins and helpdesk (400) and the user's reach (403).
func (e *Emulator) handleChat(ex *exchange) response {
	if ex.r.Method != http.MethodPost {
		return errorResponse(methodNotAllowed(ex.r.Method, chatsPath, http.MethodPost))
	}
	now := e.cfg.Now()
	token, err := e.authorizeBearer(ex.r, now)
	if err != nil {
		return errorResponse(err)
	}
	if err := e.checkPermission(token.subject); err != nil {
		return errorResponse(err)
	}

	if err := checkMediaType(ex.r, "application/json"); err != nil {
		return errorResponse(err)
	}
	req, err := parseChatRequest(ex.body)
	if err != nil {
		return errorResponse(err)
	}
	chat, err := e.startChat(token.subject, req, now)
	if err != nil {
		return errorResponse(err)
	}

	href := chatsPath + "/" + strconv.FormatInt(chat.ID, 10) + "/participants"
	return jsonResponse(http.StatusCreated, startChatResponse{
		ChatID:       chat.ID,
		Type:         chat.Type,
		StartedBy:    chat.StartedBy,
		StartedTime:  chat.StartedTime,
		Participants: []link{{Rel: "participants", Href: href}},
	})
}

// checkPermission rejects a subject whose user type lacks the Collaboration
// permission. The application identity has no user, so it passes.
func (e *Emulator) checkPermission(subject string) error {
	if subject == e.audience {
		return nil
	}
	if u, _ := e.user(subject); u.NoCollaboration {
		return reject(http.StatusForbidden,
			"user %q lacks the Collaboration permission, so it cannot start a chat", subject)
	}
	return nil
}

// startChat checks the logins, helpdesk and reach against the current users,
// and records the chat. Checks and recording share one lock, so a chat never
// starts against a half-updated user list.
func (e *Emulator) startChat(subject string, req chatRequest, now time.Time) (Chat, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.checkAddresseesLocked(subject, req); err != nil {
		return Chat{}, err
	}
	chatType := "normal"
	if len(req.recipients) > 1 {
		chatType = "conference"
	}
	chat := Chat{
		ID:          e.nextChatID,
		Type:        chatType,
		StartedBy:   subject,
		StartedTime: now.UTC().Format(startedTimeLayout),
		Text:        req.text,
		Recipients:  req.recipients,
		Helpdesk:    req.helpdesk,
		Attachment:  req.attachment,
	}
	e.nextChatID++
	e.chats = append(e.chats, chat)
	return cloneChat(chat), nil
}

// checkAddresseesLocked returns 400 for an unknown login or helpdesk, and 403
// for a recipient outside the subject's reach. The caller holds e.mu.
func (e *Emulator) checkAddresseesLocked(subject string, req chatRequest) error {
	if req.helpdesk != nil && !e.helpdesks[*req.helpdesk] {
		return reject(http.StatusBadRequest, "helpdesk %d is not a known helpdesk ID", *req.helpdesk)
	}
	for i, login := range req.recipients {
		if _, known := e.users[login]; !known {
			return reject(http.StatusBadRequest, "recipients[%d] %q is not a known user login", i, echo(login))
		}
		if login == subject {
			return reject(http.StatusBadRequest,
				"recipients[%d] %q is the user starting the chat; list only the other participants",
				i, login)
		}
	}
	starter, isUser := e.users[subject]
	if !isUser || starter.Reach == nil {
		return nil
	}
	for _, login := range req.recipients {
		if !slices.Contains(starter.Reach, login) {
			// NOTE: OFS documents no status for an unreachable recipient.
			// 403 is a guess, and real OFS may return 400.
			return reject(http.StatusForbidden,
				"user %q cannot reach recipient %q, because no collaboration group of %q contains %q",
				subject, login, subject, login)
		}
	}
	return nil
}

// Chats returns a copy of the chats started with a 201, oldest first.
func (e *Emulator) Chats() []Chat {
	e.mu.Lock()
	defer e.mu.Unlock()
	chats := make([]Chat, len(e.chats))
	for i, chat := range e.chats {
		chats[i] = cloneChat(chat)
	}
	return chats
}

func cloneChat(c Chat) Chat {
	c.Recipients = slices.Clone(c.Recipients)
	c.Attachment = slices.Clone(c.Attachment)
	if c.Helpdesk != nil {
		id := *c.Helpdesk
		c.Helpdesk = &id
	}
	return c
}

// isChatSubpath reports whether path is another Collaboration chat resource,
// such as /chats/{chatId}/messages, which the emulator does not serve.
func isChatSubpath(path string) bool {
	return strings.HasPrefix(path, chatsPath+"/")
}
