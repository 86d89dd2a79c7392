package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ofs-startchat/ofs-startchat/internal/bench"
	"github.com/ofs-startchat/ofs-startchat/pkg/ofs"
)

// productionArch is the Architectures value of template.yaml.
const productionArch = "arm64"

// measureOffline derives the figures that need no network: P7, the size of
// both bootstraps built for production, and P9, the time to sign an
// assertion with each key size.
func measureOffline(ctx context.Context, opts options) ([]figure, error) {
	dir, err := os.MkdirTemp("", "ofs-startchat-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ours, err := bench.BuildLambda(ctx, opts.root, startchatPackage, filepath.Join(dir, "startchat"), productionArch)
	if err != nil {
		return nil, err
	}
	hello, err := bench.BuildLambda(ctx, opts.root, helloPackage, filepath.Join(dir, "hello"), productionArch)
	if err != nil {
		return nil, err
	}
	share := float64(ours) / float64(hello)
	size := figure{
		ID:       "P7",
		Name:     "bootstrap size, linux/arm64 stripped, ÷ hello-world",
		Measured: fmt.Sprintf("%s (%s ÷ %s)", ratio(share), mib(ours), mib(hello)),
		Goal:     "≤ 1.3",
		Met:      share <= 1.3,
	}

	signs := 200
	if opts.smoke {
		signs = 5
	}
	var medians []time.Duration
	for _, bits := range []int{2048, 4096} {
		median, err := mintTime(bits, signs)
		if err != nil {
			return nil, err
		}
		medians = append(medians, median)
	}
	mint := figure{
		ID:   "P9",
		Name: "assertion mint time, 2048-bit vs 4096-bit key",
		Measured: fmt.Sprintf("%s vs %s, %s (median of %d)", ms(bench.Milliseconds(medians[0])),
			ms(bench.Milliseconds(medians[1])), ratio(float64(medians[1])/float64(medians[0])), signs),
	}
	return []figure{size, mint}, nil
}

// mintTime generates a key of bits and returns the median time of n calls
// of ofs.MintAssertion with it.
func mintTime(bits, n int) (time.Duration, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return 0, fmt.Errorf("generating a %d-bit key failed: %w", bits, err)
	}
	creds := &ofs.Credentials{Instance: "acme.test", ClientID: "startchat", User: "dispatcher1", PrivateKey: key}
	times := make([]time.Duration, n)
	for i := range times {
		began := time.Now()
		if _, err := ofs.MintAssertion(creds, ofs.DefaultIssuer, began); err != nil {
			return 0, err
		}
		times[i] = time.Since(began)
	}
	return bench.Percentile(times, 50), nil
}
