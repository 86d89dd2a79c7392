package template_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// alarmStates are the values of a CloudWatch alarm's state.
var alarmStates = []string{"OK", "ALARM", "INSUFFICIENT_DATA"}

// checkAlarmMessage checks the alarm JSON that CloudWatch publishes to SNS.
// It has no text member, so the function formats it instead of reading it
// as a chat request.
func checkAlarmMessage(t *testing.T, message string) {
	t.Helper()
	var alarm map[string]any
	unmarshal(t, []byte(message), &alarm)
	if _, ok := alarm["text"]; ok {
		t.Errorf("alarm message has a text member, so it would be read as a chat request")
	}
	name := stringAt(t, alarm, "AlarmName")
	if got := stringAt(t, alarm, "AlarmArn"); got != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"+name {
		t.Errorf("AlarmArn = %q, want the ARN of alarm %q in us-east-1 and account 123456789012", got, name)
	}
	if got := stringAt(t, alarm, "AWSAccountId"); got != "123456789012" {
		t.Errorf("AWSAccountId = %q, want 123456789012", got)
	}
	for _, key := range []string{"NewStateValue", "OldStateValue"} {
		if got := stringAt(t, alarm, key); !slices.Contains(alarmStates, got) {
			t.Errorf("%s = %q, want one of %v", key, got, alarmStates)
		}
	}
	stringAt(t, alarm, "NewStateReason")
	stringAt(t, alarm, "Region")
	checkTime(t, "StateChangeTime", stringAt(t, alarm, "StateChangeTime"), "2006-01-02T15:04:05.000-0700")
	stringAt(t, alarm, "Trigger", "MetricName")
	stringAt(t, alarm, "Trigger", "Namespace")
}

// checkNotificationEvent returns the check of an EventBridge event from
// source whose detail is a notification: an object without a text member.
func checkNotificationEvent(source, detailType string,
	checkDetail func(t *testing.T, event events.EventBridgeEvent, detail map[string]any)) func(t *testing.T, data []byte) {
	return func(t *testing.T, data []byte) {
		var event events.EventBridgeEvent
		unmarshal(t, data, &event)
		if event.Version != "0" {
			t.Errorf("version = %q, want 0", event.Version)
		}
		if event.Source != source || event.DetailType != detailType {
			t.Errorf("source, detail-type = %q, %q; want %q, %q", event.Source, event.DetailType, source, detailType)
		}
		if event.ID == "" {
			t.Errorf("id is empty")
		}
		if event.AccountID != "123456789012" || event.Region != "us-east-1" {
			t.Errorf("account, region = %q, %q; want 123456789012, us-east-1", event.AccountID, event.Region)
		}
		if event.Time.IsZero() {
			t.Errorf("time is missing")
		}
		var detail map[string]any
		unmarshal(t, event.Detail, &detail)
		if _, ok := detail["text"]; ok {
			t.Errorf("detail has a text member, so it would be read as a chat request")
		}
		checkDetail(t, event, detail)
	}
}

func checkAlarmDetail(t *testing.T, event events.EventBridgeEvent, detail map[string]any) {
	t.Helper()
	name := stringAt(t, detail, "alarmName")
	if want := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:" + name; !slices.Equal(event.Resources, []string{want}) {
		t.Errorf("resources = %q, want [%s]", event.Resources, want)
	}
	for _, state := range []string{"state", "previousState"} {
		if got := stringAt(t, detail, state, "value"); !slices.Contains(alarmStates, got) {
			t.Errorf("%s.value = %q, want one of %v", state, got, alarmStates)
		}
		stringAt(t, detail, state, "reason")
		checkTime(t, state+".timestamp", stringAt(t, detail, state, "timestamp"), "2006-01-02T15:04:05.000-0700")
		if reasonData := stringAt(t, detail, state, "reasonData"); !json.Valid([]byte(reasonData)) {
			t.Errorf("%s.reasonData is not a JSON string", state)
		}
	}
	stringAt(t, detail, "configuration", "description")
}

func checkEC2Detail(t *testing.T, event events.EventBridgeEvent, detail map[string]any) {
	t.Helper()
	id := stringAt(t, detail, "instance-id")
	if !regexp.MustCompile(`^i-[0-9a-f]{8,17}$`).MatchString(id) {
		t.Errorf("instance-id = %q, want i- and 8 to 17 hex digits", id)
	}
	states := []string{"pending", "running", "stopping", "stopped", "shutting-down", "terminated"}
	if got := stringAt(t, detail, "state"); !slices.Contains(states, got) {
		t.Errorf("state = %q, want one of %v", got, states)
	}
	if want := "arn:aws:ec2:us-east-1:123456789012:instance/" + id; !slices.Equal(event.Resources, []string{want}) {
		t.Errorf("resources = %q, want [%s]", event.Resources, want)
	}
}

