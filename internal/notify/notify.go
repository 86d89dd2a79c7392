// Package notify turns notifications from AWS services into OFS chat
// requests: a CloudWatch alarm that SNS delivers, an EventBridge event, or
// a plain-text message.
//
// The text comes from Go text/template templates: built-in ones for
// CloudWatch alarms, EC2 instance state changes, AWS Health events and any
// other EventBridge event, which a templates file can redefine. Text over
// ofs.MaxTextLength is cut with a visible marker, never rejected.
//
// The chat goes to the recipients or helpdesk that the notification names,
// else to those of the first routing rule that matches it, else to the
// default recipients. A notification with none of these is a *RouteError.
// Attachment rules can link an OFS activity, resource or inventory whose
// ID is in a field of the notification.
//
// The package never logs. Its errors are typed: *ConfigError for a
// configuration variable, *RouteError, *EventError for notification content
// and *TemplateError.
package notify

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// Environment variables that FromEnv reads.
const (
	EnvRoutes        = "OFS_ROUTES"         // JSON routing rules; see ParseRoutes
	EnvAttachments   = "OFS_ATTACHMENTS"    // JSON attachment rules; see ParseAttachments
	EnvTemplatesFile = "OFS_TEMPLATES_FILE" // path of a templates file; see ParseTemplates
	// EnvDefaultRecipients is read by the caller and passed to FromEnv.
	// Errors name it as the last resort of routing.
	EnvDefaultRecipients = "OFS_DEFAULT_RECIPIENTS"
	// envTaskRoot is where Lambda unpacks the deployment package. A relative
	// EnvTemplatesFile is read from there.
	envTaskRoot = "LAMBDA_TASK_ROOT"
)

// maxTemplatesFile bounds the templates file, which is read at cold start.
const maxTemplatesFile = 256 << 10

// Notifier makes chat requests from notifications. It is safe for
// concurrent use.
type Notifier struct {
	templates   *Templates
	routes      []Rule
	attachments []AttachmentRule
	defaults    []string
}

// Config is the configuration of a Notifier.
type Config struct {
	Templates         *Templates // nil means DefaultTemplates
	Routes            []Rule
	Attachments       []AttachmentRule
	DefaultRecipients []string
}

// New returns a Notifier for cfg.
func New(cfg Config) *Notifier {
	if cfg.Templates == nil {
		cfg.Templates = DefaultTemplates()
	}
	return &Notifier{templates: cfg.Templates, routes: cfg.Routes, attachments: cfg.Attachments,
		defaults: cfg.DefaultRecipients}
}

// FromEnv reads EnvRoutes, EnvAttachments and EnvTemplatesFile through
// getenv and returns a Notifier that routes unmatched notifications to
// defaults. A variable that is set but unusable is a *ConfigError that
// names it.
func FromEnv(getenv func(string) string, defaults []string) (*Notifier, error) {
	cfg := Config{DefaultRecipients: defaults}
	var err error
	if raw := strings.TrimSpace(getenv(EnvRoutes)); raw != "" {
		if cfg.Routes, err = ParseRoutes([]byte(raw)); err != nil {
			return nil, &ConfigError{Variable: EnvRoutes, Reason: err.Error(), Err: err}
		}
	}
	if raw := strings.TrimSpace(getenv(EnvAttachments)); raw != "" {
		if cfg.Attachments, err = ParseAttachments([]byte(raw)); err != nil {
			return nil, &ConfigError{Variable: EnvAttachments, Reason: err.Error(), Err: err}
		}
	}
	if path := strings.TrimSpace(getenv(EnvTemplatesFile)); path != "" {
		if cfg.Templates, err = loadTemplates(path, getenv(envTaskRoot)); err != nil {
			return nil, err
		}
	}
	return New(cfg), nil
}

