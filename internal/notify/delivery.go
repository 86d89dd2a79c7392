package notify

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// SNSAttributes returns the values of the String, String.Array and Number
// attributes of an SNS message, in the form that a Lambda SNS record and
// the SNS envelope of an SQS message share:
// {"name": {"Type": "String", "Value": "..."}}. Binary attributes are left
// out.
func SNSAttributes(attributes map[string]any) map[string]string {
	out := map[string]string{}
	for name, raw := range attributes {
		attribute, ok := raw.(map[string]any)
		if !ok {
			continue
		}
		kind, _ := attribute["Type"].(string)
		value, ok := attribute["Value"].(string)
		if ok && !strings.HasPrefix(kind, "Binary") {
			out[name] = value
		}
	}
	return out
}

// SQSAttributes returns the values of the String and Number attributes of
// an SQS message. Binary attributes are left out.
func SQSAttributes(attributes map[string]events.SQSMessageAttribute) map[string]string {
	out := map[string]string{}
	for name, attribute := range attributes {
		if attribute.StringValue != nil && !strings.HasPrefix(attribute.DataType, "Binary") {
			out[name] = *attribute.StringValue
		}
	}
	return out
}
