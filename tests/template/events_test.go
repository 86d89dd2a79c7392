package template_test

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// chatRequest holds the StartChatRequest fields that the samples use.
type chatRequest struct {
	Text       string   `json:"text"`
	Recipients []string `json:"recipients"`
}

// eventChecks maps each file in events/ to the check for its trigger.
var eventChecks = map[string]func(t *testing.T, data []byte){
	"direct.json":                    checkChat,
	"schedule.json":                  checkChat,
	"apigw-rest.json":                checkRESTEvent(false),
	"apigw-rest-base64.json":         checkRESTEvent(true),
	"apigw-http.json":                checkHTTPEvent,
	"function-url.json":              checkFunctionURLEvent,
	"sns.json":                       checkSNSEvent(checkChatMessage),
	"sns-plain-text.json":            checkSNSEvent(checkPlainText),
	"sqs.json":                       checkSQSEvent,
	"eventbridge.json":               checkEventBridgeEvent(false),
	"eventbridge-detail-string.json": checkEventBridgeEvent(true),
	// AWS notifications, which the function formats as chat text.
	"sns-cloudwatch-alarm.json":         checkSNSEvent(checkAlarmMessage),
	"eventbridge-cloudwatch-alarm.json": checkNotificationEvent("aws.cloudwatch", "CloudWatch Alarm State Change", checkAlarmDetail),
	"eventbridge-ec2-state-change.json": checkNotificationEvent("aws.ec2", "EC2 Instance State-change Notification", checkEC2Detail),
	"eventbridge-health.json":           checkNotificationEvent("aws.health", "AWS Health Event", checkHealthDetail),
	"eventbridge-rds-event.json":        checkNotificationEvent("aws.rds", "RDS DB Instance Event", checkRDSDetail),
	"eventbridge-custom-overdue.json":   checkNotificationEvent("acme.dispatch", "Activity Overdue", checkOverdueDetail),
}

func TestEventFiles(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "events")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("read events folder: %v", err)
	}
	seen := map[string]bool{}
	for _, entry := range entries {
		name := entry.Name()
		if entry.IsDir() || filepath.Ext(name) != ".json" {
			continue
		}
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("read %s: %v", name, err)
			}
			var object map[string]any
			if err := json.Unmarshal(data, &object); err != nil {
				t.Fatalf("%s is not a JSON object: %v", name, err)
			}
			if len(object) == 0 {
				t.Fatalf("%s is an empty JSON object", name)
			}
			check, ok := eventChecks[name]
			if !ok {
				t.Fatalf("%s has no check; add one to eventChecks", name)
			}
			check(t, data)
		})
	}
	for name := range eventChecks {
		if !seen[name] {
			t.Errorf("events/%s is missing", name)
		}
	}
}

// checkChat decodes a chat request and checks that it has a text and at
// least one recipient. Unknown fields fail, which catches typos such as
// "recipient".
func checkChat(t *testing.T, data []byte) {
	t.Helper()
	decoder := json.NewDecoder(bytes.NewReader(data))
	decoder.DisallowUnknownFields()
	var req chatRequest
	if err := decoder.Decode(&req); err != nil {
		t.Fatalf("decode chat request %s: %v", data, err)
	}
	if strings.TrimSpace(req.Text) == "" {
		t.Errorf("chat request %s: text is empty", data)
	}
	if len(req.Recipients) == 0 {
		t.Errorf("chat request %s: recipients is empty", data)
	}
	for _, login := range req.Recipients {
		if strings.TrimSpace(login) == "" {
			t.Errorf("chat request %s: a recipient login is empty", data)
		}
	}
}

// checkPlainText checks that a message for the default recipients has text
// and is not JSON.
func checkPlainText(t *testing.T, text string) {
	t.Helper()
	if strings.TrimSpace(text) == "" {
		t.Errorf("plain-text message is empty")
	}
	if json.Valid([]byte(text)) {
		t.Errorf("plain-text message %q is valid JSON", text)
	}
}

func unmarshal(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode as %T: %v", v, err)
	}
}

// httpBody returns the request body, decoding it when isBase64 is set.
func httpBody(t *testing.T, body string, isBase64 bool) []byte {
	t.Helper()
	if !isBase64 {
		return []byte(body)
	}
	data, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("decode base64 body %q: %v", body, err)
	}
	return data
}

// header returns a header value, matching the name case-insensitively as
// HTTP does.
func header(headers map[string]string, name string) string {
	for key, value := range headers {
		if strings.EqualFold(key, name) {
			return value
		}
	}
	return ""
}

// sampleWebhookSecret is the webhookSecret that the HTTP samples are signed
// with. Their signatures are long stale, so a function rejects them unless
// it runs with OFS_WEBHOOK_AUTH=iam; they show the header format.
const sampleWebhookSecret = "whsec-example"

