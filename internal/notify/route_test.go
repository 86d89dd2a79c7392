package notify

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// routingTable is the OFS_ROUTES of TestRouting.
const routingTable = `[
  {"topicArn": "arn:aws:sns:us-east-1:123456789012:ops-alarms", "recipients": ["tech23"]},
  {"source": "aws.health", "helpdesk": 5},
  {"source": "aws.ec2", "detailType": "EC2 Instance State-change Notification", "recipients": ["tech17", "tech23"]},
  {"source": ["aws.rds", "aws.ecs"], "recipients": ["dba1"]},
  {"source": "aws.cloudwatch", "recipients": ["noc1"]},
  {"source": "aws.ec2", "recipients": ["ec2-any"]}
]`

const (
	alarmTopic = "arn:aws:sns:us-east-1:123456789012:ops-alarms"
	otherTopic = "arn:aws:sns:us-east-1:123456789012:yard-alerts"
)

func TestRouting(t *testing.T) {
	rules, err := ParseRoutes([]byte(routingTable))
	if err != nil {
		t.Fatalf("ParseRoutes: %v", err)
	}
	withDefaults := New(Config{Routes: rules, DefaultRecipients: []string{"tech17"}})
	withoutDefaults := New(Config{Routes: rules})

	tests := []struct {
		name           string
		notifier       *Notifier
		send           func(n *Notifier) (Result, error)
		wantRecipients []string
		wantHelpdesk   int64
		wantRoute      string
	}{
		{"topic rule", withDefaults, alarmVia(alarmTopic), []string{"tech23"}, 0, "rule 1"},
		{"alarm from another topic matches its source", withDefaults, alarmVia(otherTopic),
			[]string{"noc1"}, 0, "rule 5"},
		{"plain text on the alarm topic", withDefaults, textVia(alarmTopic, nil), []string{"tech23"}, 0, "rule 1"},
		{"helpdesk rule", withDefaults, event("aws.health", "AWS Health Event", `{}`), nil, 5, "rule 2"},
		{"source and detail-type both match", withDefaults,
			event("aws.ec2", "EC2 Instance State-change Notification", `{}`), []string{"tech17", "tech23"}, 0, "rule 3"},
		{"detail-type differs, so a later rule matches", withDefaults,
			event("aws.ec2", "EC2 Spot Instance Interruption Warning", `{}`), []string{"ec2-any"}, 0, "rule 6"},
		{"list matcher", withDefaults, event("aws.ecs", "ECS Task State Change", `{}`), []string{"dba1"}, 0, "rule 4"},
		{"EventBridge alarm matches the alarm source", withDefaults,
			event("aws.cloudwatch", "CloudWatch Alarm State Change", `{"alarmName":"a"}`), []string{"noc1"}, 0, "rule 5"},
		{"no rule matches", withDefaults, event("acme.dispatch", "Activity Overdue", `{}`),
			[]string{"tech17"}, 0, "defaults"},
		{"plain text without a topic", withDefaults, textVia("", nil), []string{"tech17"}, 0, "defaults"},
		{"event recipients beat rules", withDefaults,
			event("aws.health", "AWS Health Event", `{"recipients":[" tech31 "]}`), []string{"tech31"}, 0, "event"},
		{"event helpdesk", withoutDefaults, event("acme.dispatch", "Activity Overdue", `{"helpdesk":7}`), nil, 7, "event"},
		{"attribute list", withDefaults, textVia(alarmTopic, map[string]string{AttributeRecipients: "tech31, tech32"}),
			[]string{"tech31", "tech32"}, 0, "event"},
		{"attribute String.Array", withDefaults,
			textVia(alarmTopic, map[string]string{AttributeRecipients: `["tech31","tech32"]`}),
			[]string{"tech31", "tech32"}, 0, "event"},
		{"attribute helpdesk", withDefaults, textVia("", map[string]string{AttributeHelpdesk: "9"}), nil, 9, "event"},
		{"empty event recipients fall through to rules", withDefaults,
			event("aws.health", "AWS Health Event", `{"recipients":[]}`), nil, 5, "rule 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			result, err := tt.send(tt.notifier)
			if err != nil {
				t.Fatalf("error = %v", err)
			}
			req := result.Request
			if !slices.Equal(req.Recipients, tt.wantRecipients) {
				t.Errorf("Recipients = %q, want %q", req.Recipients, tt.wantRecipients)
			}
			var helpdesk int64
			if req.Helpdesk != nil {
				helpdesk = *req.Helpdesk
			}
			if helpdesk != tt.wantHelpdesk {
				t.Errorf("Helpdesk = %d, want %d", helpdesk, tt.wantHelpdesk)
			}
			if result.Route != tt.wantRoute {
				t.Errorf("Route = %q, want %q", result.Route, tt.wantRoute)
			}
		})
	}
}

