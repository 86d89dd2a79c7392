package main

import (
	"context"
	"encoding/json"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
	"github.com/ofs-startchat/ofs-startchat/pkg/awssecret"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// These benchmarks feed cmd/bench (make bench), which runs them with
// go test -bench and reads the metrics they report. The ones with a
// network run the real handler against bench.Env: a Secrets Manager
// endpoint and the OFS emulator, each behind a proxy that adds -bench.delay
// to every request. None needs moto, so they also run under -short.

var benchDelay = flag.Duration("bench.delay", 20*time.Millisecond,
	"round-trip delay that the benchmarks with a network add to every Secrets Manager and OFS request")

// benchRequest is the chat that every benchmark starts, and benchPayload
// is the same chat as a direct invoke.
var (
	benchRequest = ofs.ChatRequest{Text: "Truck 12 needs a tow at gate 3", Recipients: []string{"tech17"}}
	benchPayload = []byte(`{"text":"Truck 12 needs a tow at gate 3","recipients":["tech17"]}`)
)

// benchEnv starts a bench.Env with the -bench.delay round trip.
func benchEnv(b *testing.B) *bench.Env {
	b.Helper()
	env, err := bench.StartEnv(*benchDelay)
	if err != nil {
		b.Fatalf("StartEnv: %v", err)
	}
	b.Cleanup(env.Stop)
	return env
}

// newEnvHandler returns a handler with cold caches for env, configured as
// newHandlerFromEnv configures it, logging JSON to io.Discard.
func newEnvHandler(env *bench.Env) *handler {
	s := settings{SecretID: env.SecretID, BaseURL: env.OFS.URL(),
		DefaultRecipients: []string{localstack.DefaultRecipients}, SecretTTL: awssecret.DefaultTTL,
		WebhookAuth: webhookAuthHMAC}
	cache := awssecret.New(localstack.SecretsClient(env.Secrets.URL()), s.SecretID, s.SecretTTL, nil)
	return newHandler(s, cache, slog.New(slog.NewJSONHandler(io.Discard, nil)))
}

// roundTrips returns the Secrets Manager and OFS requests made so far.
func roundTrips(env *bench.Env) int {
	return env.SecretFetches() + env.Emulator.TokenRequests() + len(env.Emulator.Chats())
}

func mustInvoke(b *testing.B, h *handler, payload []byte) []byte {
	result, err := h.Invoke(context.Background(), payload)
	if err != nil {
		b.Fatalf("Invoke: %v", err)
	}
	return result
}

// BenchmarkWarmDirect times, per iteration, one bare chat round trip, a
// warm direct invoke of the handler and the naive flow, and reports their
// percentiles in milliseconds and the round trips of the warm invoke.
func BenchmarkWarmDirect(b *testing.B) {
	env := benchEnv(b)
	ctx := context.Background()
	h := newEnvHandler(env)
	mustInvoke(b, h, benchPayload) // fills the secret and token caches
	naive := bench.NewNaive(env)
	floor, err := bench.NewChatRoundTrip(ctx, env, benchRequest)
	if err != nil {
		b.Fatal(err)
	}
	var floors, warm, naives []time.Duration
	warmTrips := 0
	for b.Loop() {
		took, err := floor.Do(ctx)
		if err != nil {
			b.Fatal(err)
		}
		floors = append(floors, took)

		trips, began := roundTrips(env), time.Now()
		mustInvoke(b, h, benchPayload)
		warm = append(warm, time.Since(began))
		warmTrips += roundTrips(env) - trips

		began = time.Now()
		if _, err := naive.StartChat(ctx, benchRequest); err != nil {
			b.Fatal(err)
		}
		naives = append(naives, time.Since(began))
	}
	b.ReportMetric(bench.Milliseconds(bench.Percentile(floors, 50)), "rt-p50-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(floors, 99)), "rt-p99-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(warm, 50)), "warm-p50-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(warm, 99)), "warm-p99-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(naives, 50)), "naive-p50-ms")
	b.ReportMetric(float64(warmTrips)/float64(len(warm)), "warm-trips/op")
}