// checkSignature checks that the sample carries the signature headers and
// that the signature matches its timestamp and raw body.
func checkSignature(t *testing.T, headers map[string]string, body []byte) {
	t.Helper()
	timestamp := header(headers, webhook.TimestampHeader)
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		t.Fatalf("%s = %q, want Unix seconds", webhook.TimestampHeader, timestamp)
	}
	if got, want := header(headers, webhook.SignatureHeader), webhook.Sign([]byte(sampleWebhookSecret), seconds, body); got != want {
		t.Errorf("%s = %q, want %q", webhook.SignatureHeader, got, want)
	}
}

func checkRESTEvent(wantBase64 bool) func(t *testing.T, data []byte) {
	return func(t *testing.T, data []byte) {
		var event events.APIGatewayProxyRequest
		unmarshal(t, data, &event)
		if event.HTTPMethod != "POST" {
			t.Errorf("httpMethod = %q, want POST", event.HTTPMethod)
		}
		if event.Resource != "/chats" {
			t.Errorf("resource = %q, want /chats", event.Resource)
		}
		ctx := event.RequestContext
		if ctx.ResourcePath != "/chats" {
			t.Errorf("requestContext.resourcePath = %q, want /chats", ctx.ResourcePath)
		}
		if ctx.RequestID == "" {
			t.Errorf("requestContext.requestId is empty")
		}
		if ctx.Stage == "" {
			t.Errorf("requestContext.stage is empty")
		}
		if ctx.AccountID != "123456789012" {
			t.Errorf("requestContext.accountId = %q, want 123456789012", ctx.AccountID)
		}
		if ctx.Identity.SourceIP == "" {
			t.Errorf("requestContext.identity.sourceIp is empty")
		}
		if got := header(event.Headers, "Content-Type"); got != "application/json" {
			t.Errorf("Content-Type header = %q, want application/json", got)
		}
		checkSignature(t, event.Headers, httpBody(t, event.Body, event.IsBase64Encoded))
		if event.IsBase64Encoded != wantBase64 {
			t.Errorf("isBase64Encoded = %v, want %v", event.IsBase64Encoded, wantBase64)
		}
		checkChat(t, httpBody(t, event.Body, event.IsBase64Encoded))
	}
}

func checkHTTPEvent(t *testing.T, data []byte) {
	var event events.APIGatewayV2HTTPRequest
	unmarshal(t, data, &event)
	if event.Version != "2.0" {
		t.Errorf("version = %q, want 2.0", event.Version)
	}
	if event.RouteKey != "POST /chats" {
		t.Errorf("routeKey = %q, want POST /chats", event.RouteKey)
	}
	if event.RawPath != "/chats" {
		t.Errorf("rawPath = %q, want /chats", event.RawPath)
	}
	ctx := event.RequestContext
	if ctx.HTTP.Method != "POST" {
		t.Errorf("requestContext.http.method = %q, want POST", ctx.HTTP.Method)
	}
	if ctx.RequestID == "" {
		t.Errorf("requestContext.requestId is empty")
	}
	if ctx.RouteKey != event.RouteKey {
		t.Errorf("requestContext.routeKey = %q, want %q", ctx.RouteKey, event.RouteKey)
	}
	if got := header(event.Headers, "content-type"); got != "application/json" {
		t.Errorf("content-type header = %q, want application/json", got)
	}
	checkSignature(t, event.Headers, httpBody(t, event.Body, event.IsBase64Encoded))
	checkChat(t, httpBody(t, event.Body, event.IsBase64Encoded))
}

func checkFunctionURLEvent(t *testing.T, data []byte) {
	var event events.LambdaFunctionURLRequest
	unmarshal(t, data, &event)
	if event.Version != "2.0" {
		t.Errorf("version = %q, want 2.0", event.Version)
	}
	// LambdaFunctionURLRequest has no routeKey field, so read it directly.
	var raw struct {
		RouteKey string `json:"routeKey"`
	}
	unmarshal(t, data, &raw)
	if raw.RouteKey != "$default" {
		t.Errorf("routeKey = %q, want $default", raw.RouteKey)
	}
	ctx := event.RequestContext
	wantDomain := ctx.DomainPrefix + ".lambda-url.us-east-1.on.aws"
	if ctx.DomainPrefix == "" || ctx.DomainName != wantDomain {
		t.Errorf("requestContext.domainName = %q, want <url-id>.lambda-url.us-east-1.on.aws", ctx.DomainName)
	}
	if ctx.HTTP.Method != "POST" {
		t.Errorf("requestContext.http.method = %q, want POST", ctx.HTTP.Method)
	}
	if ctx.RequestID == "" {
		t.Errorf("requestContext.requestId is empty")
	}
	if !event.IsBase64Encoded {
		t.Errorf("isBase64Encoded = false, want true")
	}
	checkSignature(t, event.Headers, httpBody(t, event.Body, event.IsBase64Encoded))
	checkChat(t, httpBody(t, event.Body, event.IsBase64Encoded))
}

