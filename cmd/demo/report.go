package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// outcome is the result of one invoke as the demo reports it.
type outcome struct {
	file     string
	trigger  string // such as "SQS", from triggerName
	duration time.Duration
	summary  string          // the function's result in short, such as "201 Created"
	chats    []emulator.Chat // chats that the emulator started during the invoke
	problem  string          // the reason the event failed, or empty
	ok       bool
	log      []string // the function's warnings and errors, kept for failed events
}

// result is the union of the handler's result shapes.
type result struct {
	StatusCode        int    `json:"statusCode"`
	Body              string `json:"body"`
	ChatID            int64  `json:"chatId"`
	BatchItemFailures *[]struct {
		ItemIdentifier string `json:"itemIdentifier"`
	} `json:"batchItemFailures"`
}

// judge reads the invoke response. An event succeeds when the function
// returned no error and every chat it carries started: 201 for HTTP, no
// batch item failures for SQS, a chat otherwise.
func judge(event []byte, status int, body []byte, chats []emulator.Chat) outcome {
	o := outcome{chats: chats}
	if status != http.StatusOK {
		o.summary = fmt.Sprintf("RIE returned status %d", status)
		o.problem = strings.TrimSpace(string(body))
		return o
	}
	if fnErr, ok := localstack.ParseFunctionError(body); ok {
		o.summary = "function error " + fnErr.Type
		o.problem = fnErr.Message
		return o
	}

	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		o.summary = plural(len(chats), "chat")
		o.ok = len(chats) > 0
		return o
	}
	var r result
	if err := json.Unmarshal(trimmed, &r); err != nil {
		o.summary = "unreadable result"
		o.problem = err.Error()
		return o
	}

	switch {
	case r.StatusCode != 0:
		o.summary = strconv.Itoa(r.StatusCode) + " " + http.StatusText(r.StatusCode)
		if r.StatusCode != http.StatusCreated {
			o.problem = describeErrorBody(r.Body)
		}
	case r.BatchItemFailures != nil:
		o.summary = fmt.Sprintf("%s, %s", plural(countRecords(event), "record"),
			plural(len(*r.BatchItemFailures), "batch item failure"))
		for _, failure := range *r.BatchItemFailures {
			o.problem += " " + failure.ItemIdentifier
		}
		if o.problem != "" {
			o.problem = "redelivered:" + o.problem
		}
	case r.ChatID != 0:
		o.summary = "" // the chat line describes the result
	default:
		o.summary = "unknown result"
		o.problem = string(trimmed)
	}

	o.ok = o.problem == "" && len(chats) > 0
	if o.problem == "" && len(chats) == 0 {
		o.problem = "the emulator started no chat"
	}
	return o
}

// describeErrorBody returns "code: message" from an HTTP error body
// {"error","message"}, or the body as it is.
func describeErrorBody(body string) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
		return body
	}
	return e.Error + ": " + e.Message
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// countRecords returns the number of records in an SQS or SNS event.
func countRecords(event []byte) int {
	var records struct {
		Records []json.RawMessage `json:"Records"`
	}
	_ = json.Unmarshal(event, &records) // a direct invoke has no records
	return len(records.Records)
}

