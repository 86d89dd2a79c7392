package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"

	"github.com/ofs-startchat/ofs-startchat/internal/notify"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// handleDirect serves a direct invoke and EventBridge Scheduler, whose
// payload is the chat request itself. It returns OFS's chat or an error.
func (h *handler) handleDirect(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	req, err := decodeChatRequest(payload, "the event", h.settings.DefaultRecipients)
	if err != nil {
		h.rejectEvent(ctx, log, "event rejected", "invoke", err)
		return nil, err
	}
	return h.startChat(ctx, log, "invoke", req)
}

// handleSNS starts a chat per record. A failure is returned as a function
// error, so Lambda retries the asynchronous invoke and then sends it to the
// failure destination.
func (h *handler) handleSNS(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	var event events.SNSEvent
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, &EventError{Reason: "the SNS event does not decode: " + describeDecodeError(err)}
	}
	// NOTE: SNS delivers one record per invoke. Were there several, a failure
	// of one would make Lambda retry all, repeating the chats already started.
	chats := make([]*ofs.Chat, 0, len(event.Records))
	for _, record := range event.Records {
		what := fmt.Sprintf("SNS message %s", record.SNS.MessageID)
		d := notify.Delivery{TopicARN: record.SNS.TopicArn, Attributes: notify.SNSAttributes(record.SNS.MessageAttributes)}
		chat, err := h.startMessage(ctx, log, record.SNS.MessageID, what, record.SNS.Message, d)
		if err != nil {
			return nil, err
		}
		chats = append(chats, chat)
	}
	return oneOrMany(chats), nil
}

// handleEventBridge starts a chat from the event: from its detail when
// that is a chat request, as an object or as a JSON string, else from the
// notifier's text for the event. Errors are function errors, as for SNS.
func (h *handler) handleEventBridge(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	var event events.EventBridgeEvent
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, &EventError{Reason: "the EventBridge event does not decode: " + describeDecodeError(err)}
	}
	what := fmt.Sprintf("the detail of EventBridge event %s", event.ID)
	req, err := h.eventRequest(ctx, log, event.ID, what, event, notify.Delivery{})
	if err != nil {
		h.rejectEvent(ctx, log, "event rejected", event.ID, err)
		return nil, err
	}
	return h.startChat(ctx, log, event.ID, req)
}

// startMessage starts a chat from a notification message that d delivered.
func (h *handler) startMessage(ctx context.Context, log *slog.Logger, id, what, message string,
	d notify.Delivery) (*ofs.Chat, error) {
	req, err := h.messageRequest(ctx, log, id, what, message, d)
	if err != nil {
		h.rejectEvent(ctx, log, "message rejected", id, err)
		return nil, err
	}
	return h.startChat(ctx, log, id, req)
}

// oneOrMany returns the single chat of a one-record event, else the list.
func oneOrMany(chats []*ofs.Chat) any {
	if len(chats) == 1 {
		return chats[0]
	}
	return chats
}

// snsEnvelope is the body of an SQS message delivered from an SNS topic
// without raw message delivery.
type snsEnvelope struct {
	Type              string         `json:"Type"`
	MessageID         string         `json:"MessageId"`
	TopicArn          string         `json:"TopicArn"`
	Message           string         `json:"Message"`
	MessageAttributes map[string]any `json:"MessageAttributes"`
}

// handleSQS starts one chat per record and lists in batchItemFailures every
// record that did not start one, so SQS redelivers exactly those and its
// redrive policy moves repeats to the dead-letter queue. Records of a
// standard queue run concurrently; a FIFO queue's run in order, and the
// first failure fails the rest of the batch, as FIFO ordering requires.
func (h *handler) handleSQS(ctx context.Context, log *slog.Logger, payload []byte) (any, error) {
	var event events.SQSEvent
	if err := json.Unmarshal(payload, &event); err != nil {
		return nil, &EventError{Reason: "the SQS event does not decode: " + describeDecodeError(err)}
	}
	failed := make([]bool, len(event.Records))
	if isFIFO(event) {
		for i, record := range event.Records {
			if h.startRecord(ctx, log, record) != nil {
				for j := i; j < len(failed); j++ {
					failed[j] = true
				}
				break
			}
		}
	} else {
		var group errgroup.Group
		group.SetLimit(maxConcurrentRecords)
		for i, record := range event.Records {
			group.Go(func() error {
				failed[i] = h.startRecord(ctx, log, record) != nil
				return nil
			})
		}
		_ = group.Wait() // the workers record failures and never return one
	}
	response := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for i, record := range event.Records {
		if failed[i] {
			response.BatchItemFailures = append(response.BatchItemFailures,
				events.SQSBatchItemFailure{ItemIdentifier: record.MessageId})
		}
	}
	log.InfoContext(ctx, "batch done", "records", len(event.Records), "failed", len(response.BatchItemFailures))
	return response, nil
}

// startRecord starts the chat carried by one SQS message: a JSON chat
// request, a notification, or an SNS envelope around either.
func (h *handler) startRecord(ctx context.Context, log *slog.Logger, record events.SQSMessage) error {
	what := fmt.Sprintf("SQS message %s", record.MessageId)
	message := record.Body
	d := notify.Delivery{Attributes: notify.SQSAttributes(record.MessageAttributes)}
	var envelope snsEnvelope
	if json.Unmarshal([]byte(record.Body), &envelope) == nil &&
		envelope.Type == "Notification" && envelope.TopicArn != "" {
		message = envelope.Message
		what = fmt.Sprintf("SNS message %s in %s", envelope.MessageID, what)
		d = notify.Delivery{TopicARN: envelope.TopicArn, Attributes: notify.SNSAttributes(envelope.MessageAttributes)}
	}
	_, err := h.startMessage(ctx, log, record.MessageId, what, message, d)
	return err
}

func isFIFO(event events.SQSEvent) bool {
	return len(event.Records) > 0 && strings.HasSuffix(event.Records[0].EventSourceARN, ".fifo")
}