// checkChatMessage checks a message that is a JSON chat request.
func checkChatMessage(t *testing.T, message string) {
	t.Helper()
	checkChat(t, []byte(message))
}

func checkSNSEvent(checkMessage func(t *testing.T, message string)) func(t *testing.T, data []byte) {
	return func(t *testing.T, data []byte) {
		var event events.SNSEvent
		unmarshal(t, data, &event)
		if len(event.Records) != 1 {
			t.Fatalf("got %d records, want 1", len(event.Records))
		}
		record := event.Records[0]
		if record.EventSource != "aws:sns" {
			t.Errorf("EventSource = %q, want aws:sns", record.EventSource)
		}
		sns := record.SNS
		if sns.Type != "Notification" {
			t.Errorf("Sns.Type = %q, want Notification", sns.Type)
		}
		if sns.MessageID == "" {
			t.Errorf("Sns.MessageId is empty")
		}
		if !strings.HasPrefix(sns.TopicArn, "arn:aws:sns:us-east-1:123456789012:") {
			t.Errorf("Sns.TopicArn = %q, want a topic in us-east-1 and account 123456789012", sns.TopicArn)
		}
		if sns.Timestamp.IsZero() {
			t.Errorf("Sns.Timestamp is missing")
		}
		checkMessage(t, sns.Message)
	}
}

// snsEnvelope is the body of an SQS message that SNS delivered without raw
// message delivery.
type snsEnvelope struct {
	Type     string `json:"Type"`
	TopicArn string `json:"TopicArn"`
	Message  string `json:"Message"`
}

func checkSQSEvent(t *testing.T, data []byte) {
	var event events.SQSEvent
	unmarshal(t, data, &event)
	if len(event.Records) != 3 {
		t.Fatalf("got %d records, want 3", len(event.Records))
	}
	ids := map[string]bool{}
	for i, record := range event.Records {
		if record.MessageId == "" || ids[record.MessageId] {
			t.Errorf("record %d: messageId %q is empty or repeated", i, record.MessageId)
		}
		ids[record.MessageId] = true
		if record.EventSource != "aws:sqs" {
			t.Errorf("record %d: eventSource = %q, want aws:sqs", i, record.EventSource)
		}
		if !strings.HasPrefix(record.EventSourceARN, "arn:aws:sqs:us-east-1:123456789012:") {
			t.Errorf("record %d: eventSourceARN = %q, want a queue in us-east-1 and account 123456789012",
				i, record.EventSourceARN)
		}
		if record.Attributes["ApproximateReceiveCount"] == "" {
			t.Errorf("record %d: attributes.ApproximateReceiveCount is missing", i)
		}
		sum := md5.Sum([]byte(record.Body))
		if got := hex.EncodeToString(sum[:]); record.Md5OfBody != got {
			t.Errorf("record %d: md5OfBody = %s, want %s", i, record.Md5OfBody, got)
		}
	}

	checkChat(t, []byte(event.Records[0].Body))

	var envelope snsEnvelope
	unmarshal(t, []byte(event.Records[1].Body), &envelope)
	if envelope.Type != "Notification" {
		t.Errorf("record 1: SNS envelope Type = %q, want Notification", envelope.Type)
	}
	if envelope.TopicArn == "" {
		t.Errorf("record 1: SNS envelope TopicArn is empty")
	}
	checkChat(t, []byte(envelope.Message))

	checkPlainText(t, event.Records[2].Body)
}

func checkEventBridgeEvent(detailIsString bool) func(t *testing.T, data []byte) {
	return func(t *testing.T, data []byte) {
		var event events.EventBridgeEvent
		unmarshal(t, data, &event)
		if event.Source != "ofs-startchat" {
			t.Errorf("source = %q, want ofs-startchat", event.Source)
		}
		if event.DetailType != "Start Chat" {
			t.Errorf("detail-type = %q, want Start Chat", event.DetailType)
		}
		if event.ID == "" {
			t.Errorf("id is empty")
		}
		if event.AccountID != "123456789012" {
			t.Errorf("account = %q, want 123456789012", event.AccountID)
		}
		if event.Region != "us-east-1" {
			t.Errorf("region = %q, want us-east-1", event.Region)
		}
		if event.Time.IsZero() {
			t.Errorf("time is missing")
		}
		detail := []byte(event.Detail)
		if detailIsString {
			var s string
			if err := json.Unmarshal(detail, &s); err != nil {
				t.Fatalf("detail %s is not a JSON string: %v", detail, err)
			}
			detail = []byte(s)
		} else if !bytes.HasPrefix(bytes.TrimSpace(detail), []byte("{")) {
			t.Fatalf("detail %s is not a JSON object", detail)
		}
		checkChat(t, detail)
	}
}
