package ofs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTokenReportsTypeAndExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	emu, client := setupWithClock(t, nil, func() time.Time { return now })
	info, err := client.Token(context.Background())
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if info.Type != "bearer" {
		t.Errorf("Type = %q, want bearer", info.Type)
	}
	if info.Lifetime != time.Hour {
		t.Errorf("Lifetime = %v, want the emulator's 1h", info.Lifetime)
	}
	if want := now.Add(time.Hour); !info.ExpiresAt.Equal(want) {
		t.Errorf("ExpiresAt = %v, want %v", info.ExpiresAt, want)
	}
	if info.AccessToken == "" {
		t.Error("AccessToken is empty")
	}
	if got := len(emu.Chats()); got != 0 {
		t.Errorf("Token started %d chats, want 0", got)
	}

	again, err := client.Token(context.Background())
	if err != nil {
		t.Fatalf("second Token: %v", err)
	}
	if again.AccessToken != info.AccessToken || emu.TokenRequests() != 1 {
		t.Errorf("second Token made %d token requests in all, want 1 and the cached token",
			emu.TokenRequests())
	}
	if _, err := client.StartChat(context.Background(), toTech17); err != nil {
		t.Fatalf("StartChat: %v", err)
	}
	if got := emu.TokenRequests(); got != 1 {
		t.Errorf("StartChat after Token made %d token requests in all, want 1", got)
	}
}

func TestTokenStringOmitsToken(t *testing.T) {
	info := TokenInfo{Type: "bearer", Lifetime: time.Hour,
		ExpiresAt: time.Date(2026, 1, 1, 1, 0, 0, 0, time.UTC), AccessToken: "tok-abc"}
	want := "bearer token, expires in 1h0m0s at 2026-01-01 01:00:00 UTC"
	for _, format := range []string{"%v", "%+v", "%s"} {
		if got := fmt.Sprintf(format, info); got != want {
			t.Errorf("Sprintf(%q) = %q, want %q", format, got, want)
		}
	}
}

func TestTokenRejectedCredentials(t *testing.T) {
	_, client := setup(t, map[string]string{"clientSecret": "wrong"})
	_, err := client.Token(context.Background())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || !apiErr.Rejected() {
		t.Fatalf("Token = %v, want a rejected *APIError", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q quotes the client secret", err)
	}
}
