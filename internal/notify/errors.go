package notify

import (
	"fmt"
	"strings"
)

// ConfigError reports a configuration variable that cannot be used. The
// function reads the configuration once per cold start.
type ConfigError struct {
	Variable string // such as OFS_ROUTES
	Reason   string // what is wrong and how to fix it
	Err      error  // the underlying error, when there is one
}

func (e *ConfigError) Error() string { return e.Variable + ": " + e.Reason }

func (e *ConfigError) Unwrap() error { return e.Err }

// RouteError reports a notification that names no recipients while no
// routing rule matches it and OFS_DEFAULT_RECIPIENTS is empty. The caller
// fails the event, so that the trigger redelivers it or keeps it in a
// dead-letter queue instead of dropping it.
type RouteError struct {
	Origin Origin
}

func (e *RouteError) Error() string {
	return fmt.Sprintf("%s has no recipients: no rule in %s matches it and %s is empty; "+
		"add a rule such as %s to %s, or set %s", e.Origin.describe(), EnvRoutes,
		EnvDefaultRecipients, e.Origin.exampleRule(), EnvRoutes, EnvDefaultRecipients)
}

// EventError reports a notification whose content cannot become a chat,
// such as recipients of the wrong JSON type. Sending it again unchanged
// cannot help.
type EventError struct {
	Reason string
}

func (e *EventError) Error() string { return e.Reason }

// TemplateError reports a template that failed to execute or produced no
// text. It is a configuration problem: fix the template file.
type TemplateError struct {
	Name string // the template, such as "alarm"
	Err  error
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %q failed: %v; fix it in the file that %s names",
		e.Name, e.Err, EnvTemplatesFile)
}

func (e *TemplateError) Unwrap() error { return e.Err }

// describe names the origin in an error message.
func (o Origin) describe() string {
	var parts []string
	if o.DetailType != "" {
		parts = append(parts, fmt.Sprintf("detail-type %q", o.DetailType))
	}
	if o.Source != "" {
		parts = append(parts, fmt.Sprintf("source %q", o.Source))
	}
	if o.TopicARN != "" {
		parts = append(parts, fmt.Sprintf("SNS topic %s", o.TopicARN))
	}
	if len(parts) == 0 {
		return "the notification"
	}
	return "the notification with " + strings.Join(parts, " from ")
}

// exampleRule returns a routing rule that would match the origin.
func (o Origin) exampleRule() string {
	switch {
	case o.TopicARN != "":
		return fmt.Sprintf(`{"topicArn":%q,"recipients":["<login>"]}`, o.TopicARN)
	case o.Source != "":
		return fmt.Sprintf(`{"source":%q,"recipients":["<login>"]}`, o.Source)
	}
	return `{"source":"<source>","recipients":["<login>"]}`
}
