package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// TestWebhookSignatureRequired sends each HTTP sample unsigned, then with
// the file's stale signature, then freshly signed: the bootstrap must reject
// the first two with 401 and no OFS call, and start the chat for the third.
func TestWebhookSignatureRequired(t *testing.T) {
	stack := localstacktest.Stack(t, localstack.StackConfig{})
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"apigw-rest.json", "apigw-http.json", "function-url.json"} {
		t.Run(name, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join(root, "events", name))
			if err != nil {
				t.Fatal(err)
			}
			unsigned, err := localstack.RemoveSignature(payload)
			if err != nil {
				t.Fatal(err)
			}
			// The file's own signature is long stale.
			for label, request := range map[string][]byte{"unsigned": unsigned, "stale": payload} {
				requestsBefore := len(stack.OFS.Emulator.Requests())
				status, body, err := stack.RIE.Invoke(context.Background(), request)
				if err != nil || status != http.StatusOK {
					t.Fatalf("%s Invoke = %d, %v", label, status, err)
				}
				if got := httpStatus(t, body); got != http.StatusUnauthorized {
					t.Errorf("%s request: status %d, want 401 (%s)", label, got, body)
				}
				if got := len(stack.OFS.Emulator.Requests()) - requestsBefore; got != 0 {
					t.Errorf("%s request reached OFS %d times, want 0", label, got)
				}
			}
			_, body, err := stack.Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			if got := httpStatus(t, body); got != http.StatusCreated {
				t.Errorf("signed request: status %d, want 201 (%s)", got, body)
			}
		})
	}
}

func httpStatus(t *testing.T, result []byte) int {
	t.Helper()
	var response struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(result, &response); err != nil || response.StatusCode == 0 {
		t.Fatalf("result %s is not an HTTP response", strings.TrimSpace(string(result)))
	}
	return response.StatusCode
}
