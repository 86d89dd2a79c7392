//go:build !race

package main

import "testing"

// maxHandlerDirectAllocs is the most allocations a warm direct invoke may
// make: 20 % under the 87 allocs/op that BenchmarkHandlerDirect first
// measured (docs/benchmarks.md, P6). The race detector changes allocation
// counts, so this file builds only without it, and make test runs it in a
// plain pass.
const maxHandlerDirectAllocs = 69

func TestHandlerDirectAllocs(t *testing.T) {
	h, stub := newStubHandler(t)
	ctx, cancel := lambdaContext()
	defer cancel()
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := h.Invoke(ctx, benchPayload); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > maxHandlerDirectAllocs {
		t.Errorf("a warm direct invoke made %.1f allocations, want at most %d; profile it with "+
			"go test -run '^$' -bench HandlerDirect -benchmem -memprofile mem.out", allocs, maxHandlerDirectAllocs)
	}
	if tokens := stub.Tokens(); tokens != 1 {
		t.Errorf("token requests = %d, want 1 for all invokes", tokens)
	}
}