func checkHealthDetail(t *testing.T, event events.EventBridgeEvent, detail map[string]any) {
	t.Helper()
	if got := stringAt(t, detail, "eventArn"); !strings.HasPrefix(got, "arn:aws:health:us-east-1::event/") {
		t.Errorf("eventArn = %q, want an AWS Health event ARN in us-east-1", got)
	}
	if got := stringAt(t, detail, "eventTypeCode"); !strings.HasPrefix(got, "AWS_"+stringAt(t, detail, "service")+"_") {
		t.Errorf("eventTypeCode = %q, want AWS_<service>_...", got)
	}
	categories := []string{"issue", "accountNotification", "scheduledChange", "investigation"}
	if got := stringAt(t, detail, "eventTypeCategory"); !slices.Contains(categories, got) {
		t.Errorf("eventTypeCategory = %q, want one of %v", got, categories)
	}
	if got := stringAt(t, detail, "statusCode"); !slices.Contains([]string{"open", "upcoming", "closed"}, got) {
		t.Errorf("statusCode = %q, want open, upcoming or closed", got)
	}
	checkTime(t, "startTime", stringAt(t, detail, "startTime"), time.RFC1123)
	descriptions, _ := detail["eventDescription"].([]any)
	if len(descriptions) == 0 {
		t.Fatalf("eventDescription is missing")
	}
	description, _ := descriptions[0].(map[string]any)
	stringAt(t, description, "language")
	stringAt(t, description, "latestDescription")
	entities, _ := detail["affectedEntities"].([]any)
	for i, e := range entities {
		entity, _ := e.(map[string]any)
		if value := stringAt(t, entity, "entityValue"); !slices.Contains(event.Resources, value) {
			t.Errorf("affectedEntities[%d].entityValue %q is not in resources %q", i, value, event.Resources)
		}
	}
}

func checkRDSDetail(t *testing.T, event events.EventBridgeEvent, detail map[string]any) {
	t.Helper()
	if got := stringAt(t, detail, "EventID"); !strings.HasPrefix(got, "RDS-EVENT-") {
		t.Errorf("EventID = %q, want RDS-EVENT-<number>", got)
	}
	if got := stringAt(t, detail, "SourceArn"); !slices.Equal(event.Resources, []string{got}) {
		t.Errorf("resources = %q, want [SourceArn %s]", event.Resources, got)
	}
	stringAt(t, detail, "Message")
	stringAt(t, detail, "SourceIdentifier")
	stringAt(t, detail, "SourceType")
}

// checkOverdueDetail checks the custom event that carries its recipients
// and the ID of the OFS activity to attach.
func checkOverdueDetail(t *testing.T, _ events.EventBridgeEvent, detail map[string]any) {
	t.Helper()
	stringAt(t, detail, "activityId")
	recipients, _ := detail["recipients"].([]any)
	if len(recipients) == 0 {
		t.Errorf("recipients is missing: the sample shows recipients that the event carries")
	}
}

// stringAt returns the non-empty string at a path of object members.
func stringAt(t *testing.T, object map[string]any, path ...string) string {
	t.Helper()
	var value any = object
	for _, key := range path {
		m, ok := value.(map[string]any)
		if !ok {
			t.Errorf("%s: %v is not an object", strings.Join(path, "."), value)
			return ""
		}
		value = m[key]
	}
	s, ok := value.(string)
	if !ok || s == "" {
		t.Errorf("%s = %v, want a non-empty string", strings.Join(path, "."), value)
	}
	return s
}

func checkTime(t *testing.T, name, value, layout string) {
	t.Helper()
	if _, err := time.Parse(layout, value); err != nil {
		t.Errorf("%s = %q, want the layout %s: %v", name, value, layout, err)
	}
}

