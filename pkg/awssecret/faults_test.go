package awssecret_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
)

// startFaulty starts a FaultySecrets endpoint in front of moto and
// returns it with a client that sends to it.
func startFaulty(t *testing.T, motoURL string) (*localstack.FaultySecrets, *secretsmanager.Client) {
	t.Helper()
	f, err := localstack.StartFaultySecrets(motoURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f, localstack.SecretsClient(f.URL())
}

func noSDKRetries(o *secretsmanager.Options) { o.RetryMaxAttempts = 1 }

func TestThrottlingRetriedBySDK(t *testing.T) {
	motoClient := startMoto(t)
	createSecret(t, motoClient, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/throttled"), SecretString: aws.String("v")})
	f, client := startFaulty(t, motoURLOf(t, motoClient))
	f.FailNext("ThrottlingException", 2)
	secret, err := awssecret.New(client, "ofs/throttled", 0, nil).Get(context.Background())
	if err != nil || string(secret.Value) != "v" {
		t.Fatalf("Get = %q, %v; want the value after the SDK's retries", secret.Value, err)
	}
	if got := f.Calls(); got != 3 {
		t.Errorf("requests = %d, want 3 (two throttled, one served)", got)
	}
}

func TestPermanentFaultsNameTheFix(t *testing.T) {
	motoClient := startMoto(t)
	tests := []struct {
		code, want string
	}{
		{"AccessDeniedException", "secretsmanager:GetSecretValue"},
		{"DecryptionFailure", "kms:Decrypt"},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			f, client := startFaulty(t, motoURLOf(t, motoClient))
			f.FailNext(tt.code, -1)
			_, err := awssecret.New(client, "ofs/denied", 0, nil).Get(context.Background())
			var secretErr *awssecret.Error
			if !errors.As(err, &secretErr) || secretErr.Temporary || secretErr.Code != tt.code {
				t.Fatalf("Get error = %#v, want a permanent %s", err, tt.code)
			}
			for _, want := range []string{"ofs/denied", tt.want} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %q", err, want)
				}
			}
		})
	}
}

func TestStaleValueServedWhileThrottled(t *testing.T) {
	motoClient := startMoto(t)
	createSecret(t, motoClient, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/stale"), SecretString: aws.String("v1")})
	f, client := startFaulty(t, motoURLOf(t, motoClient))
	client = secretsmanager.New(client.Options(), noSDKRetries)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	advance := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	cache := awssecret.New(client, "ofs/stale", time.Minute, clock)
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.FailNext("ThrottlingException", -1)
	advance(2 * time.Minute)
	secret, err := cache.Get(context.Background())
	if err != nil || string(secret.Value) != "v1" {
		t.Fatalf("Get while throttled = %q, %v; want the expired value", secret.Value, err)
	}
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls(); got != 2 {
		t.Errorf("requests = %d, want 2 (no new fetch within the stale retry interval)", got)
	}
	f.FailNext("", 0)
	advance(time.Minute)
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.Calls(); got != 3 {
		t.Errorf("requests = %d, want 3 (a fetch after the stale retry interval)", got)
	}
}

func TestWaitingCallersShareFailure(t *testing.T) {
	motoClient := startMoto(t)
	f, client := startFaulty(t, motoURLOf(t, motoClient))
	client = secretsmanager.New(client.Options(), noSDKRetries)
	f.SetDelay(200 * time.Millisecond)
	f.FailNext("ThrottlingException", -1)
	cache := awssecret.New(client, "ofs/shared", 0, nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := cache.Get(context.Background()); err == nil {
				t.Error("Get succeeded, want the throttling error")
			}
		})
	}
	wg.Wait()
	if got := f.Calls(); got != 1 {
		t.Errorf("requests = %d, want 1 for 10 callers that waited together", got)
	}
}

// motoURLOf returns the endpoint a moto client sends to.
func motoURLOf(t *testing.T, client *secretsmanager.Client) string {
	t.Helper()
	endpoint := aws.ToString(client.Options().BaseEndpoint)
	if endpoint == "" {
		t.Fatal("the moto client has no BaseEndpoint")
	}
	return endpoint
}
