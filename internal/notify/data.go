package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Alarm is the data of the "alarm" template: a CloudWatch alarm that
// changed state, from an SNS notification or from a CloudWatch Alarm State
// Change event.
type Alarm struct {
	Name          string
	Description   string
	State         string // ALARM, OK or INSUFFICIENT_DATA
	PreviousState string
	Reason        string
	Region        string // the Region code, such as us-east-1
	RegionName    string // such as "US East (N. Virginia)"; SNS notifications only
	Account       string
	ARN           string
	Time          time.Time // when the state changed; zero when unknown
	Metric        string    // such as "AWS/EC2 CPUUtilization"; empty unless the alarm watches one metric
	Dimensions    string    // such as "InstanceId=i-0abc"; sorted by name
	TopicARN      string    // the SNS topic that delivered the notification, if any
}

// Event is the data of the "event", "ec2-instance-state" and "health"
// templates, and of templates named "<source>/<detail-type>".
type Event struct {
	ID         string
	Source     string
	DetailType string
	Account    string
	Region     string
	Time       time.Time
	Resources  []string
	Detail     map[string]any // the detail object; numbers are json.Number
	TopicARN   string         // the SNS topic that delivered the event, if any

	rawDetail json.RawMessage
}

// routingMembers are the detail members that carry routing, not content.
var routingMembers = map[string]bool{"recipients": true, "helpdesk": true}

// Summary returns the detail's members as "name: value" pairs, at most 400
// characters, leaving out the routing members recipients and helpdesk.
func (e *Event) Summary() string {
	return summarize(e.rawDetail, routingMembers)
}

// alarmTimeLayout is the layout of StateChangeTime and state.timestamp,
// such as 2025-12-04T16:20:31.264+0000.
const alarmTimeLayout = "2006-01-02T15:04:05.000-0700"

// parseAlarmTime parses a CloudWatch alarm timestamp, with or without
// milliseconds. It returns the zero time for any other text.
func parseAlarmTime(text string) time.Time {
	for _, layout := range []string{alarmTimeLayout, "2006-01-02T15:04:05-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, text); err == nil {
			return t
		}
	}
	return time.Time{}
}

// arnRegion returns the Region field of an ARN, or "".
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 || parts[0] != "arn" {
		return ""
	}
	return parts[3]
}

// alarmFromSNS converts the alarm JSON that CloudWatch publishes to SNS.
func alarmFromSNS(data []byte, topicARN string) (*Alarm, error) {
	var payload events.CloudWatchAlarmSNSPayload
	if err := json.Unmarshal(data, &payload); err != nil {
		return nil, &EventError{Reason: "the CloudWatch alarm notification does not decode: " +
			strings.TrimPrefix(err.Error(), "json: ")}
	}
	alarm := &Alarm{
		Name:          payload.AlarmName,
		Description:   payload.AlarmDescription,
		State:         payload.NewStateValue,
		PreviousState: payload.OldStateValue,
		Reason:        payload.NewStateReason,
		Region:        arnRegion(payload.AlarmARN),
		RegionName:    payload.Region,
		Account:       payload.AWSAccountID,
		ARN:           payload.AlarmARN,
		Time:          parseAlarmTime(payload.StateChangeTime),
		TopicARN:      topicARN,
	}
	if trigger := payload.Trigger; trigger.MetricName != "" {
		alarm.Metric = strings.TrimSpace(trigger.Namespace + " " + trigger.MetricName)
		dimensions := map[string]string{}
		for _, d := range trigger.Dimensions {
			dimensions[d.Name] = d.Value
		}
		alarm.Dimensions = formatDimensions(dimensions)
	}
	return alarm, nil
}

// alarmDetail is the detail of a CloudWatch Alarm State Change event.
type alarmDetail struct {
	AlarmName string     `json:"alarmName"`
	State     alarmState `json:"state"`
	Previous  alarmState `json:"previousState"`
	Config    struct {
		Description string `json:"description"`
		Metrics     []struct {
			MetricStat *struct {
				Metric struct {
					Namespace  string            `json:"namespace"`
					Name       string            `json:"name"`
					Dimensions map[string]string `json:"dimensions"`
				} `json:"metric"`
			} `json:"metricStat"`
		} `json:"metrics"`
	} `json:"configuration"`
}

type alarmState struct {
	Value     string `json:"value"`
	Reason    string `json:"reason"`
	Timestamp string `json:"timestamp"`
}

// alarmFromEvent converts a CloudWatch Alarm State Change event.
func alarmFromEvent(event *Event) (*Alarm, error) {
	var detail alarmDetail
	if err := json.Unmarshal(event.rawDetail, &detail); err != nil {
		return nil, &EventError{Reason: fmt.Sprintf("the detail of the %s event does not decode: %s",
			event.DetailType, strings.TrimPrefix(err.Error(), "json: "))}
	}
	alarm := &Alarm{
		Name:          detail.AlarmName,
		Description:   detail.Config.Description,
		State:         detail.State.Value,
		PreviousState: detail.Previous.Value,
		Reason:        detail.State.Reason,
		Region:        event.Region,
		Account:       event.Account,
		Time:          parseAlarmTime(detail.State.Timestamp),
		TopicARN:      event.TopicARN,
	}
	if len(event.Resources) > 0 {
		alarm.ARN = event.Resources[0]
	}
	if alarm.Time.IsZero() {
		alarm.Time = event.Time
	}
	if metrics := detail.Config.Metrics; len(metrics) == 1 && metrics[0].MetricStat != nil {
		metric := metrics[0].MetricStat.Metric
		alarm.Metric = strings.TrimSpace(metric.Namespace + " " + metric.Name)
		alarm.Dimensions = formatDimensions(metric.Dimensions)
	}
	return alarm, nil
}

// formatDimensions returns "name=value" pairs sorted by name.
func formatDimensions(dimensions map[string]string) string {
	names := make([]string, 0, len(dimensions))
	for name := range dimensions {
		names = append(names, name)
	}
	slices.Sort(names)
	pairs := make([]string, 0, len(names))
	for _, name := range names {
		pairs = append(pairs, name+"="+dimensions[name])
	}
	return strings.Join(pairs, ", ")
}

// newEvent decodes the detail of an EventBridge event, which must be a
// JSON object.
func newEvent(event events.EventBridgeEvent, topicARN string) (*Event, error) {
	e := &Event{
		ID: event.ID, Source: event.Source, DetailType: event.DetailType, Account: event.AccountID,
		Region: event.Region, Time: event.Time, Resources: event.Resources, TopicARN: topicARN,
		rawDetail: event.Detail,
	}
	decoded, err := decodeJSON(event.Detail)
	if err != nil {
		return nil, &EventError{Reason: "the detail of EventBridge event " + event.ID + " is not valid JSON"}
	}
	detail, ok := decoded.(map[string]any)
	if !ok && decoded != nil {
		return nil, &EventError{Reason: fmt.Sprintf("the detail of EventBridge event %s is %s, "+
			"not a JSON object", event.ID, jsonKind(decoded))}
	}
	e.Detail = detail
	return e, nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case nil:
		return "null"
	}
	return "an object"
}

// document returns the event as the object that attachment paths read:
// its top-level members under their EventBridge names, with the decoded
// detail.
func (e *Event) document() map[string]any {
	resources := make([]any, len(e.Resources))
	for i, r := range e.Resources {
		resources[i] = r
	}
	return map[string]any{
		"id": e.ID, "source": e.Source, "detail-type": e.DetailType, "account": e.Account,
		"region": e.Region, "resources": resources, "detail": e.Detail,
	}
}
