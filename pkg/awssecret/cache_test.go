package awssecret_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
)

// countingAPI forwards to moto and counts the GetSecretValue calls.
type countingAPI struct {
	awssecret.API
	calls atomic.Int32
}

func (c *countingAPI) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput,
	opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.Add(1)
	return c.API.GetSecretValue(ctx, in, opts...)
}

// motoServer is the moto_server that every test in this package shares.
var motoServer *localstack.Moto

func TestMain(m *testing.M) {
	os.Exit(localstacktest.RunWithMoto(m, &motoServer))
}

// startMoto returns a Secrets Manager client of the shared moto server.
func startMoto(t *testing.T) *secretsmanager.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("moto_server tests skipped in -short mode")
	}
	return localstack.SecretsClient(motoServer.URL())
}

func createSecret(t *testing.T, client *secretsmanager.Client, in *secretsmanager.CreateSecretInput) {
	t.Helper()
	if _, err := client.CreateSecret(context.Background(), in); err != nil {
		t.Fatalf("CreateSecret %s: %v", aws.ToString(in.Name), err)
	}
}

func TestGetCachesWithinTTL(t *testing.T) {
	client := startMoto(t)
	createSecret(t, client, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/a"), SecretString: aws.String(`{"v":1}`)})
	api := &countingAPI{API: client}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	cache := awssecret.New(api, "ofs/a", time.Minute, clock)

	for range 5 {
		secret, err := cache.Get(context.Background())
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if string(secret.Value) != `{"v":1}` || secret.VersionID == "" {
			t.Fatalf("Get = %q version %q, want the stored value with a version", secret.Value, secret.VersionID)
		}
	}
	if got := api.calls.Load(); got != 1 {
		t.Errorf("GetSecretValue calls within the TTL = %d, want 1", got)
	}

	if _, err := client.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("ofs/a"), SecretString: aws.String(`{"v":2}`)}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	secret, err := cache.Get(context.Background())
	if err != nil {
		t.Fatalf("Get after the TTL: %v", err)
	}
	if string(secret.Value) != `{"v":2}` {
		t.Errorf("Get after the TTL = %q, want the rotated value", secret.Value)
	}
	if got := api.calls.Load(); got != 2 {
		t.Errorf("GetSecretValue calls = %d, want 2", got)
	}
}

func TestGetConcurrentCallersFetchOnce(t *testing.T) {
	client := startMoto(t)
	createSecret(t, client, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/c"), SecretString: aws.String("x")})
	api := &countingAPI{API: client}
	cache := awssecret.New(api, "ofs/c", 0, nil)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := cache.Get(context.Background()); err != nil {
				t.Errorf("Get: %v", err)
			}
		})
	}
	wg.Wait()
	if got := api.calls.Load(); got != 1 {
		t.Errorf("GetSecretValue calls = %d, want 1", got)
	}
}

func TestGetSecretBinary(t *testing.T) {
	client := startMoto(t)
	createSecret(t, client, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/bin"), SecretBinary: []byte(`{"b":true}`)})
	secret, err := awssecret.New(client, "ofs/bin", 0, nil).Get(context.Background())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(secret.Value) != `{"b":true}` {
		t.Errorf("Get = %q, want the binary value", secret.Value)
	}
}

func TestInvalidateRefetches(t *testing.T) {
	client := startMoto(t)
	createSecret(t, client, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/i"), SecretString: aws.String("x")})
	api := &countingAPI{API: client}
	cache := awssecret.New(api, "ofs/i", time.Hour, nil)
	for range 2 {
		if _, err := cache.Get(context.Background()); err != nil {
			t.Fatal(err)
		}
		cache.Invalidate()
	}
	if got := api.calls.Load(); got != 2 {
		t.Errorf("GetSecretValue calls = %d, want 2", got)
	}
}

func TestGetMissingSecretNamesFix(t *testing.T) {
	client := startMoto(t)
	_, err := awssecret.New(client, "ofs/missing", 0, nil).Get(context.Background())
	var secretErr *awssecret.Error
	if !errors.As(err, &secretErr) {
		t.Fatalf("Get error = %v, want an *awssecret.Error", err)
	}
	if secretErr.Code != "ResourceNotFoundException" || secretErr.Temporary {
		t.Errorf("Code = %q, Temporary = %v; want ResourceNotFoundException, false", secretErr.Code, secretErr.Temporary)
	}
	for _, want := range []string{"ofs/missing", "OFS_SECRET_ID"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

func TestGetUnreachableIsTemporary(t *testing.T) {
	if testing.Short() {
		t.Skip("needs a closed loopback port")
	}
	// Port 1 on loopback refuses connections, so no request leaves the machine.
	client := localstack.SecretsClient("http://127.0.0.1:1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := awssecret.New(client, "ofs/x", 0, nil).Get(ctx)
	var secretErr *awssecret.Error
	if !errors.As(err, &secretErr) || !secretErr.Temporary {
		t.Fatalf("Get error = %v, want a temporary *awssecret.Error", err)
	}
}

func TestInvalidateFetchedBeforeOnlyOlder(t *testing.T) {
	client := startMoto(t)
	createSecret(t, client, &secretsmanager.CreateSecretInput{Name: aws.String("ofs/older"), SecretString: aws.String("x")})
	api := &countingAPI{API: client}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cache := awssecret.New(api, "ofs/older", time.Hour, func() time.Time { return now })
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	cache.InvalidateFetchedBefore(now) // fetched at now, not before it
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := api.calls.Load(); got != 1 {
		t.Errorf("GetSecretValue calls after a no-op invalidation = %d, want 1", got)
	}
	cache.InvalidateFetchedBefore(now.Add(time.Second))
	if _, err := cache.Get(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := api.calls.Load(); got != 2 {
		t.Errorf("GetSecretValue calls after invalidating an older value = %d, want 2", got)
	}
}
