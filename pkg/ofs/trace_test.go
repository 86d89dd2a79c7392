package ofs

import (
	"context"
	"net/http"
	"testing"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

func TestTraceCountsAttemptsAndTokens(t *testing.T) {
	emu, client := setup(t, nil)
	client.retry = fastRetries
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: http.StatusTooManyRequests})
	var trace Trace
	if _, err := client.StartChat(WithTrace(context.Background(), &trace), toTech17); err != nil {
		t.Fatal(err)
	}
	if got := trace.ChatAttempts.Load(); got != 2 {
		t.Errorf("ChatAttempts = %d, want 2", got)
	}
	if got := trace.TokenRequests.Load(); got != 1 {
		t.Errorf("TokenRequests = %d, want 1", got)
	}
	if got := trace.ChatStatus.Load(); got != http.StatusCreated {
		t.Errorf("ChatStatus = %d, want 201", got)
	}
}
