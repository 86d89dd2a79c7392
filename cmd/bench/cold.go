package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// helloPackage is the smallest aws-lambda-go function, built and run as the
// startchat bootstrap is for comparison.
const helloPackage = "./internal/bench/hello"

// coldPayload is the direct invoke of every cold start.
var coldPayload = []byte(`{"text":"Truck 12 needs a tow at gate 3","recipients":["tech17"]}`)

// coldSample is one cold start under RIE.
type coldSample struct {
	took       time.Duration // from sending the invoke to reading its response
	injected   time.Duration // delay that the proxies added meanwhile
	roundTrips int           // Secrets Manager and OFS requests made
}

// measureCold builds both bootstraps for this machine and, in turns, starts
// each under RIE and times its first invoke. After each startchat cold
// start it also sends an SQS batch of 10 and reads the bootstrap's peak
// RSS. It derives P5 and P8.
func measureCold(ctx context.Context, opts options) ([]figure, error) {
	runs := opts.colds
	dir, err := os.MkdirTemp("", "ofs-startchat-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	startchat, hello := filepath.Join(dir, "startchat", "bootstrap"), filepath.Join(dir, "hello", "bootstrap")
	for pkg, out := range map[string]string{startchatPackage: startchat, helloPackage: hello} {
		if _, err := bench.BuildLambda(ctx, opts.root, pkg, out, runtime.GOARCH); err != nil {
			return nil, err
		}
	}
	riePath, err := localstack.FindRIE(opts.root)
	if err != nil {
		return nil, err
	}
	env, err := bench.StartEnv(opts.delay)
	if err != nil {
		return nil, err
	}
	defer env.Stop()

	var ours, base []coldSample
	var peakRSS int64
	for range runs {
		sample, rss, err := coldStart(ctx, env, riePath, startchat, true)
		if err != nil {
			return nil, err
		}
		ours, peakRSS = append(ours, sample), max(peakRSS, rss)
		if sample, _, err = coldStart(ctx, env, riePath, hello, false); err != nil {
			return nil, err
		}
		base = append(base, sample)
	}
	return []figure{coldFigure(ours, base), rssFigure(peakRSS, runs)}, nil
}

// coldStart starts RIE with bootstrap and times the first invoke. With
// batch set, it then sends an SQS batch of 10 and returns the peak RSS of
// the bootstrap process.
func coldStart(ctx context.Context, env *bench.Env, riePath, bootstrap string, batch bool) (coldSample, int64, error) {
	rie, err := localstack.StartRIE(ctx, localstack.RIEConfig{Bootstrap: bootstrap, Env: env.FunctionEnv(),
		RIEPath: riePath})
	if err != nil {
		return coldSample{}, 0, err
	}
	defer rie.Stop()

	trips := roundTrips(env)
	injected := env.Secrets.Injected() + env.OFS.Injected()
	began := time.Now()
	status, body, err := rie.Invoke(ctx, coldPayload)
	sample := coldSample{took: time.Since(began)}
	if err := checkInvoke(status, body, err, rie); err != nil {
		return coldSample{}, 0, err
	}
	sample.injected = env.Secrets.Injected() + env.OFS.Injected() - injected
	sample.roundTrips = roundTrips(env) - trips
	if !batch {
		return sample, 0, nil
	}

	status, body, err = rie.Invoke(ctx, sqsBatch(10))
	if err := checkInvoke(status, body, err, rie); err != nil {
		return coldSample{}, 0, err
	}
	if !strings.Contains(string(body), `"batchItemFailures":[]`) {
		return coldSample{}, 0, fmt.Errorf("the SQS batch failed in part: %s", body)
	}

	pids, err := bench.ProcessesOf(bootstrap)
	if err != nil || len(pids) != 1 {
		return coldSample{}, 0, fmt.Errorf("want one running %s, found processes %v (%v)", bootstrap, pids, err)
	}
	rss, err := bench.PeakRSS(pids[0])
	return sample, rss, err
}

// checkInvoke returns an error for a failed invoke, with RIE's output.
func checkInvoke(status int, body []byte, err error, rie *localstack.RIE) error {
	if err == nil && status != 200 {
		err = fmt.Errorf("RIE returned status %d: %s", status, body)
	}
	if fnErr, ok := localstack.ParseFunctionError(body); err == nil && ok {
		err = fnErr
	}
	if err != nil {
		return fmt.Errorf("invoke failed: %w\nRIE and bootstrap output:\n%s", err, rie.Output())
	}
	return nil
}

// roundTrips returns the Secrets Manager and OFS requests made so far.
func roundTrips(env *bench.Env) int {
	return env.SecretFetches() + env.Emulator.TokenRequests() + len(env.Emulator.Chats())
}

// sqsBatch returns an SQS event of n chat requests.
func sqsBatch(n int) []byte {
	var event events.SQSEvent
	for i := range n {
		event.Records = append(event.Records, events.SQSMessage{MessageId: "bench-" + strconv.Itoa(i),
			Body: string(coldPayload), EventSource: "aws:sqs",
			EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:chats"})
	}
	data, _ := json.Marshal(event) // an SQSEvent of strings always encodes
	return data
}

// medianOf returns the median of f over samples.
func medianOf(samples []coldSample, f func(coldSample) time.Duration) time.Duration {
	values := make([]time.Duration, len(samples))
	for i, s := range samples {
		values[i] = f(s)
	}
	return bench.Percentile(values, 50)
}

func coldFigure(ours, base []coldSample) figure {
	total := medianOf(ours, func(s coldSample) time.Duration { return s.took })
	injected := medianOf(ours, func(s coldSample) time.Duration { return s.injected })
	own := medianOf(ours, func(s coldSample) time.Duration { return s.took - s.injected })
	hello := medianOf(base, func(s coldSample) time.Duration { return s.took })
	trips := 0
	for _, s := range ours {
		trips = max(trips, s.roundTrips)
	}
	share := float64(own) / float64(hello)
	return figure{
		ID:   "P5",
		Name: "cold invoke under RIE: round trips; time to first response less injected delay ÷ hello-world",
		Measured: fmt.Sprintf("%d; %s (%s ÷ %s; %s with %s injected; median of %d)", trips,
			ratio(share), ms(bench.Milliseconds(own)), ms(bench.Milliseconds(hello)),
			ms(bench.Milliseconds(total)), ms(bench.Milliseconds(injected)), len(ours)),
		Goal: "3; ≤ 1.2",
		Met:  trips == 3 && share <= 1.2,
	}
}

func rssFigure(peak int64, runs int) figure {
	return figure{
		ID:       "P8",
		Name:     "peak RSS of the bootstrap after a cold start and an SQS batch of 10",
		Measured: fmt.Sprintf("%s (VmHWM, most of %d runs, linux/%s)", mib(peak), runs, runtime.GOARCH),
		Goal:     "≤ 40 MB",
		Met:      peak <= 40e6,
	}
}
