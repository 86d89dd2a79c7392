package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

const chatDescription = `
Starts an OFS Collaboration chat as the secret's user, with the function's
code: mints an assertion, gets an access token and calls
POST /rest/ofscCollaboration/v1/chats. Prints the chat ID.

Address the chat to user logins with --to, or to a helpdesk with --helpdesk.
The text is 1 to 1000 characters.`

// chatFlags are the chat request flags, shared by chat and check.
type chatFlags struct {
	to       string
	helpdesk int64
	text     string
}

func (c *chatFlags) register(fs *flag.FlagSet, defaultText string) {
	fs.StringVar(&c.to, "to", "", "comma-separated `logins` of the recipients")
	fs.Int64Var(&c.helpdesk, "helpdesk", 0, "helpdesk `ID` to chat with, instead of --to")
	fs.StringVar(&c.text, "text", defaultText, "chat `text`, 1 to 1000 characters")
}

// set reports whether the command line names a chat's recipients.
func (c *chatFlags) set() bool { return c.to != "" || c.helpdesk != 0 }

// request builds and checks the chat request. Every problem is a usage
// error, because nothing has been sent yet.
func (c *chatFlags) request() (ofs.ChatRequest, error) {
	req := ofs.ChatRequest{Text: c.text}
	switch {
	case c.to != "" && c.helpdesk != 0:
		return req, usagef("--to and --helpdesk are both set; a chat goes to logins or to one helpdesk")
	case c.to != "":
		req.Recipients = strings.Split(c.to, ",")
	case c.helpdesk != 0:
		req.Helpdesk = &c.helpdesk
	default:
		return req, usagef("no recipients: pass --to LOGIN[,LOGIN] or --helpdesk ID")
	}
	normalized, err := req.Normalize()
	var inputErr *ofs.InputError
	if errors.As(err, &inputErr) {
		return req, usagef("%s (%s)", err, flagForField(inputErr.Field))
	}
	return normalized, err
}

// flagForField names the flag that sets a chat request field.
func flagForField(field string) string {
	switch {
	case field == "text":
		return "--text"
	case field == "helpdesk":
		return "--helpdesk"
	}
	return "--to"
}

func runChat(ctx context.Context, e *env, args []string) error {
	var source sourceFlags
	var chat chatFlags
	flags := flag.NewFlagSet("chat", flag.ContinueOnError)
	source.register(flags, e, true)
	chat.register(flags, "")
	synopsis := "(--secret-id NAME | --secret-file FILE) [--base-url URL]\n" +
		"       (--to LOGIN[,LOGIN] | --helpdesk ID) --text TEXT"
	if err := parseFlags(flags, e, synopsis, chatDescription, args); err != nil {
		return err
	}
	if err := source.validate(); err != nil {
		return err
	}
	req, err := chat.request()
	if err != nil {
		return err
	}

	ctx, cancel := context.WithTimeout(ctx, source.timeout)
	defer cancel()
	creds, err := source.loadCredentials(ctx, e)
	if err != nil {
		return err
	}
	client, err := source.newClient(creds, e)
	if err != nil {
		return err
	}
	started, err := client.StartChat(ctx, req)
	if err != nil {
		return err
	}

	fmt.Fprintf(e.stdout, "Chat %d started: type %s, with %s", started.ChatID, started.Type, addressees(req))
	if started.StartedBy != "" {
		fmt.Fprintf(e.stdout, ", by %s", started.StartedBy)
	}
	if startedAt, err := started.StartedAt(); err == nil {
		fmt.Fprintf(e.stdout, ", at %s", startedAt.Format(timeLayout))
	}
	fmt.Fprintln(e.stdout, ".")
	return nil
}

// addressees names the chat's recipients or helpdesk.
func addressees(req ofs.ChatRequest) string {
	if req.Helpdesk != nil {
		return fmt.Sprintf("helpdesk %d", *req.Helpdesk)
	}
	return strings.Join(req.Recipients, ", ")
}
