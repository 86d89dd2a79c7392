package idempotency_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack/localstacktest"
	"github.com/ofs-startchat/ofs-startchat/pkg/idempotency"
)

var (
	tableSerial atomic.Int32
	motoServer  *localstack.Moto // the moto_server every test in this package shares
)

func TestMain(m *testing.M) {
	os.Exit(localstacktest.RunWithMoto(m, &motoServer))
}

// newStore returns a store on a new table in moto.
func newStore(t *testing.T, now func() time.Time) *idempotency.Store {
	t.Helper()
	if testing.Short() {
		t.Skip("moto_server tests skipped in -short mode")
	}
	table := fmt.Sprintf("idempotency-%d", tableSerial.Add(1))
	if err := localstack.CreateIdempotencyTable(context.Background(), motoServer.URL(), table); err != nil {
		t.Fatal(err)
	}
	return idempotency.New(localstack.DynamoClient(motoServer.URL()), table, time.Hour, now)
}

func TestBeginCompleteReturnsStoredResult(t *testing.T) {
	store := newStore(t, nil)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if result, err := store.Begin(ctx, "sqs:m1", until); err != nil || result != nil {
		t.Fatalf("first Begin = %q, %v; want ownership", result, err)
	}
	if err := store.Complete(ctx, "sqs:m1", []byte(`{"chatId":48213}`)); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	result, err := store.Begin(ctx, "sqs:m1", until)
	if err != nil || string(result) != `{"chatId":48213}` {
		t.Errorf("Begin after Complete = %q, %v; want the stored chat", result, err)
	}
}

func TestBeginWhileInProgressIsRetryable(t *testing.T) {
	store := newStore(t, nil)
	ctx := context.Background()
	if _, err := store.Begin(ctx, "sns:a", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	_, err := store.Begin(ctx, "sns:a", time.Now().Add(time.Minute))
	var inProgress *idempotency.InProgressError
	if !errors.As(err, &inProgress) || !inProgress.Temporary() || inProgress.RetryAfter <= 0 {
		t.Fatalf("second Begin error = %v, want a temporary *InProgressError", err)
	}
}

func TestConcurrentBeginsOneOwner(t *testing.T) {
	store := newStore(t, nil)
	var owners atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			result, err := store.Begin(context.Background(), "eventbridge:e1", time.Now().Add(time.Minute))
			if err == nil && result == nil {
				owners.Add(1)
			}
		})
	}
	wg.Wait()
	if got := owners.Load(); got != 1 {
		t.Errorf("owners = %d, want exactly 1", got)
	}
}

func TestExpiredInProgressCanBeClaimed(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	store := newStore(t, clock)
	ctx := context.Background()
	// The first holder crashed after OFS started the chat: its record
	// expires at its deadline, and a redelivery then owns the key.
	if _, err := store.Begin(ctx, "sqs:crash", now.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(31 * time.Second)
	mu.Unlock()
	if result, err := store.Begin(ctx, "sqs:crash", now.Add(30*time.Second)); err != nil || result != nil {
		t.Errorf("Begin after the expiry = %q, %v; want ownership", result, err)
	}
}

func TestReleaseLetsRetryProceed(t *testing.T) {
	store := newStore(t, nil)
	ctx := context.Background()
	until := time.Now().Add(time.Minute)
	if _, err := store.Begin(ctx, "http:k1", until); err != nil {
		t.Fatal(err)
	}
	if err := store.Release(ctx, "http:k1"); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if result, err := store.Begin(ctx, "http:k1", until); err != nil || result != nil {
		t.Errorf("Begin after Release = %q, %v; want ownership", result, err)
	}
	if err := store.Complete(ctx, "http:k1", []byte("done")); err != nil {
		t.Fatal(err)
	}
	if err := store.Release(ctx, "http:k1"); err != nil {
		t.Fatalf("Release of a completed record: %v", err)
	}
	if result, _ := store.Begin(ctx, "http:k1", until); string(result) != "done" {
		t.Errorf("Begin after releasing a completed record = %q, want it kept", result)
	}
}

func TestMissingTableNamesFix(t *testing.T) {
	newStore(t, nil) // skips in -short mode
	missing := idempotency.New(localstack.DynamoClient(motoServer.URL()), "no-such-table", 0, nil)
	_, err := missing.Begin(context.Background(), "k", time.Now().Add(time.Minute))
	var storeErr *idempotency.Error
	if !errors.As(err, &storeErr) {
		t.Fatalf("Begin error = %v, want an *idempotency.Error", err)
	}
}

func TestInProgressLastsUntilDeadline(t *testing.T) {
	var mu sync.Mutex
	start := time.Unix(1767225600, 70_000_000) // a fraction of a second past a whole second
	now := start
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	store := newStore(t, clock)
	ctx := context.Background()
	if _, err := store.Begin(ctx, "sqs:fraction", start.Add(1710*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = start.Add(1050 * time.Millisecond) // before the holder's deadline, in the next second
	mu.Unlock()
	_, err := store.Begin(ctx, "sqs:fraction", now.Add(time.Minute))
	var inProgress *idempotency.InProgressError
	if !errors.As(err, &inProgress) {
		t.Errorf("Begin before the holder's deadline = %v, want an *InProgressError", err)
	}
}
