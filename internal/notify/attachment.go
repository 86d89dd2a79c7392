package notify

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// attachmentTypes are the OFS entities that an attachment rule can link.
// An image cannot come from an event field.
var attachmentTypes = []string{"activity", "resource", "inventory"}

// AttachmentRule is one entry of OFS_ATTACHMENTS. Its matchers work as in
// Rule, except that a rule without matchers matches every notification.
// When it matches and Field leads to a value in the notification, the chat
// links the OFS entity of Type with that value as its ID.
type AttachmentRule struct {
	Source     Values `json:"source"`
	DetailType Values `json:"detailType"`
	TopicARN   Values `json:"topicArn"`
	Type       string `json:"type"`  // activity, resource or inventory
	Field      string `json:"field"` // a dotted path, such as detail.activityId
}

// ParseAttachments decodes and checks OFS_ATTACHMENTS: a JSON list of
// rules, tried in order until one yields an ID.
func ParseAttachments(data []byte) ([]AttachmentRule, error) {
	var rules []AttachmentRule
	if err := decodeStrict(data, &rules); err != nil {
		return nil, fmt.Errorf("is not a JSON list of attachment rules: %s; write it as "+
			`[{"source":"acme.dispatch","type":"activity","field":"detail.activityId"}]`, err)
	}
	for i, rule := range rules {
		if !slices.Contains(attachmentTypes, rule.Type) {
			return nil, fmt.Errorf("rule %d: type %q is not one of %s", i+1, rule.Type,
				strings.Join(attachmentTypes, ", "))
		}
		if strings.TrimSpace(rule.Field) == "" {
			return nil, fmt.Errorf("rule %d has no field; name the event member that holds the "+
				"%s ID, such as detail.activityId", i+1, rule.Type)
		}
	}
	return rules, nil
}

func (r *AttachmentRule) matches(o Origin) bool {
	return r.Source.allows(o.Source) && r.DetailType.allows(o.DetailType) && r.TopicARN.allows(o.TopicARN)
}

// attachmentFor returns the attachment of the first rule that matches o and
// whose field holds a string or a number in document, or nil. document is
// the EventBridge event or the CloudWatch alarm JSON, decoded.
func (n *Notifier) attachmentFor(o Origin, document any) *ofs.Attachment {
	if document == nil {
		return nil
	}
	for i := range n.attachments {
		rule := &n.attachments[i]
		if !rule.matches(o) {
			continue
		}
		for _, value := range lookup(document, rule.Field) {
			switch value.(type) {
			case string, json.Number, float64:
				if id := strings.TrimSpace(valueText(value)); id != "" {
					return &ofs.Attachment{Type: rule.Type, ID: id}
				}
			}
		}
	}
	return nil
}
