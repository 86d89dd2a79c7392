package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// messageRequest turns a notification message (SNS Message or SQS body)
// into a chat request, by the rule of notify.ClassifyMessage. A JSON object
// with a "text" member, or any JSON object that is not a notification, is
// decoded strictly as a chat request. A CloudWatch alarm notification or an
// EventBridge event becomes the notifier's text, and other text is sent as
// it is. Both go to the routed recipients. id and what name the message in
// logs and errors.
func (h *handler) messageRequest(ctx context.Context, log *slog.Logger, id, what, message string, d notify.Delivery) (ofs.ChatRequest, error) {
	trimmed := strings.TrimSpace(strings.TrimPrefix(message, "\ufeff"))
	// A message that starts like JSON but does not parse is a broken chat
	// request, not text for the default recipients.
	if strings.HasPrefix(trimmed, "{") && !json.Valid([]byte(trimmed)) {
		return ofs.ChatRequest{}, &EventError{Reason: what + " starts with { but is not valid " +
			"JSON; fix the chat request, or send plain text that does not start with {"}
	}
	if trimmed == "" {
		return ofs.ChatRequest{}, &EventError{Reason: what + " is empty; send a chat request or text"}
	}
	switch notify.ClassifyMessage(trimmed) {
	case notify.KindChatRequest:
		return decodeChatRequest([]byte(trimmed), what, h.settings.DefaultRecipients)
	case notify.KindAlarm:
		return h.notification(ctx, log, id, what, func(n *notify.Notifier) (notify.Result, error) {
			return n.Alarm([]byte(trimmed), d)
		})
	case notify.KindEvent:
		var event events.EventBridgeEvent
		if err := json.Unmarshal([]byte(trimmed), &event); err != nil {
			return ofs.ChatRequest{}, &EventError{Reason: what + " is an EventBridge event that " +
				"does not decode: " + describeDecodeError(err)}
		}
		return h.eventRequest(ctx, log, id, what, event, d)
	}
	return h.notification(ctx, log, id, what, func(n *notify.Notifier) (notify.Result, error) {
		return n.Text(trimmed, d)
	})
}

// eventRequest returns the chat request of an EventBridge event. That is
// its detail when notify.DetailIsChatRequest says so, as an object or as a
// JSON string that holds one. Otherwise it is the notifier's text for the
// event.
func (h *handler) eventRequest(ctx context.Context, log *slog.Logger, id, what string, event events.EventBridgeEvent,
	d notify.Delivery) (ofs.ChatRequest, error) {
	if !notify.DetailIsChatRequest(event.DetailType, event.Detail) {
		return h.notification(ctx, log, id, what, func(n *notify.Notifier) (notify.Result, error) {
			return n.Event(event, d)
		})
	}
	detail := []byte(event.Detail)
	var text string
	if json.Unmarshal(detail, &text) == nil {
		detail = []byte(text)
	}
	return decodeChatRequest(detail, what, h.settings.DefaultRecipients)
}

// notification makes a chat request with the configured notifier and logs
// how: the template, the route and whether the text was cut. A missing
// route or a broken template is a *ConfigError, and other problems with
// the notification are an *EventError, so the trigger redelivers the event
// or keeps it in its dead-letter queue.
func (h *handler) notification(ctx context.Context, log *slog.Logger, id, what string,
	format func(*notify.Notifier) (notify.Result, error)) (ofs.ChatRequest, error) {
	if h.configErr != nil {
		return ofs.ChatRequest{}, h.configErr
	}
	notifier := h.settings.Notifier
	if notifier == nil {
		notifier = notify.New(notify.Config{DefaultRecipients: h.settings.DefaultRecipients})
	}
	result, err := format(notifier)
	if err != nil {
		return ofs.ChatRequest{}, notificationError(what, err)
	}
	if result.Fallback != nil {
		log.WarnContext(ctx, "a configured template failed, so the built-in one formatted the notification",
			"source", id, "error", result.Fallback.Error())
	}
	log.InfoContext(ctx, "notification formatted", "source", id, "template", result.Template, "route", result.Route,
		"truncated", result.Truncated)
	return result.Request, nil
}

// notificationError sorts the errors of the notify package into the
// function's error types, prefixed with what names the message.
func notificationError(what string, err error) error {
	var (
		routeErr    *notify.RouteError
		templateErr *notify.TemplateError
	)
	if errors.As(err, &routeErr) || errors.As(err, &templateErr) {
		return &ConfigError{Reason: what + ": " + err.Error(), Err: err}
	}
	return &EventError{Reason: what + ": " + err.Error()}
}
