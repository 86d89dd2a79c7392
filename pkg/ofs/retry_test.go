package ofs

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/emulator"
)

// fastRetries keeps retry tests quick: backoffs of at most a few ms.
var fastRetries = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: 2 * time.Second}

func TestChatRetryRule(t *testing.T) {
	tests := []struct {
		name      string
		fault     emulator.Fault
		wantChats int // chats started in the end
		wantPosts int // chat requests sent
	}{
		{"429 retried", emulator.Fault{Status: 429}, 1, 2},
		{"503 with Retry-After retried", emulator.Fault{Status: 503, RetryAfter: "1"}, 1, 2},
		{"503 without Retry-After not retried", emulator.Fault{Status: 503}, 0, 1},
		{"502 not retried", emulator.Fault{Status: 502}, 0, 1},
		{"504 not retried", emulator.Fault{Status: 504}, 0, 1},
		{"500 not retried", emulator.Fault{Status: 500}, 0, 1},
		{"400 not retried", emulator.Fault{Status: 400}, 0, 1},
		{"dropped after acting not retried", emulator.Fault{Drop: true}, 1, 1},
		{"429 three times gives up", emulator.Fault{Status: 429, Times: 3}, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, client := setup(t, nil)
			client.retry = fastRetries
			tt.fault.Endpoint = emulator.EndpointChat
			emu.Inject(tt.fault)
			_, err := client.StartChat(context.Background(), toTech17)
			if got := len(emu.Chats()); got != tt.wantChats {
				t.Errorf("chats started = %d, want %d (error %v)", got, tt.wantChats, err)
			}
			if got := emu.ChatRequests(); got != tt.wantPosts {
				t.Errorf("chat requests = %d, want %d", got, tt.wantPosts)
			}
		})
	}
}

func TestChatRetriedWhenConnectionRefused(t *testing.T) {
	// A listener closed right away gives a loopback port that refuses
	// connections, so the POST never leaves the machine.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := listener.Addr().String()
	listener.Close()
	_, client := setup(t, nil)
	client.retry = fastRetries
	if _, err := client.accessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	client.baseURL = "http://" + addr
	_, err = client.StartChat(context.Background(), toTech17)
	var netErr *NetworkError
	if !errors.As(err, &netErr) || netErr.Attempts != 3 {
		t.Errorf("error = %v, want the refused POST tried 3 times", err)
	}
}

func TestTokenRetryRule(t *testing.T) {
	tests := []struct {
		name       string
		fault      emulator.Fault
		wantTokens int
		wantOK     bool
	}{
		{"503 retried", emulator.Fault{Status: 503}, 2, true},
		{"502 retried", emulator.Fault{Status: 502}, 2, true},
		{"504 retried", emulator.Fault{Status: 504}, 2, true},
		{"429 retried", emulator.Fault{Status: 429}, 2, true},
		{"HTML 200 retried", emulator.Fault{Status: 200, Body: "<html>proxy</html>", ContentType: "text/html"}, 2, true},
		{"empty 200 retried", emulator.Fault{Status: 200, EmptyBody: true}, 2, true},
		{"dropped retried", emulator.Fault{Drop: true}, 2, true},
		{"201 accepted", emulator.Fault{Status: 201}, 1, true},
		{"401 not retried", emulator.Fault{Status: 401}, 1, false},
		{"400 not retried", emulator.Fault{Status: 400}, 1, false},
		{"500 not retried", emulator.Fault{Status: 500}, 1, false},
		{"no access_token not retried", emulator.Fault{Status: 200, Body: `{"token_type":"bearer"}`}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, client := setup(t, nil)
			client.retry = fastRetries
			tt.fault.Endpoint = emulator.EndpointToken
			emu.Inject(tt.fault)
			_, err := client.StartChat(context.Background(), toTech17)
			if (err == nil) != tt.wantOK {
				t.Errorf("StartChat error = %v, want success %v", err, tt.wantOK)
			}
			if got := emu.TokenRequests(); got != tt.wantTokens {
				t.Errorf("token requests = %d, want %d", got, tt.wantTokens)
			}
		})
	}
}

