// Package e2e_test runs the real bootstrap under the Lambda Runtime
// Interface Emulator against moto (Secrets Manager) and the OFS emulator,
// all on 127.0.0.1, and checks what every sample event in events/ does.
// A machine without moto_server or aws-lambda-rie fails these tests with a
// message naming `make tools`; go test -short skips them.
package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// chatResult is the chat JSON that the function returns.
type chatResult struct {
	ChatID    int64  `json:"chatId"`
	Type      string `json:"type"`
	StartedBy string `json:"startedBy"`
}

// TestSampleEvents invokes every events/*.json file in name order on one
// warm function with the example routing and attachment rules, as
// `make demo` does.
func TestSampleEvents(t *testing.T) {
	stack := localstacktest.Stack(t, localstack.StackConfig{Env: exampleEnv(t)})
	paths := eventFiles(t)
	var responses [][]byte
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			payload, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading the event: %v", err)
			}
			exp := expect(t, filepath.Base(path), payload)
			chatsBefore := len(stack.OFS.Emulator.Chats())
			body := invoke(t, stack, payload)
			responses = append(responses, body)
			started := stack.OFS.Emulator.Chats()[chatsBefore:]
			checkChats(t, exp.chats, started, exp.kind == resultBatch)
			switch exp.kind {
			case resultHTTP:
				checkHTTPResult(t, body, started)
			case resultBatch:
				checkBatchResult(t, body, nil)
			default:
				checkChatResult(t, body, started)
			}
		})
	}

	if got := stack.OFS.Emulator.TokenRequests(); got != 1 {
		t.Errorf("emulator got %d token requests over %d events, want 1: the token is cached",
			got, len(paths))
	}
	if got := stack.Moto.Calls("secretsmanager.GetSecretValue"); got != 1 {
		t.Errorf("moto got %d GetSecretValue calls over %d events, want 1: the secret is cached",
			got, len(paths))
	}
	checkNoSecrets(t, stack, responses)
}

// eventFiles returns the paths of events/*.json in name order.
func eventFiles(t *testing.T) []string {
	t.Helper()
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	paths, err := filepath.Glob(filepath.Join(root, "events", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no events/*.json files in %s (%v)", root, err)
	}
	sort.Strings(paths)
	return paths
}

// invoke sends payload to the function and returns the result body. RIE
// returns status 200 for results and function errors alike.
func invoke(t *testing.T, stack *localstack.Stack, payload []byte) []byte {
	t.Helper()
	status, body, err := stack.Invoke(context.Background(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	if status != http.StatusOK {
		t.Fatalf("Invoke status = %d, want 200; body %s", status, body)
	}
	return body
}

// checkChats compares the chats that the emulator started with the wanted
// ones, in order unless anyOrder is set.
func checkChats(t *testing.T, want []wantChat, got []emulator.Chat, anyOrder bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("emulator started %d chats, want %d: %v", len(got), len(want), want)
	}
	remaining := slices.Clone(got)
	for i, w := range want {
		index := i
		if anyOrder {
			index = slices.IndexFunc(remaining, func(c emulator.Chat) bool {
				return w.matches(c, localstack.DefaultUser)
			})
		}
		if index < 0 || !w.matches(remaining[index], localstack.DefaultUser) {
			t.Errorf("chat %d: want %v started by %s; emulator started %+v",
				i, w, localstack.DefaultUser, got)
			continue
		}
		if remaining[index].Type != chatType(w) {
			t.Errorf("chat %d type = %q, want %q", i, remaining[index].Type, chatType(w))
		}
		if anyOrder {
			remaining = slices.Delete(remaining, index, index+1)
		}
	}
}

// chatType is OFS's type for a chat: conference for several recipients.
func chatType(c wantChat) string {
	if len(c.Recipients) > 1 {
		return "conference"
	}
	return "normal"
}

// checkChatResult checks that body is the chat JSON of the one chat started.
func checkChatResult(t *testing.T, body []byte, started []emulator.Chat) {
	t.Helper()
	if fnErr, ok := localstack.ParseFunctionError(body); ok {
		t.Fatalf("function error: %v", fnErr)
	}
	var chat chatResult
	if err := json.Unmarshal(body, &chat); err != nil {
		t.Fatalf("result %s is not the chat JSON: %v", body, err)
	}
	if len(started) != 1 || chat.ChatID != started[0].ID {
		t.Fatalf("result chatId = %d, want the started chat's ID; started %+v", chat.ChatID, started)
	}
	if chat.Type != started[0].Type || chat.StartedBy != started[0].StartedBy {
		t.Errorf("result type, startedBy = %q, %q, want %q, %q", chat.Type, chat.StartedBy,
			started[0].Type, started[0].StartedBy)
	}
}

// checkHTTPResult checks an API Gateway or function URL response: 201,
// JSON, and the started chat as the body.
func checkHTTPResult(t *testing.T, body []byte, started []emulator.Chat) {
	t.Helper()
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		t.Fatalf("result %s is not an HTTP response: %v", body, err)
	}
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("statusCode = %d, want 201; body %s", resp.StatusCode, resp.Body)
	}
	if got := resp.Headers["Content-Type"]; got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	checkChatResult(t, []byte(resp.Body), started)
}

// checkBatchResult checks that body lists exactly the wanted message IDs in
// batchItemFailures, and that the list is present even when empty.
func checkBatchResult(t *testing.T, body []byte, wantFailures []string) {
	t.Helper()
	var resp struct {
		BatchItemFailures *[]struct {
			ItemIdentifier string `json:"itemIdentifier"`
		} `json:"batchItemFailures"`
	}
	if err := json.Unmarshal(body, &resp); err != nil || resp.BatchItemFailures == nil {
		t.Fatalf("result %s has no batchItemFailures list (%v)", body, err)
	}
	var got []string
	for _, failure := range *resp.BatchItemFailures {
		got = append(got, failure.ItemIdentifier)
	}
	if !slices.Equal(got, wantFailures) {
		t.Errorf("batchItemFailures = %q, want %q", got, wantFailures)
	}
}
