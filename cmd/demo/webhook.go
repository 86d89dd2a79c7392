package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// unsignedSample is the HTTP sample that the demo also sends unsigned.
const unsignedSample = "apigw-rest.json"

// showUnsignedRejected sends one HTTP sample without a signature, as an
// attacker who can reach the endpoint would, and checks that the function
// rejects it with 401 before calling OFS. The signed samples above show
// the accepted side.
func showUnsignedRejected(ctx context.Context, out io.Writer, stack *localstack.Stack, eventsDir string) error {
	path := filepath.Join(eventsDir, unsignedSample)
	payload, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil // a custom -events folder without the sample
	}
	if err != nil {
		return fmt.Errorf("reading %s failed: %w", path, err)
	}
	if payload, err = localstack.RemoveSignature(payload); err != nil {
		return err
	}
	requestsBefore := len(stack.OFS.Emulator.Requests())
	_, body, err := stack.RIE.Invoke(ctx, payload)
	if err != nil {
		return fmt.Errorf("%s unsigned: %w", unsignedSample, err)
	}
	var response struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	_ = json.Unmarshal(body, &response) // a function error leaves StatusCode zero
	calls := len(stack.OFS.Emulator.Requests()) - requestsBefore
	fmt.Fprintf(out, "\nWebhook signatures: the HTTP samples above were signed with the secret's webhookSecret.\n")
	if response.StatusCode != http.StatusUnauthorized || calls != 0 {
		fmt.Fprintf(out, "FAIL  %s unsigned: %d, %d OFS requests; want 401 and none\n",
			unsignedSample, response.StatusCode, calls)
		return fmt.Errorf("the unsigned request was not rejected")
	}
	fmt.Fprintf(out, "ok    %s sent unsigned: 401 %s, no OFS request (%s)\n",
		unsignedSample, http.StatusText(response.StatusCode), describeErrorBody(response.Body))
	return nil
}

// duplicateSample is the sample that the demo delivers a second time.
const duplicateSample = "sqs.json"

// showDuplicateAnswered delivers one SQS batch again, as SQS does after a
// lost acknowledgement, and checks that the function returns the stored
// chats from the idempotency store without starting any chat.
func showDuplicateAnswered(ctx context.Context, out io.Writer, stack *localstack.Stack, eventsDir string) error {
	payload, err := os.ReadFile(filepath.Join(eventsDir, duplicateSample))
	if os.IsNotExist(err) {
		return nil // a custom -events folder without the sample
	}
	if err != nil {
		return fmt.Errorf("reading %s failed: %w", duplicateSample, err)
	}
	chatsBefore := len(stack.OFS.Emulator.Chats())
	_, body, err := stack.Invoke(ctx, payload)
	if err != nil {
		return fmt.Errorf("%s again: %w", duplicateSample, err)
	}
	var response struct {
		BatchItemFailures []json.RawMessage `json:"batchItemFailures"`
	}
	_ = json.Unmarshal(body, &response) // a function error leaves the list empty
	started := len(stack.OFS.Emulator.Chats()) - chatsBefore
	fmt.Fprintf(out, "\nIdempotency: DynamoDB table %s records each handled event.\n", localstack.IdempotencyTable)
	if started != 0 || len(response.BatchItemFailures) != 0 {
		fmt.Fprintf(out, "FAIL  %s delivered again: %d new chats, %d batch item failures; want none\n",
			duplicateSample, started, len(response.BatchItemFailures))
		return fmt.Errorf("the duplicate delivery started chats or was listed for redelivery")
	}
	fmt.Fprintf(out, "ok    %s delivered again: every record answered from the store, no new chat\n",
		duplicateSample)
	return nil
}
