// Command bench measures the startchat function's warm and cold cost
// against the round-trip limit and prints the results table. `make bench`
// runs it from the repository root and it then also rewrites the generated
// part of docs/benchmarks.md, which describes how each figure is measured.
//
// Every server it starts listens on 127.0.0.1, and each request to Secrets
// Manager (moto) or OFS (the emulator) goes through a proxy that adds the
// -delay round trip. With -smoke it runs a few iterations of everything,
// checks no goal and writes no report, for CI.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
	"github.com/ofs-startchat/ofs-startchat/internal/localstack"
)

// options are the command-line settings of one run.
type options struct {
	delay  time.Duration
	smoke  bool
	colds  int // cold starts of each bootstrap
	report string
	root   string // the repository root, found from the working directory
}

func main() {
	var opts options
	flag.DurationVar(&opts.delay, "delay", 20*time.Millisecond,
		"round-trip delay added to every Secrets Manager and OFS request, and to each new connection")
	flag.BoolVar(&opts.smoke, "smoke", false,
		"run a few iterations of each figure, check no goal and write no report")
	flag.IntVar(&opts.colds, "colds", 11, "cold starts of each bootstrap under RIE for P5 and P8; -smoke makes it 1")
	flag.StringVar(&opts.report, "report", "docs/benchmarks.md",
		"file whose generated results section is rewritten, relative to the repository root")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, opts); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts options) error {
	if opts.smoke {
		opts.colds = 1
	}
	if opts.colds < 1 {
		return fmt.Errorf("-colds %d is invalid; give 1 or more", opts.colds)
	}
	if opts.delay <= 0 {
		return fmt.Errorf("-delay %v is invalid; the figures are ratios to a round trip, so give a "+
			"positive duration such as 20ms", opts.delay)
	}
	root, err := localstack.RepoRoot()
	if err != nil {
		return err
	}
	opts.root = root
	command := "go run ./cmd/bench " + strings.Join(os.Args[1:], " ")
	machine := bench.DescribeMachine()
	fmt.Printf("Measuring with a %v round trip on %d CPUs (%s), %s.\n", opts.delay, machine.CPUs,
		machine.CPUModel, machine.GoVersion)

	var figures []figure
	for _, group := range []struct {
		name    string
		measure func(context.Context, options) ([]figure, error)
	}{
		{"warm invokes (P1-P4, P6)", measureWarm},
		{"cold starts under RIE (P5, P8)", measureCold},
		{"bootstrap size and assertion signing (P7, P9)", measureOffline},
	} {
		fmt.Printf("Measuring %s...\n", group.name)
		began := time.Now()
		measured, err := group.measure(ctx, opts)
		if err != nil {
			return fmt.Errorf("measuring %s: %w", group.name, err)
		}
		fmt.Printf("  done in %.1f s\n", time.Since(began).Seconds())
		figures = append(figures, measured...)
	}
	sortFigures(figures)

	fmt.Println()
	writeTable(os.Stdout, figures, !opts.smoke)
	if opts.smoke {
		fmt.Println("\nSmoke run: goals not checked, report not written.")
		return nil
	}
	path := opts.report
	if !strings.HasPrefix(path, "/") {
		path = root + "/" + path
	}
	if err := writeReport(path, results(figures, machine, strings.TrimSpace(command))); err != nil {
		return err
	}
	fmt.Printf("\nWrote the results to %s.\n", path)
	if ids := missed(figures); len(ids) > 0 {
		fmt.Printf("Goals missed: %s; docs/benchmarks.md explains each.\n", strings.Join(ids, ", "))
	}
	return nil
}

// sortFigures orders figures by ID, P1 first.
func sortFigures(figures []figure) {
	slices.SortFunc(figures, func(a, b figure) int { return strings.Compare(a.ID, b.ID) })
}
