package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Origin is the source, detail-type and SNS topic of a notification, which
// routing and attachment rules match.
type Origin struct {
	Source     string // EventBridge source, such as aws.ec2; aws.cloudwatch for any CloudWatch alarm
	DetailType string // EventBridge detail-type; CloudWatch Alarm State Change for any CloudWatch alarm
	TopicARN   string // the SNS topic that delivered the notification, if any
}

// Rule is one entry of OFS_ROUTES. It matches a notification when each
// matcher that it sets lists the notification's value, and it sends the
// chat to its recipients or to its helpdesk.
type Rule struct {
	Source     Values   `json:"source"`
	DetailType Values   `json:"detailType"`
	TopicARN   Values   `json:"topicArn"`
	Recipients []string `json:"recipients"`
	Helpdesk   *int64   `json:"helpdesk"`
}

// Values is a matcher: one string or a list of strings in JSON.
type Values []string

// UnmarshalJSON accepts "aws.ec2" as well as ["aws.ec2", "aws.health"].
func (v *Values) UnmarshalJSON(data []byte) error {
	var one string
	if err := json.Unmarshal(data, &one); err == nil {
		*v = Values{one}
		return nil
	}
	var list []string
	if err := json.Unmarshal(data, &list); err != nil {
		return errors.New("want a string or a list of strings")
	}
	*v = list
	return nil
}

func (v Values) allows(value string) bool {
	return len(v) == 0 || slices.Contains(v, value)
}

func (r *Rule) matches(o Origin) bool {
	return r.Source.allows(o.Source) && r.DetailType.allows(o.DetailType) && r.TopicARN.allows(o.TopicARN)
}

// ParseRoutes decodes and checks OFS_ROUTES: a JSON list of rules, tried
// in order. Unknown members are errors, so that a misspelt matcher does
// not turn a rule into one that matches everything.
func ParseRoutes(data []byte) ([]Rule, error) {
	var rules []Rule
	if err := decodeStrict(data, &rules); err != nil {
		return nil, fmt.Errorf("is not a JSON list of rules: %s; write it as "+
			`[{"source":"aws.health","helpdesk":5},{"topicArn":"arn:aws:sns:...","recipients":["tech17"]}]`, err)
	}
	for i := range rules {
		rule := &rules[i]
		if len(rule.Source)+len(rule.DetailType)+len(rule.TopicARN) == 0 {
			return nil, fmt.Errorf("rule %d matches nothing; give it source, detailType or topicArn, "+
				"and use %s for everything else", i+1, EnvDefaultRecipients)
		}
		recipients, err := cleanLogins(rule.Recipients)
		if err != nil {
			return nil, fmt.Errorf("rule %d: recipients %v", i+1, err)
		}
		rule.Recipients = recipients
		switch {
		case len(recipients) > 0 && rule.Helpdesk != nil:
			return nil, fmt.Errorf("rule %d has both recipients and helpdesk; keep one", i+1)
		case len(recipients) == 0 && rule.Helpdesk == nil:
			return nil, fmt.Errorf("rule %d has neither recipients nor helpdesk; add logins "+
				`such as "recipients":["tech17"], or "helpdesk":5`, i+1)
		case rule.Helpdesk != nil && *rule.Helpdesk <= 0:
			return nil, fmt.Errorf("rule %d: helpdesk %d is not a helpdesk id; use the positive id "+
				"from the OFS address book", i+1, *rule.Helpdesk)
		}
	}
	return rules, nil
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// object members.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data follows the JSON value")
	}
	return nil
}

// cleanLogins trims logins and rejects empty ones.
func cleanLogins(logins []string) ([]string, error) {
	out := make([]string, 0, len(logins))
	for _, login := range logins {
		if login = strings.TrimSpace(login); login == "" {
			return nil, errors.New("contains an empty login")
		}
		out = append(out, login)
	}
	return out, nil
}

// route is the recipients or the helpdesk of a chat, with the reason for
// the log.
type route struct {
	recipients []string
	helpdesk   *int64
	via        string // "event", "rule 2" or "defaults", for the log
}