func TestAwsNotificationsRule(t *testing.T) {
	tmpl := loadTemplate(t)
	rule := functionEvent(t, tmpl, "AwsNotificationsRule", "EventBridgeRule")
	if got := refTo(rule["State"]); got != "AwsNotificationsState" {
		t.Errorf("State = %v, want !Ref AwsNotificationsState", rule["State"])
	}
	param := lookup(t, tmpl, "Parameters", "AwsNotificationsState").(map[string]any)
	if param["Default"] != "DISABLED" {
		t.Errorf("AwsNotificationsState default = %v, want DISABLED", param["Default"])
	}
	pattern, _ := rule["Pattern"].(map[string]any)
	if got, _ := stringList(pattern["source"]); !slices.Equal(got, []string{"aws.cloudwatch", "aws.ec2", "aws.health"}) {
		t.Errorf("Pattern.source = %v, want [aws.cloudwatch aws.ec2 aws.health]", pattern["source"])
	}
	wantTypes := []string{"CloudWatch Alarm State Change", "EC2 Instance State-change Notification", "AWS Health Event"}
	if got, _ := stringList(pattern["detail-type"]); !slices.Equal(got, wantTypes) {
		t.Errorf("Pattern.detail-type = %v, want %v", pattern["detail-type"], wantTypes)
	}
	if got := refTo(lookup(t, rule, "DeadLetterConfig", "Arn")); got != "FailedInvocationsQueue" {
		t.Errorf("DeadLetterConfig.Arn = %v, want FailedInvocationsQueue", got)
	}
	// SAM names the generated rule after the function and the event.
	condition := fmt.Sprint(lookup(t, tmpl, "Resources", "FailedInvocationsQueuePolicy", "Properties",
		"PolicyDocument", "Statement"))
	if !strings.Contains(condition, "StartChatFunctionAwsNotificationsRule") {
		t.Errorf("FailedInvocationsQueuePolicy does not let StartChatFunctionAwsNotificationsRule send: %s", condition)
	}
}

func TestAlarmTopicSubscription(t *testing.T) {
	tmpl := loadTemplate(t)
	for _, id := range []string{"AlarmTopicSubscription", "AlarmTopicInvokePermission"} {
		if got := lookup(t, tmpl, "Resources", id, "Condition"); got != "HasAlarmTopic" {
			t.Errorf("%s.Condition = %v, want HasAlarmTopic", id, got)
		}
	}
	sub := resource(t, tmpl, "AlarmTopicSubscription", "AWS::SNS::Subscription")
	if refTo(sub["TopicArn"]) != "AlarmTopicArn" || sub["Protocol"] != "lambda" || refTo(sub["Endpoint"]) != functionID {
		t.Errorf("AlarmTopicSubscription = %v, want AlarmTopicArn to the function over protocol lambda", sub)
	}
	permission := resource(t, tmpl, "AlarmTopicInvokePermission", "AWS::Lambda::Permission")
	if permission["Principal"] != "sns.amazonaws.com" || refTo(permission["SourceArn"]) != "AlarmTopicArn" {
		t.Errorf("AlarmTopicInvokePermission = %v, want sns.amazonaws.com from AlarmTopicArn only", permission)
	}
	pattern := regexp.MustCompile(lookup(t, tmpl, "Parameters", "AlarmTopicArn", "AllowedPattern").(string))
	for value, want := range map[string]bool{
		"": true, "arn:aws:sns:us-east-1:123456789012:ops-alarms": true,
		"arn:aws:sqs:us-east-1:123456789012:ops-alarms": false, "ops-alarms": false,
	} {
		if got := pattern.MatchString(value); got != want {
			t.Errorf("AlarmTopicArn pattern matches %q = %v, want %v", value, got, want)
		}
	}
}

func TestNotificationVariables(t *testing.T) {
	tmpl := loadTemplate(t)
	vars := lookup(t, function(t, tmpl), "Environment", "Variables").(map[string]any)
	for name, param := range map[string]string{
		"OFS_ROUTES": "OfsRoutes", "OFS_ATTACHMENTS": "OfsAttachments", "OFS_TEMPLATES_FILE": "OfsTemplatesFile",
	} {
		want := fmt.Sprintf("map[Fn::If:[Has%s map[Ref:%s] map[Ref:AWS::NoValue]]]", param, param)
		if got := fmt.Sprint(vars[name]); got != want {
			t.Errorf("%s = %s, want !If [Has%s, !Ref %s, !Ref AWS::NoValue]", name, got, param, param)
		}
		if got := lookup(t, tmpl, "Parameters", param, "Default"); got != "" {
			t.Errorf("Parameters.%s.Default = %v, want empty", param, got)
		}
	}
}