func TestRoutingWithoutRouteFails(t *testing.T) {
	n := New(Config{})
	_, err := textVia(otherTopic, nil)(n)
	var routeErr *RouteError
	if !errors.As(err, &routeErr) {
		t.Fatalf("error = %v, want a *RouteError", err)
	}
	for _, want := range []string{EnvRoutes, EnvDefaultRecipients, otherTopic, `"topicArn"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	_, err = event("acme.dispatch", "Activity Overdue", `{}`)(n)
	if err == nil || !strings.Contains(err.Error(), `{"source":"acme.dispatch"`) {
		t.Errorf("error = %v, want a suggested rule for source acme.dispatch", err)
	}
}

func TestCarriedRouteRejects(t *testing.T) {
	n := New(Config{DefaultRecipients: []string{"tech17"}})
	tests := []struct {
		name string
		send func(n *Notifier) (Result, error)
		want string
	}{
		{"recipients not a list", event("acme.dispatch", "Job", `{"recipients":"tech17"}`), "not a list of logins"},
		{"recipient not a string", event("acme.dispatch", "Job", `{"recipients":[17]}`), "a number where a login belongs"},
		{"helpdesk not an integer", event("acme.dispatch", "Job", `{"helpdesk":"five"}`), "not a positive integer"},
		{"helpdesk zero", event("acme.dispatch", "Job", `{"helpdesk":0}`), "not a positive integer"},
		{"recipients and helpdesk", event("acme.dispatch", "Job", `{"recipients":["a"],"helpdesk":5}`), "both"},
		{"attribute helpdesk", textVia("", map[string]string{AttributeHelpdesk: "x"}), `"x"`},
		{"attribute array broken", textVia("", map[string]string{AttributeRecipients: `["a",`}), "not a JSON list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.send(n)
			var eventErr *EventError
			if !errors.As(err, &eventErr) {
				t.Fatalf("error = %v, want an *EventError", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestParseRoutesRejects(t *testing.T) {
	tests := []struct{ name, routes, want string }{
		{"not JSON", `source=aws.ec2`, "not a JSON list"},
		{"object instead of list", `{"source":"aws.ec2","recipients":["a"]}`, "not a JSON list"},
		{"EventBridge spelling", `[{"detail-type":"x","recipients":["a"]}]`, `unknown field "detail-type"`},
		{"matches nothing", `[{"recipients":["a"]}]`, "rule 1 matches nothing"},
		{"matcher of wrong type", `[{"source":5,"recipients":["a"]}]`, "string or a list of strings"},
		{"both targets", `[{"source":"s","recipients":["a"],"helpdesk":5}]`, "both recipients and helpdesk"},
		{"no target", `[{"source":"s"},{"source":"t"}]`, "rule 1 has neither"},
		{"helpdesk not positive", `[{"source":"s","helpdesk":-1}]`, "not a helpdesk id"},
		{"empty login", `[{"source":"s","recipients":["a"," "]}]`, "empty login"},
		{"trailing data", `[] []`, "data follows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRoutes([]byte(tt.routes))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRoutes(%s) error = %v, want it to contain %q", tt.routes, err, tt.want)
			}
		})
	}
}

func TestFromEnvNamesVariable(t *testing.T) {
	for _, name := range []string{EnvRoutes, EnvAttachments} {
		env := map[string]string{name: `{"oops"`}
		_, err := FromEnv(func(k string) string { return env[k] }, nil)
		var configErr *ConfigError
		if !errors.As(err, &configErr) || configErr.Variable != name {
			t.Errorf("FromEnv with broken %s: error = %v, want a *ConfigError for it", name, err)
		}
	}
}

// textVia sends a plain-text message from an SNS topic, or from SQS when
// topic is empty.
func textVia(topic string, attributes map[string]string) func(n *Notifier) (Result, error) {
	return func(n *Notifier) (Result, error) {
		return n.Text("Gate 3 is blocked", Delivery{TopicARN: topic, Attributes: attributes})
	}
}

// alarmVia sends a CloudWatch alarm notification from an SNS topic.
func alarmVia(topic string) func(n *Notifier) (Result, error) {
	return func(n *Notifier) (Result, error) {
		alarm := `{"AlarmName":"dispatch-api-5xx","NewStateValue":"ALARM","OldStateValue":"OK",` +
			`"AlarmArn":"arn:aws:cloudwatch:us-east-1:123456789012:alarm:dispatch-api-5xx"}`
		return n.Alarm([]byte(alarm), Delivery{TopicARN: topic})
	}
}

// event sends an EventBridge event with the given detail.
func event(source, detailType, detail string) func(n *Notifier) (Result, error) {
	return func(n *Notifier) (Result, error) {
		return n.Event(events.EventBridgeEvent{ID: "e1", Source: source, DetailType: detailType,
			Region: "us-east-1", Time: time.Date(2025, 12, 4, 16, 0, 0, 0, time.UTC),
			Detail: json.RawMessage(detail)}, Delivery{})
	}
}