// Attributes that route a plain-text or alarm message: SNS or SQS message
// attributes set by the publisher.
const (
	AttributeRecipients = "ofs.recipients" // comma-separated logins, or a String.Array
	AttributeHelpdesk   = "ofs.helpdesk"   // a helpdesk id
)

// carriedRoute returns the recipients or helpdesk that the notification
// itself names, or nil. An EventBridge detail names them in its members
// recipients and helpdesk, as a chat request does, and a message in the
// attributes AttributeRecipients and AttributeHelpdesk. The detail wins.
func carriedRoute(detail map[string]any, attributes map[string]string) (*route, error) {
	if detail != nil {
		r, err := detailRoute(detail)
		if r != nil || err != nil {
			return r, err
		}
	}
	return attributeRoute(attributes)
}

func detailRoute(detail map[string]any) (*route, error) {
	r := &route{via: "event"}
	if raw, ok := detail["recipients"]; ok && raw != nil {
		list, ok := raw.([]any)
		if !ok {
			return nil, &EventError{Reason: "the detail member recipients is " + jsonKind(raw) +
				`, not a list of logins such as ["tech17"]`}
		}
		for _, item := range list {
			login, ok := item.(string)
			if !ok || strings.TrimSpace(login) == "" {
				return nil, &EventError{Reason: "the detail member recipients contains " +
					jsonKind(item) + " where a login belongs"}
			}
			r.recipients = append(r.recipients, strings.TrimSpace(login))
		}
	}
	if raw, ok := detail["helpdesk"]; ok && raw != nil {
		number, ok := raw.(json.Number)
		id, err := strconv.ParseInt(number.String(), 10, 64)
		if !ok || err != nil || id <= 0 {
			return nil, &EventError{Reason: "the detail member helpdesk is not a positive integer helpdesk id"}
		}
		r.helpdesk = &id
	}
	return r.checked()
}

func attributeRoute(attributes map[string]string) (*route, error) {
	r := &route{via: "event"}
	if raw := strings.TrimSpace(attributes[AttributeRecipients]); raw != "" {
		var list []string
		if strings.HasPrefix(raw, "[") {
			if err := json.Unmarshal([]byte(raw), &list); err != nil {
				return nil, &EventError{Reason: "the message attribute " + AttributeRecipients +
					` is not a JSON list of logins such as ["tech17"]`}
			}
		} else {
			list = strings.Split(raw, ",")
		}
		for _, login := range list {
			if login = strings.TrimSpace(login); login != "" {
				r.recipients = append(r.recipients, login)
			}
		}
	}
	if raw := strings.TrimSpace(attributes[AttributeHelpdesk]); raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 {
			return nil, &EventError{Reason: fmt.Sprintf("the message attribute %s is %q, "+
				"not a positive integer helpdesk id", AttributeHelpdesk, raw)}
		}
		r.helpdesk = &id
	}
	return r.checked()
}

// checked returns nil when r names neither recipients nor a helpdesk, and
// an error when it names both.
func (r *route) checked() (*route, error) {
	switch {
	case len(r.recipients) > 0 && r.helpdesk != nil:
		return nil, &EventError{Reason: "the notification names both recipients and a helpdesk; " +
			"name one of them"}
	case len(r.recipients) == 0 && r.helpdesk == nil:
		return nil, nil
	}
	return r, nil
}

// routeFor returns the first route of: the one the notification carries,
// the first matching rule, the default recipients.
func (n *Notifier) routeFor(o Origin, detail map[string]any, attributes map[string]string) (*route, error) {
	carried, err := carriedRoute(detail, attributes)
	if err != nil || carried != nil {
		return carried, err
	}
	for i := range n.routes {
		if rule := &n.routes[i]; rule.matches(o) {
			return &route{recipients: rule.Recipients, helpdesk: rule.Helpdesk,
				via: "rule " + strconv.Itoa(i+1)}, nil
		}
	}
	if len(n.defaults) > 0 {
		return &route{recipients: n.defaults, via: "defaults"}, nil
	}
	return nil, &RouteError{Origin: o}
}