// loadTemplates reads and parses a templates file. A relative path is
// taken from taskRoot when it is set, else from the working directory.
func loadTemplates(path, taskRoot string) (*Templates, error) {
	if !filepath.IsAbs(path) && taskRoot != "" {
		path = filepath.Join(taskRoot, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{Variable: EnvTemplatesFile, Err: err, Reason: fmt.Sprintf(
			"reading %s failed: %v; put the file in the deployment package (the bundle folder "+
				"of the repository) and give its path relative to the package root", path,
			strings.TrimPrefix(err.Error(), "open "+path+": "))}
	}
	if len(data) > maxTemplatesFile {
		return nil, &ConfigError{Variable: EnvTemplatesFile, Reason: fmt.Sprintf(
			"%s has %d bytes, more than the %d allowed; chat texts need short templates",
			path, len(data), maxTemplatesFile)}
	}
	templates, err := ParseTemplates(path, string(data))
	if err != nil {
		return nil, &ConfigError{Variable: EnvTemplatesFile, Err: err,
			Reason: strings.TrimPrefix(err.Error(), "template: ")}
	}
	return templates, nil
}

// LogValue describes the configuration for the cold-start log: how many
// routing and attachment rules there are, and which templates file.
func (n *Notifier) LogValue() slog.Value {
	file := n.templates.file
	if file == "" {
		file = "built-in"
	}
	return slog.GroupValue(slog.Int("routes", len(n.routes)), slog.Int("attachments", len(n.attachments)),
		slog.String("templates", file))
}

// Delivery is the SNS topic and the message attributes that came with a
// notification.
type Delivery struct {
	TopicARN   string            // the SNS topic, when SNS delivered the notification
	Attributes map[string]string // SNS or SQS message attributes with a string value
}

// Result is a chat request made from a notification, with what the caller
// should log about it.
type Result struct {
	Request   ofs.ChatRequest
	Template  string // the template that rendered the text; empty for plain text
	Route     string // "event", "rule N" or "defaults"
	Truncated bool   // the text was cut to ofs.MaxTextLength
	// Fallback is the failure of a configured template that the built-in
	// one replaced. It is nil unless a templates file is broken.
	Fallback error
}

// Text returns the chat request for a plain-text message. text must not
// be empty.
func (n *Notifier) Text(text string, d Delivery) (Result, error) {
	return n.finish(text, Result{}, Origin{TopicARN: d.TopicARN}, nil, d, nil)
}

// The origin of every CloudWatch alarm, however it arrives, so that one
// routing rule covers an alarm's SNS notification and its EventBridge event.
const (
	alarmSource     = "aws.cloudwatch"
	alarmDetailType = "CloudWatch Alarm State Change"
)

// Alarm returns the chat request for the alarm JSON that CloudWatch
// publishes to SNS (see KindAlarm).
func (n *Notifier) Alarm(data []byte, d Delivery) (Result, error) {
	alarm, err := alarmFromSNS(data, d.TopicARN)
	if err != nil {
		return Result{}, err
	}
	document, _ := decodeJSON(data) // alarmFromSNS decoded it already
	o := Origin{Source: alarmSource, DetailType: alarmDetailType, TopicARN: d.TopicARN}
	return n.render([]string{TemplateAlarm}, alarm, o, nil, d, document)
}

// Event returns the chat request for an EventBridge event whose detail is
// not a chat request (see DetailIsChatRequest).
func (n *Notifier) Event(event events.EventBridgeEvent, d Delivery) (Result, error) {
	e, err := newEvent(event, d.TopicARN)
	if err != nil {
		return Result{}, err
	}
	o := Origin{Source: e.Source, DetailType: e.DetailType, TopicARN: d.TopicARN}
	if e.Source == alarmSource && e.DetailType == alarmDetailType {
		alarm, err := alarmFromEvent(e)
		if err != nil {
			return Result{}, err
		}
		return n.render([]string{TemplateAlarm}, alarm, o, e.Detail, d, e.document())
	}
	names := []string{e.Source + "/" + e.DetailType}
	if name := dedicatedTemplate(e.Source, e.DetailType); name != "" {
		names = append(names, name)
	}
	names = append(names, TemplateEvent)
	return n.render(names, e, o, e.Detail, d, e.document())
}

// dedicatedTemplate returns the built-in template for an AWS event, or "".
func dedicatedTemplate(source, detailType string) string {
	switch {
	case source == "aws.ec2" && detailType == "EC2 Instance State-change Notification":
		return TemplateEC2
	case source == "aws.health" && (detailType == "AWS Health Event" || detailType == "AWS Health Abuse Event"):
		return TemplateHealth
	}
	return ""
}

func (n *Notifier) render(names []string, data any, o Origin, detail map[string]any, d Delivery,
	document any) (Result, error) {
	text, used, fallback, err := n.templates.render(names, data)
	if err != nil {
		return Result{}, err
	}
	return n.finish(text, Result{Template: used, Fallback: fallback}, o, detail, d, document)
}

// finish cuts the text to length, routes it and adds the attachment.
func (n *Notifier) finish(text string, result Result, o Origin, detail map[string]any, d Delivery,
	document any) (Result, error) {
	r, err := n.routeFor(o, detail, d.Attributes)
	if err != nil {
		return Result{}, err
	}
	result.Request.Text, result.Truncated = Truncate(text, ofs.MaxTextLength)
	result.Request.Recipients = r.recipients
	result.Request.Helpdesk = r.helpdesk
	result.Request.Attachment = n.attachmentFor(o, document)
	result.Route = r.via
	return result, nil
}
