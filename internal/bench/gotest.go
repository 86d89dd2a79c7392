package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// Result is one benchmark's line of `go test -bench` output: the
// iteration count and every value by its unit, such as "ns/op",
// "allocs/op" or a unit that b.ReportMetric named.
type Result struct {
	Name       string // without the -GOMAXPROCS suffix
	Iterations int64
	Values     map[string]float64
}

// GoTest runs `go test args...` in dir and returns the benchmark results
// it printed, by name, one per -count. A failing run returns its output in
// the error.
func GoTest(ctx context.Context, dir string, args ...string) (map[string][]Result, error) {
	cmd := exec.CommandContext(ctx, "go", append([]string{"test"}, args...)...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	output, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("bench: go test %s failed: %w\n%s", strings.Join(args, " "), err, output)
	}
	return ParseBenchmarks(output)
}

// ParseBenchmarks reads the result lines of `go test -bench` output, in
// order, and skips every other line.
func ParseBenchmarks(output []byte) (map[string][]Result, error) {
	results := map[string][]Result{}
	scanner := bufio.NewScanner(bytes.NewReader(output))
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 4 || !strings.HasPrefix(fields[0], "Benchmark") || len(fields)%2 != 0 {
			continue
		}
		iterations, err := strconv.ParseInt(fields[1], 10, 64)
		if err != nil {
			continue // a line such as "BenchmarkX ... SKIP" or a log line
		}
		name := fields[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		result := Result{Name: name, Iterations: iterations, Values: map[string]float64{}}
		for i := 2; i+1 < len(fields); i += 2 {
			value, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				return nil, fmt.Errorf("bench: value %q of %s is not a number", fields[i], name)
			}
			result.Values[fields[i+1]] = value
		}
		results[name] = append(results[name], result)
	}
	return results, scanner.Err()
}

// Median returns the median over the runs of the named benchmark of the
// value of unit (the lower middle value for an even count), or an error
// naming both when a run did not report it.
func Median(results map[string][]Result, name, unit string) (float64, error) {
	runs := results[name]
	if len(runs) == 0 {
		return 0, fmt.Errorf("bench: go test printed no result for %s", name)
	}
	values := make([]float64, 0, len(runs))
	for _, run := range runs {
		value, ok := run.Values[unit]
		if !ok {
			return 0, fmt.Errorf("bench: %s reported no %s", name, unit)
		}
		values = append(values, value)
	}
	slices.Sort(values)
	return values[(len(values)-1)/2], nil
}
