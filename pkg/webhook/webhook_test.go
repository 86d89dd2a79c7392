package webhook

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	secret = []byte("whsec-test")
	now    = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	body   = []byte(`{"text":"Gate 3 is blocked","recipients":["tech17"]}`)
)

func clock() time.Time { return now }

func TestSignMatchesOpenSSL(t *testing.T) {
	// The value printed by OpenSSL 3.0 for
	//   printf '%s' '1767268800.{"text":"hi"}' | openssl dgst -sha256 -hmac whsec-test
	want := "sha256=500a4523532b60a09a4151f7519a9b4f9a385d176ad6ff7f665de83f22d879a9"
	if got := Sign(secret, 1767268800, []byte(`{"text":"hi"}`)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerifyAccepts(t *testing.T) {
	v := NewVerifier(clock)
	for _, offset := range []time.Duration{0, -Window + time.Second, Window - time.Second} {
		ts := now.Add(offset).Unix()
		if err := v.Verify(secret, strconv.FormatInt(ts, 10), Sign(secret, ts, body), body); err != nil {
			t.Errorf("Verify at offset %v: %v", offset, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	ts := now.Unix()
	good := Sign(secret, ts, body)
	tests := []struct {
		name      string
		timestamp string
		signature string
		body      []byte
		want      error
	}{
		{"unsigned", "", "", body, ErrUnsigned},
		{"no timestamp", "", good, body, ErrUnsigned},
		{"timestamp not a number", "soon", good, body, ErrUnsigned},
		{"stale", strconv.FormatInt(now.Add(-Window-time.Second).Unix(), 10),
			Sign(secret, now.Add(-Window-time.Second).Unix(), body), body, ErrStale},
		{"from the future", strconv.FormatInt(now.Add(Window+time.Second).Unix(), 10),
			Sign(secret, now.Add(Window+time.Second).Unix(), body), body, ErrStale},
		{"other secret", strconv.FormatInt(ts, 10), Sign([]byte("guess"), ts, body), body, ErrForged},
		{"body changed", strconv.FormatInt(ts, 10), good, []byte(`{"text":"other"}`), ErrForged},
		{"timestamp changed", strconv.FormatInt(ts+1, 10), good, body, ErrForged},
		{"timestamp spelt differently", "+" + strconv.FormatInt(ts, 10), good, body, ErrForged},
		{"no prefix", strconv.FormatInt(ts, 10), strings.TrimPrefix(good, "sha256="), body, ErrForged},
		{"not hex", strconv.FormatInt(ts, 10), "sha256=zz", body, ErrForged},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := NewVerifier(clock).Verify(secret, tt.timestamp, tt.signature, tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if strings.Contains(err.Error(), string(secret)) || strings.Contains(err.Error(), good[7:]) {
				t.Errorf("error %q reveals the secret or the expected signature", err)
			}
		})
	}
}

func TestVerifyRejectsReplay(t *testing.T) {
	v := NewVerifier(clock)
	ts := strconv.FormatInt(now.Unix(), 10)
	signature := Sign(secret, now.Unix(), body)
	if err := v.Verify(secret, ts, signature, body); err != nil {
		t.Fatalf("first Verify: %v", err)
	}
	if err := v.Verify(secret, ts, "sha256="+strings.ToUpper(signature[7:]), body); !errors.Is(err, ErrReplayed) {
		t.Errorf("Verify with upper-case hex = %v, want ErrReplayed", err)
	}
	if err := v.Verify(secret, ts, signature, body); !errors.Is(err, ErrReplayed) {
		t.Errorf("second Verify = %v, want ErrReplayed", err)
	}
	v.Forget(signature)
	if err := v.Verify(secret, ts, signature, body); err != nil {
		t.Errorf("Verify after Forget = %v, want success", err)
	}
}

func TestHeadersVerify(t *testing.T) {
	headers := Headers(secret, now, body)
	err := NewVerifier(clock).Verify(secret, headers[TimestampHeader], headers[SignatureHeader], body)
	if err != nil {
		t.Errorf("Verify(Headers(...)) = %v", err)
	}
}
