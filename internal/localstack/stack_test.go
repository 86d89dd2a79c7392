package localstack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
)

func TestStackRunsFunction(t *testing.T) {
	copied := &localstacktest.SyncBuffer{}
	stack := localstacktest.Stack(t, localstack.StackConfig{Output: copied})
	ctx := context.Background()

	status, body, err := stack.RIE.Invoke(ctx, []byte(`{"text":"Truck 12 needs a tow"}`))
	if err != nil || status != 200 {
		t.Fatalf("Invoke = %d, %v, want 200", status, err)
	}
	var chat struct {
		ChatID int64 `json:"chatId"`
	}
	if err := json.Unmarshal(body, &chat); err != nil || chat.ChatID == 0 {
		t.Fatalf("Invoke body = %s, want a chat", body)
	}
	chats := stack.OFS.Emulator.Chats()
	if len(chats) != 1 || strings.Join(chats[0].Recipients, ",") != localstack.DefaultRecipients {
		t.Fatalf("emulator chats = %+v, want one to %s", chats, localstack.DefaultRecipients)
	}
	if got := stack.Moto.Calls("secretsmanager.GetSecretValue"); got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", got)
	}

	_, body, err = stack.RIE.Invoke(ctx, []byte(`{}`))
	if err != nil {
		t.Fatalf("Invoke({}): %v", err)
	}
	if fnErr, ok := localstack.ParseFunctionError(body); !ok || fnErr.Type != "EventError" {
		t.Errorf("Invoke({}) body = %s, want an EventError", body)
	}

	output := stack.RIE.Output()
	for _, want := range []string{"START RequestId", `"message":"chat started"`} {
		if !bytes.Contains(output, []byte(want)) {
			t.Errorf("Output() lacks %q:\n%s", want, output)
		}
	}
	if !strings.Contains(copied.String(), "START RequestId") {
		t.Error("StackConfig.Output got no copy of the output")
	}
}

func TestStackStopEndsProcesses(t *testing.T) {
	bootstrap := localstacktest.Bootstrap(t)
	stack := localstacktest.Stack(t, localstack.StackConfig{Bootstrap: bootstrap})
	if _, _, err := stack.RIE.Invoke(context.Background(), []byte(`{"text":"warm up"}`)); err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	motoAddr := strings.TrimPrefix(stack.Moto.URL(), "http://")
	ofsAddr := strings.TrimPrefix(stack.OFS.URL(), "http://")
	stack.Stop()
	for _, addr := range []string{motoAddr, ofsAddr} {
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			t.Errorf("%s still accepts connections after Stop", addr)
		}
	}
	if pids := processesRunning(t, bootstrap); len(pids) > 0 {
		t.Errorf("bootstrap processes %v still run after Stop", pids)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := stack.RIE.Invoke(ctx, []byte(`{"text":"after stop"}`)); err == nil {
		t.Error("Invoke after Stop succeeded, want a connection error")
	}
}

// processesRunning returns the IDs of processes whose executable is path,
// read from /proc.
func processesRunning(t *testing.T, path string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("reading /proc: %v", err)
	}
	var pids []string
	for _, entry := range entries {
		exe, err := os.Readlink(filepath.Join("/proc", entry.Name(), "exe"))
		if err == nil && exe == path {
			pids = append(pids, entry.Name())
		}
	}
	return pids
}
