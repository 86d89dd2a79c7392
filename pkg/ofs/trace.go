package ofs

import (
	"context"
	"sync/atomic"
)

// Trace collects what the client did for one context, for a caller's logs
// and metrics: how many chat requests it sent, how many token exchanges it
// made and the last HTTP status of the chat API. Attach one with WithTrace;
// it is safe for concurrent use.
type Trace struct {
	ChatAttempts  atomic.Int32 // chat requests sent, retries included
	TokenRequests atomic.Int32 // token exchanges made on this context's behalf
	ChatStatus    atomic.Int32 // the chat API's last HTTP status; 0 when it never responded
}

type traceKey struct{}

// WithTrace returns ctx carrying trace. A token exchange shared by
// concurrent callers is counted on the trace of the caller that made it.
func WithTrace(ctx context.Context, trace *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, trace)
}

// traceFrom returns ctx's trace, or a throwaway one when it has none.
func traceFrom(ctx context.Context) *Trace {
	if trace, ok := ctx.Value(traceKey{}).(*Trace); ok {
		return trace
	}
	return &Trace{}
}
