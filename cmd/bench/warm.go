package main

import (
	"context"
	"fmt"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
)

// startchatPackage is the function's package, whose benchmarks measure the
// warm figures in process.
const startchatPackage = "./functions/startchat"

// Budgets of BenchmarkHandlerDirect, 20 % under its first figures, 87
// allocs/op and a median of 14.0 µs/op (docs/benchmarks.md, P6).
// TestHandlerDirectAllocs enforces the allocation budget in make test too.
const (
	allocsBudget = 69
	nsBudget     = 11200
)

// warmIterations returns the -benchtime of each network benchmark.
func warmIterations(smoke bool) map[string]string {
	if smoke {
		return map[string]string{"WarmDirect": "3x", "SQSBatch10": "3x", "ColdBurst100": "2x"}
	}
	return map[string]string{"WarmDirect": "200x", "SQSBatch10": "100x", "ColdBurst100": "10x"}
}

// measureWarm runs the startchat benchmarks and derives P1 to P4 and P6.
func measureWarm(ctx context.Context, opts options) ([]figure, error) {
	results := map[string][]bench.Result{}
	for _, name := range []string{"WarmDirect", "SQSBatch10", "ColdBurst100"} {
		ran, err := bench.GoTest(ctx, opts.root, "-short", "-run", "^$", "-bench", "^Benchmark"+name+"$",
			"-benchtime", warmIterations(opts.smoke)[name], "-count", "1", startchatPackage,
			"-args", "-bench.delay="+opts.delay.String())
		if err != nil {
			return nil, err
		}
		results["Benchmark"+name] = ran["Benchmark"+name]
	}
	// -short skips moto, which BenchmarkHandlerDirect does not need, and the
	// allocation test runs here without the race detector of make test.
	benchtime, count := "1s", "5"
	if opts.smoke {
		benchtime, count = "100x", "1"
	}
	ran, err := bench.GoTest(ctx, opts.root, "-short", "-run", "^TestHandlerDirectAllocs$",
		"-bench", "^BenchmarkHandlerDirect$", "-benchmem", "-benchtime", benchtime, "-count", count,
		startchatPackage)
	if err != nil {
		return nil, err
	}
	results["BenchmarkHandlerDirect"] = ran["BenchmarkHandlerDirect"]

	var figures []figure
	for _, derive := range []func(map[string][]bench.Result) (figure, error){
		warmDirectFigure, naiveFigure, batchFigure, burstFigure, handlerFigure,
	} {
		f, err := derive(results)
		if err != nil {
			return nil, err
		}
		figures = append(figures, f)
	}
	return figures, nil
}

// values returns the medians of the named benchmark's units, in order.
func values(results map[string][]bench.Result, name string, units ...string) ([]float64, error) {
	out := make([]float64, len(units))
	for i, unit := range units {
		value, err := bench.Median(results, name, unit)
		if err != nil {
			return nil, err
		}
		out[i] = value
	}
	return out, nil
}

func warmDirectFigure(results map[string][]bench.Result) (figure, error) {
	v, err := values(results, "BenchmarkWarmDirect", "warm-p50-ms", "warm-p99-ms", "rt-p50-ms", "warm-trips/op",
		"rt-p99-ms")
	if err != nil {
		return figure{}, err
	}
	// The bare round trip's own p99 shows how much of the invoke's p99 is
	// the machine's load rather than the function.
	p50, p99 := v[0]/v[2], v[1]/v[2]
	return figure{
		ID:   "P1",
		Name: "warm direct invoke, p50 and p99 ÷ one round trip",
		Measured: fmt.Sprintf("%s and %s (%s and %s ÷ %s; %.2f round trips per invoke; "+
			"the bare round trip's p99: %s)", ratio(p50), ratio(p99), ms(v[0]), ms(v[1]), ms(v[2]), v[3],
			ms(v[4])),
		Goal: "≤ 1.05 and ≤ 1.2",
		Met:  p50 <= 1.05 && p99 <= 1.2,
	}, nil
}

func naiveFigure(results map[string][]bench.Result) (figure, error) {
	v, err := values(results, "BenchmarkWarmDirect", "naive-p50-ms", "warm-p50-ms")
	if err != nil {
		return figure{}, err
	}
	speedup := v[0] / v[1]
	return figure{
		ID:       "P2",
		Name:     "naive flow ÷ ours, warm p50",
		Measured: fmt.Sprintf("%s (%s ÷ %s)", ratio(speedup), ms(v[0]), ms(v[1])),
		Goal:     "≥ 2.8×",
		Met:      speedup >= 2.8,
	}, nil
}

func batchFigure(results map[string][]bench.Result) (figure, error) {
	v, err := values(results, "BenchmarkSQSBatch10", "batch-p50-ms", "rt-p50-ms", "conns/batch")
	if err != nil {
		return figure{}, err
	}
	wall := v[0] / v[1]
	return figure{
		ID:   "P3",
		Name: "SQS batch of 10, p50 wall time ÷ one round trip",
		Measured: fmt.Sprintf("%s (%s ÷ %s; %.1f new connections per batch)",
			ratio(wall), ms(v[0]), ms(v[1]), v[2]),
		Goal: "≤ 1.5",
		Met:  wall <= 1.5,
	}, nil
}

func burstFigure(results map[string][]bench.Result) (figure, error) {
	v, err := values(results, "BenchmarkColdBurst100", "token-requests/burst", "secret-reads/burst", "burst-p50-ms")
	if err != nil {
		return figure{}, err
	}
	return figure{
		ID:   "P4",
		Name: "100 concurrent sends on a cold token cache: token requests",
		Measured: fmt.Sprintf("%.0f (most in one of %d bursts; %.0f secret read; burst p50 %s)",
			v[0], results["BenchmarkColdBurst100"][0].Iterations, v[1], ms(v[2])),
		Goal: "1",
		Met:  v[0] == 1,
	}, nil
}

func handlerFigure(results map[string][]bench.Result) (figure, error) {
	v, err := values(results, "BenchmarkHandlerDirect", "ns/op", "allocs/op", "B/op")
	if err != nil {
		return figure{}, err
	}
	runs := results["BenchmarkHandlerDirect"]
	fastest, slowest := v[0], v[0]
	for _, run := range runs {
		fastest, slowest = min(fastest, run.Values["ns/op"]), max(slowest, run.Values["ns/op"])
	}
	return figure{
		ID:   "P6",
		Name: "`go test -bench` of a warm direct invoke, no network",
		Measured: fmt.Sprintf("%.1f µs/op (median of %d runs, %.1f to %.1f), %.0f allocs/op, %.0f B/op",
			v[0]/1000, len(runs), fastest/1000, slowest/1000, v[1], v[2]),
		Goal: fmt.Sprintf("budget ≤ %.1f µs/op, ≤ %d allocs/op", float64(nsBudget)/1000, allocsBudget),
		Met:  v[0] <= nsBudget && v[1] <= allocsBudget,
	}, nil
}