// BenchmarkSQSBatch10 times, per iteration, one bare chat round trip and a
// warm SQS batch of 10 records, and reports the new connections per batch.
func BenchmarkSQSBatch10(b *testing.B) {
	env := benchEnv(b)
	ctx := context.Background()
	h := newEnvHandler(env)
	bodies := make([]string, 10)
	for i := range bodies {
		bodies[i] = string(benchPayload)
	}
	batch := []byte(sqsEvent(bodies...))
	mustInvoke(b, h, batch) // fills the caches and the connection pool
	floor, err := bench.NewChatRoundTrip(ctx, env, benchRequest)
	if err != nil {
		b.Fatal(err)
	}
	var floors, batches []time.Duration
	var connections int64
	for b.Loop() {
		took, err := floor.Do(ctx)
		if err != nil {
			b.Fatal(err)
		}
		floors = append(floors, took)

		opened, began := env.OFS.Connections(), time.Now()
		result := mustInvoke(b, h, batch)
		batches = append(batches, time.Since(began))
		connections += env.OFS.Connections() - opened
		var response events.SQSEventResponse
		if err := json.Unmarshal(result, &response); err != nil || len(response.BatchItemFailures) != 0 {
			b.Fatalf("batch result = %s, want no failures", result)
		}
	}
	b.ReportMetric(bench.Milliseconds(bench.Percentile(floors, 50)), "rt-p50-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(batches, 50)), "batch-p50-ms")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(batches, 99)), "batch-p99-ms")
	b.ReportMetric(float64(connections)/float64(len(batches)), "conns/batch")
}

// burstSize is the number of concurrent invokes in BenchmarkColdBurst100.
const burstSize = 100

// BenchmarkColdBurst100 sends, per iteration, 100 concurrent direct invokes
// to a new handler, whose secret and token caches are empty, and reports
// the most token requests and secret reads that one burst made.
func BenchmarkColdBurst100(b *testing.B) {
	env := benchEnv(b)
	var bursts []time.Duration
	maxTokens, maxSecrets := 0, 0
	for b.Loop() {
		h := newEnvHandler(env)
		tokens, secrets := env.Emulator.TokenRequests(), env.SecretFetches()
		start := make(chan struct{})
		errs := make(chan error, burstSize)
		var wg sync.WaitGroup
		for range burstSize {
			wg.Go(func() {
				<-start
				_, err := h.Invoke(context.Background(), benchPayload)
				errs <- err
			})
		}
		began := time.Now()
		close(start)
		wg.Wait()
		bursts = append(bursts, time.Since(began))
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatalf("Invoke in a burst: %v", err)
			}
		}
		maxTokens = max(maxTokens, env.Emulator.TokenRequests()-tokens)
		maxSecrets = max(maxSecrets, env.SecretFetches()-secrets)
	}
	b.ReportMetric(float64(maxTokens), "token-requests/burst")
	b.ReportMetric(float64(maxSecrets), "secret-reads/burst")
	b.ReportMetric(bench.Milliseconds(bench.Percentile(bursts, 50)), "burst-p50-ms")
}

// newStubHandler returns a warm handler whose secret is in memory and whose
// OFS client sends to bench.StubOFS, so that nothing leaves the process.
// The HTTP client has no Timeout. The default OFS client's 30 s Timeout
// costs nothing in the handler, whose context always ends sooner, but with
// a transport other than *http.Transport net/http would start a timer
// goroutine for it on every request.
func newStubHandler(tb testing.TB) (*handler, *bench.StubOFS) {
	tb.Helper()
	identity, err := localstack.NewIdentity(localstack.DefaultUser)
	if err != nil {
		tb.Fatalf("NewIdentity: %v", err)
	}
	secret := identity.SecretJSON(localstack.DefaultInstance, localstack.DefaultClientID, "s3cr3t-client")
	s := settings{SecretID: "ofs/bench", DefaultRecipients: []string{localstack.DefaultRecipients},
		SecretTTL: awssecret.DefaultTTL, WebhookAuth: webhookAuthHMAC}
	cache := awssecret.New(bench.StaticSecret{Value: secret}, s.SecretID, s.SecretTTL, nil)
	h := newHandler(s, cache, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	stub := &bench.StubOFS{}
	h.ofsConfig.HTTPClient = &http.Client{Transport: stub}
	result, err := h.Invoke(context.Background(), benchPayload)
	if err != nil || !strings.Contains(string(result), `"chatId":48213`) {
		tb.Fatalf("warm-up Invoke = %s, %v; want the stub's chat", result, err)
	}
	return h, stub
}

// lambdaContext returns a context like the one aws-lambda-go passes to the
// handler: a request ID and the function's 30 s deadline.
func lambdaContext() (context.Context, context.CancelFunc) {
	ctx := lambdacontext.NewContext(context.Background(),
		&lambdacontext.LambdaContext{AwsRequestID: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"})
	return context.WithTimeout(ctx, 30*time.Second)
}

// BenchmarkHandlerDirect measures the CPU time and allocations of a warm
// direct invoke, with OFS responding in no time.
func BenchmarkHandlerDirect(b *testing.B) {
	h, _ := newStubHandler(b)
	ctx, cancel := lambdaContext()
	defer cancel()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.Invoke(ctx, benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}