// functionLog returns the warnings and errors that the bootstrap logged,
// as "message (source): error", skipping RIE's own lines and any error
// that the result already reported.
func functionLog(output []byte, reported string) []string {
	var lines []string
	for _, line := range strings.Split(string(output), "\n") {
		var entry struct {
			Level  string `json:"level"`
			Msg    string `json:"message"`
			Source string `json:"source"`
			Error  string `json:"error"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil {
			continue // one of RIE's own lines
		}
		if entry.Level == "INFO" || entry.Level == "DEBUG" {
			continue
		}
		if entry.Error != "" && strings.Contains(reported, entry.Error) {
			continue
		}
		text := entry.Msg
		if entry.Source != "" {
			text += " (" + entry.Source + ")"
		}
		if entry.Error != "" {
			text += ": " + entry.Error
		}
		lines = append(lines, text)
	}
	return lines
}

// report prints outcomes as they come and a summary at the end.
type report struct {
	out       io.Writer
	fileWidth int // of the file name column
	events    int
	failed    []string
	started   int
}

// triggerWidth fits the longest triggerName.
const triggerWidth = 19

func newReport(out io.Writer, paths []string) *report {
	r := &report{out: out}
	for _, path := range paths {
		r.fileWidth = max(r.fileWidth, len(filepath.Base(path)))
	}
	return r
}

// add prints one event's outcome: the file, the trigger, the result and the
// time the invoke took, then each chat started and, for a failure, the
// reason and the function log. A single chat shares the first line.
func (r *report) add(o outcome) {
	r.events++
	r.started += len(o.chats)
	mark := "ok  "
	if !o.ok {
		mark = "FAIL"
		r.failed = append(r.failed, o.file)
	}
	parts := []string{}
	if o.summary != "" {
		parts = append(parts, o.summary)
	}
	chats := o.chats
	if len(chats) == 1 {
		parts = append(parts, describeChat(chats[0]))
		chats = nil
	}
	line := fmt.Sprintf("%s  %-*s  %-*s  %s", mark, r.fileWidth, o.file, triggerWidth, o.trigger,
		strings.Join(parts, ", "))
	fmt.Fprintf(r.out, "%s  (%d ms)\n", line, o.duration.Milliseconds())
	indent := strings.Repeat(" ", 6+r.fileWidth+2+triggerWidth+2)
	if len(o.chats) == 1 {
		printText(r.out, indent, o.chats[0].Text)
	}
	for _, chat := range chats {
		fmt.Fprintf(r.out, "%s%s\n", indent, describeChat(chat))
		printText(r.out, indent, chat.Text)
	}
	if o.problem != "" {
		fmt.Fprintf(r.out, "%s%s\n", indent, o.problem)
	}
	for _, line := range o.log {
		fmt.Fprintf(r.out, "%slog: %s\n", indent, line)
	}
}

func describeChat(chat emulator.Chat) string {
	description := fmt.Sprintf("chat %d (%s) to %s", chat.ID, chat.Type, addressees(chat))
	var attachment struct {
		Type string `json:"type"`
		ID   string `json:"id"`
	}
	if json.Unmarshal(chat.Attachment, &attachment) == nil && attachment.Type != "" {
		description += fmt.Sprintf(", attachment %s %s", attachment.Type, attachment.ID)
	}
	return description
}

// printText prints a chat's text under its chat line. Each line starts
// with "| ", which sets the text apart from the report's own lines.
func printText(out io.Writer, indent, text string) {
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(out, "%s| %s\n", indent, line)
	}
}

func addressees(chat emulator.Chat) string {
	if chat.Helpdesk != nil {
		return "helpdesk " + strconv.FormatInt(*chat.Helpdesk, 10)
	}
	return strings.Join(chat.Recipients, ", ")
}

// finish prints the summary with the OFS token requests and Secrets Manager
// GetSecretValue calls made in all, and returns an error when an event
// failed.
func (r *report) finish(tokenRequests, secretFetches int) error {
	fmt.Fprintf(r.out, "\n%s: %d started their chats, %d failed. %s started in all.\n",
		plural(r.events, "event"), r.events-len(r.failed), len(r.failed), plural(r.started, "chat"))
	fmt.Fprintf(r.out, "Token requests to OFS: %d. GetSecretValue calls to Secrets Manager: %d.\n",
		tokenRequests, secretFetches)
	if len(r.failed) > 0 {
		return fmt.Errorf("%d of %d events did not start their chats: %s",
			len(r.failed), r.events, strings.Join(r.failed, ", "))
	}
	return nil
}

// triggerName names the trigger that an event file comes from, by the
// fields that tell the event shapes apart.
func triggerName(event []byte) string {
	var shape struct {
		Records []struct {
			EventSource string `json:"eventSource"` // also matches SNS's EventSource
		} `json:"Records"`
		Version        string          `json:"version"`
		RouteKey       string          `json:"routeKey"`
		HTTPMethod     string          `json:"httpMethod"`
		RequestContext json.RawMessage `json:"requestContext"`
		DetailType     string          `json:"detail-type"`
	}
	if json.Unmarshal(event, &shape) != nil {
		return "not JSON"
	}
	switch {
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sqs":
		return "SQS"
	case len(shape.Records) > 0 && shape.Records[0].EventSource == "aws:sns":
		return "SNS"
	case shape.DetailType != "":
		return "EventBridge rule"
	case shape.RequestContext != nil && shape.Version == "2.0" && shape.RouteKey == "$default":
		return "function URL"
	case shape.RequestContext != nil && shape.Version == "2.0":
		return "API Gateway HTTP"
	case shape.RequestContext != nil && shape.HTTPMethod != "":
		return "API Gateway REST"
	}
	return "direct or Scheduler"
}
