package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// TestDeadlineEveryTrigger gives each trigger a chat API that responds after
// 10 s and an invocation that must end in 1 s: every trigger returns its
// failure shape before the deadline.
func TestDeadlineEveryTrigger(t *testing.T) {
	payloads := map[string]string{
		"direct":      `{"text":"slow"}`,
		"eventbridge": `{"version":"0","id":"e1","detail-type":"Start Chat","source":"ofs-startchat","detail":{"text":"slow"}}`,
		"sns":         `{"Records":[{"EventSource":"aws:sns","Sns":{"MessageId":"m1","Message":"slow"}}]}`,
		"sqs":         sqsEvent(`{"text":"slow"}`),
	}
	for name, event := range payloads {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := newStack(t)
			s.deadline = time.Second
			s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Delay: 10 * time.Second})
			began := time.Now()
			var response events.SQSEventResponse
			err := s.invoke(t, event, &response)
			if elapsed := time.Since(began); elapsed > 1500*time.Millisecond {
				t.Errorf("Invoke returned after %v, want before the 1 s deadline", elapsed)
			}
			if name == "sqs" {
				if err != nil || len(response.BatchItemFailures) != 1 {
					t.Errorf("Invoke = %v, %v; want the record listed", response.BatchItemFailures, err)
				}
			} else if err == nil {
				t.Error("Invoke succeeded, want a function error")
			}
		})
	}
	for _, shape := range []string{"v1", "v2"} {
		t.Run("http "+shape, func(t *testing.T) {
			t.Parallel()
			s := newStack(t)
			s.deadline = time.Second
			s.emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Delay: 10 * time.Second})
			began := time.Now()
			status, _, body := s.invokeHTTP(t, shape, `{"text":"slow"}`, shape == "v2")
			if elapsed := time.Since(began); elapsed > 1500*time.Millisecond {
				t.Errorf("Invoke returned after %v, want before the 1 s deadline", elapsed)
			}
			if status != http.StatusServiceUnavailable {
				t.Errorf("status = %d, want 503 (body %s)", status, body)
			}
		})
	}
}

// noLossFaults are the faults of the no-loss run. Each replaces OFS's
// response, so OFS never acted on a request that failed; faults after
// which OFS may have acted (a timeout, a dropped response) make a
// duplicate possible on redelivery, which only an idempotency store can
// prevent.
var noLossFaults = []emulator.Fault{
	{Status: 500}, {Status: 502}, {Status: 503}, {Status: 504}, {Status: 400}, {Status: 403},
	{Status: 429}, {Status: 503, RetryAfter: "1"}, {Status: 401},
	{Status: 502, Body: htmlPage, ContentType: "text/html"},
}

// TestNoLossUnderFaults sends 1,000 SQS messages in batches of 10 while a
// seeded tenth of the chat requests fail. Every message must either have
// started exactly one chat or be listed in batchItemFailures with none.
func TestNoLossUnderFaults(t *testing.T) {
	const messages, batchSize = 1000, 10
	s := newStack(t)
	random := rand.New(rand.NewPCG(2026, 12))
	listed := map[string]bool{}
	faulted := 0
	for first := 0; first < messages; first += batchSize {
		var bodies []string
		for i := first; i < first+batchSize; i++ {
			text := fmt.Sprintf("message %04d", i)
			bodies = append(bodies, `{"text":"`+text+`"}`)
			if random.Float64() < 0.1 {
				fault := noLossFaults[random.IntN(len(noLossFaults))]
				fault.Endpoint, fault.BodyContains = emulator.EndpointChat, text
				s.emu.Inject(fault)
				faulted++
			}
		}
		var response events.SQSEventResponse
		if err := s.invoke(t, sqsEventFrom(first, bodies), &response); err != nil {
			t.Fatalf("batch at %d: %v", first, err)
		}
		for _, failure := range response.BatchItemFailures {
			listed[failure.ItemIdentifier] = true
		}
	}

	started := map[string]int{}
	for _, c := range s.emu.Chats() {
		started[c.Text]++
	}
	var startedOnce, listedNone, lost, duplicated int
	for i := range messages {
		id, text := fmt.Sprintf("msg-%d", i+1), fmt.Sprintf("message %04d", i)
		switch {
		case listed[id] && started[text] == 0:
			listedNone++
		case !listed[id] && started[text] == 1:
			startedOnce++
		case listed[id]:
			duplicated++
			t.Errorf("%s is listed for redelivery but started %d chats", id, started[text])
		default:
			lost++
			t.Errorf("%s is not listed but started %d chats", id, started[text])
		}
	}
	t.Logf("no-loss run: %d messages, %d faults injected; %d started exactly one chat, "+
		"%d listed in batchItemFailures with none, %d lost, %d listed after starting a chat",
		messages, faulted, startedOnce, listedNone, lost, duplicated)
	assertNoSecrets(t, s)
}