func TestRetryAfterBeyondDeadline(t *testing.T) {
	emu, client := setup(t, nil)
	client.retry = RetryPolicy{MaxAttempts: 3, BaseDelay: time.Millisecond, MaxDelay: time.Minute}
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: 429, RetryAfter: "30"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	began := time.Now()
	_, err := client.StartChat(ctx, toTech17)
	var throttled *ThrottledError
	if !errors.As(err, &throttled) || throttled.RetryAfter != 30*time.Second {
		t.Fatalf("error = %v, want a *ThrottledError with RetryAfter 30s", err)
	}
	if elapsed := time.Since(began); elapsed > time.Second {
		t.Errorf("StartChat took %v, want an immediate return", elapsed)
	}
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("error does not wrap the 429: %v", err)
	}
}

func TestCooldownSharedByConcurrentCalls(t *testing.T) {
	emu, client := setup(t, nil)
	client.retry = fastRetries
	if _, err := client.accessToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: 429, RetryAfter: "1"})
	// The first call meets the 429 and starts the cooldown; the others,
	// sent during it, wait for it instead of meeting 429s of their own.
	var wg sync.WaitGroup
	_, err := client.StartChat(context.Background(), toTech17)
	if err != nil {
		t.Fatalf("first StartChat: %v", err)
	}
	emu.Inject(emulator.Fault{Endpoint: emulator.EndpointChat, Status: 429, RetryAfter: "1"})
	go func() {
		// Let one call meet the 429 before the others start.
		_, _ = client.StartChat(context.Background(), toTech17)
	}()
	time.Sleep(100 * time.Millisecond)
	for range 9 {
		wg.Go(func() {
			if _, err := client.StartChat(context.Background(), toTech17); err != nil {
				t.Errorf("StartChat: %v", err)
			}
		})
	}
	wg.Wait()
	var throttled int
	for _, req := range emu.Requests() {
		if req.Endpoint == emulator.EndpointChat && req.Status == http.StatusTooManyRequests {
			throttled++
		}
	}
	if throttled != 2 {
		t.Errorf("429 responses = %d, want 2 (one per injected fault; the rest waited)", throttled)
	}
}

func TestBackoffFullJitter(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for try, ceiling := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		4: 800 * time.Millisecond, 10: time.Second} {
		for range 200 {
			if d := p.backoff(try); d < 0 || d > ceiling {
				t.Fatalf("backoff(%d) = %v, want within [0, %v]", try, d, ceiling)
			}
		}
	}
}

func TestChatMayHaveStarted(t *testing.T) {
	tests := []struct {
		name  string
		fault emulator.Fault
		want  bool
	}{
		{"400", emulator.Fault{Status: 400}, false},
		{"403", emulator.Fault{Status: 403}, false},
		{"429 every time", emulator.Fault{Status: 429, Times: 3}, false},
		{"503 with Retry-After every time", emulator.Fault{Status: 503, RetryAfter: "1", Times: 3}, false},
		{"503 without Retry-After", emulator.Fault{Status: 503}, true},
		{"500", emulator.Fault{Status: 500}, true},
		{"502", emulator.Fault{Status: 502}, true},
		{"dropped after acting", emulator.Fault{Drop: true}, true},
		{"200 without chatId", emulator.Fault{Status: 200, Body: `{}`}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu, client := setup(t, nil)
			client.retry = fastRetries
			tt.fault.Endpoint = emulator.EndpointChat
			emu.Inject(tt.fault)
			_, err := client.StartChat(context.Background(), toTech17)
			if err == nil {
				t.Fatal("StartChat succeeded, want the fault's error")
			}
			if got := ChatMayHaveStarted(err); got != tt.want {
				t.Errorf("ChatMayHaveStarted(%v) = %v, want %v", err, got, tt.want)
			}
		})
	}
	for _, err := range []error{&InputError{Field: "text"}, &APIError{Endpoint: EndpointToken, StatusCode: 503},
		&NetworkError{Endpoint: EndpointToken, Err: errors.New("refused")}} {
		if ChatMayHaveStarted(err) {
			t.Errorf("ChatMayHaveStarted(%v) = true, want false: no chat request was sent", err)
		}
	}
}
