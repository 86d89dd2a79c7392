package e2e_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

// golden is the golden file of a sample: one chat per record, or nil where
// the record carries a chat request.
type golden []*wantChat

// goldenChats reads internal/notify/testdata/golden/<name>, which the
// notify package's TestGoldenSamples checks against its own output. It
// returns nil for a sample without notifications, which has no file.
func goldenChats(t *testing.T, name string) golden {
	t.Helper()
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	data, err := os.ReadFile(filepath.Join(root, "internal", "notify", "testdata", "golden", name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading the golden file: %v", err)
	}
	var chats golden
	decode(t, data, &chats)
	return chats
}

// chatFor returns the golden chat of record i, or derive's chat when the
// file has none for it.
func (g golden) chatFor(i int, derive func() wantChat) wantChat {
	if i < len(g) && g[i] != nil {
		return *g[i]
	}
	return derive()
}

// exampleEnv returns the notification settings that `make demo` uses:
// the rules in examples/routes.json and examples/attachments.json.
func exampleEnv(t *testing.T) map[string]string {
	t.Helper()
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	env, err := localstack.ExampleNotifyEnv(root)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestTemplatesFileOverride runs the bootstrap with OFS_TEMPLATES_FILE set
// to examples/chat-templates.tmpl, which redefines the EC2 text and adds a
// template for the custom sample's source and detail-type.
func TestTemplatesFileOverride(t *testing.T) {
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	env := exampleEnv(t)
	env["OFS_TEMPLATES_FILE"] = filepath.Join(root, "examples", "chat-templates.tmpl")
	stack := localstacktest.Stack(t, localstack.StackConfig{Env: env})
	tests := []struct{ sample, want string }{
		{"eventbridge-ec2-state-change.json", "Server i-0a1b2c3d4e5f67890 is now stopped (us-east-1)"},
		{"eventbridge-custom-overdue.json",
			"Activity 4225274 at Northside Clinic is 45 minutes late\nAddress: 12 Harbor Road"},
	}
	for _, tt := range tests {
		t.Run(tt.sample, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join(root, "events", tt.sample))
			if err != nil {
				t.Fatal(err)
			}
			before := len(stack.OFS.Emulator.Chats())
			body := invoke(t, stack, payload)
			started := stack.OFS.Emulator.Chats()[before:]
			checkChatResult(t, body, started)
			if started[0].Text != tt.want {
				t.Errorf("text = %q, want %q", started[0].Text, tt.want)
			}
		})
	}
}

// TestBrokenRoutesFailEveryEvent starts the bootstrap with an OFS_ROUTES
// rule that matches nothing. Every event then fails with a configuration
// error that names the variable, and OFS gets no request.
func TestBrokenRoutesFailEveryEvent(t *testing.T) {
	stack := localstacktest.Stack(t, localstack.StackConfig{
		Env: map[string]string{"OFS_ROUTES": `[{"recipients":["tech17"]}]`}})
	root, err := localstack.RepoRoot()
	if err != nil {
		t.Fatalf("RepoRoot: %v", err)
	}
	payload, err := os.ReadFile(filepath.Join(root, "events", "sns-cloudwatch-alarm.json"))
	if err != nil {
		t.Fatal(err)
	}
	body := invoke(t, stack, payload)
	fnErr, ok := localstack.ParseFunctionError(body)
	if !ok {
		t.Fatalf("result %s is not a function error", body)
	}
	if fnErr.Type != "ConfigError" || !strings.Contains(fnErr.Message, "OFS_ROUTES: rule 1 matches nothing") {
		t.Errorf("function error = %s %q, want a ConfigError naming OFS_ROUTES", fnErr.Type, fnErr.Message)
	}
	if got := len(stack.OFS.Emulator.Requests()); got != 0 {
		t.Errorf("emulator got %d requests, want 0", got)
	}
}
