package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/ofs-startchat/ofs-startchat/pkg/webhook"
)

// Observability settings, read from the environment.
const (
	envLogLevel          = "LOG_LEVEL"
	envMetricsNamespace  = "OFS_METRICS_NAMESPACE"
	envMetricsDimensions = "OFS_METRICS_DIMENSIONS"

	defaultMetricsNamespace = "OFSStartChat"
)

// metricDimensions are the dimension names OFS_METRICS_DIMENSIONS may list;
// the default is FunctionName, and "none" sends the metrics without one.
var metricDimensions = []string{"FunctionName", "Trigger"}

// newLogger returns the function's logger. It writes JSON, or text when
// Lambda's log format is TEXT, with Lambda's key names (timestamp,
// message). The level is LOG_LEVEL, else Lambda's AWS_LAMBDA_LOG_LEVEL,
// else INFO.
func newLogger(getenv func(string) string, w io.Writer) (*slog.Logger, error) {
	level := slog.LevelInfo
	for _, name := range []string{envLogLevel, "AWS_LAMBDA_LOG_LEVEL"} {
		value := strings.ToUpper(strings.TrimSpace(getenv(name)))
		switch value {
		case "":
			continue
		case "TRACE": // Lambda's levels; slog has none finer than DEBUG or coarser than ERROR
			value = "DEBUG"
		case "FATAL":
			value = "ERROR"
		}
		if err := level.UnmarshalText([]byte(value)); err != nil {
			options := &slog.HandlerOptions{ReplaceAttr: lambdacontext.ReplaceAttr}
			return slog.New(slog.NewJSONHandler(w, options)), &ConfigError{Reason: fmt.Sprintf(
				"%s=%q is not a log level; use TRACE, DEBUG, INFO, WARN, ERROR or FATAL", name, getenv(name))}
		}
		break
	}
	options := &slog.HandlerOptions{Level: level, ReplaceAttr: lambdacontext.ReplaceAttr}
	if strings.EqualFold(getenv("AWS_LAMBDA_LOG_FORMAT"), "TEXT") {
		return slog.New(invocationHandler{slog.NewTextHandler(w, options)}), nil
	}
	return slog.New(invocationHandler{slog.NewJSONHandler(w, options)}), nil
}

// invocationHandler adds the invocation's requestId and trigger, from the
// context, to every record logged with one.
type invocationHandler struct {
	slog.Handler
}

func (h invocationHandler) Handle(ctx context.Context, r slog.Record) error {
	if inv := invocationFrom(ctx); inv != nil {
		if inv.requestID != "" {
			r.AddAttrs(slog.String("requestId", inv.requestID))
		}
		if inv.trigger != "" {
			r.AddAttrs(slog.String("trigger", string(inv.trigger)))
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h invocationHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return invocationHandler{h.Handler.WithAttrs(attrs)}
}

func (h invocationHandler) WithGroup(name string) slog.Handler {
	return invocationHandler{h.Handler.WithGroup(name)}
}

// metricsConfig is the destination and format of the invocation metrics.
type metricsConfig struct {
	out          io.Writer // nil turns metrics off
	namespace    string
	dimensions   []string
	functionName string
}

// loadMetricsConfig reads the namespace and dimension names.
func loadMetricsConfig(getenv func(string) string, out io.Writer) (metricsConfig, error) {
	m := metricsConfig{out: out, namespace: strings.TrimSpace(getenv(envMetricsNamespace)),
		functionName: getenv("AWS_LAMBDA_FUNCTION_NAME"), dimensions: []string{"FunctionName"}}
	if m.namespace == "" {
		m.namespace = defaultMetricsNamespace
	}
	switch raw := strings.TrimSpace(getenv(envMetricsDimensions)); raw {
	case "":
	case "none":
		m.dimensions = nil
	default:
		m.dimensions = splitLogins(raw)
		for _, name := range m.dimensions {
			if !contains(metricDimensions, name) {
				return m, &ConfigError{Reason: fmt.Sprintf("%s lists %q; use a comma-separated "+
					"list of %s, or none", envMetricsDimensions, name, strings.Join(metricDimensions, ", "))}
			}
		}
	}
	return m, nil
}

func contains(list []string, value string) bool {
	for _, item := range list {
		if item == value {
			return true
		}
	}
	return false
}

// invocation is the state of one invocation: its request ID, trigger and
// deadlines, for the logs and the idempotency key, and the counts of what
// it did, for its metrics document. It travels in the context as one value.
type invocation struct {
	trigger        trigger
	coldStart      bool
	requestID      string    // Lambda's request ID, empty outside Lambda
	lambdaDeadline time.Time // Lambda's deadline, later than the context's by the margin
	httpKey        string    // the HTTP request's Idempotency-Key header, if any

	mu            sync.Mutex
	started       int
	duplicates    int
	failedByClass map[string]int
	latenciesMs   []float64
	latencyBuf    [4]float64 // backs latenciesMs for small invocations
	tokenRequests int
}

type invocationKey struct{}

func withInvocation(ctx context.Context, inv *invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// invocationFrom returns ctx's invocation, or nil outside Invoke.
func invocationFrom(ctx context.Context) *invocation {
	inv, _ := ctx.Value(invocationKey{}).(*invocation)
	return inv
}

// record adds one chat outcome: class is empty for a started chat.
func (inv *invocation) record(class string, duplicate bool, latency time.Duration, tokenRequests int) {
	if inv == nil {
		return
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	inv.tokenRequests += tokenRequests
	switch {
	case duplicate:
		inv.duplicates++
	case class == "":
		inv.started++
		if inv.latenciesMs == nil {
			inv.latenciesMs = inv.latencyBuf[:0]
		}
		inv.latenciesMs = append(inv.latenciesMs, float64(latency.Microseconds())/1000)
	default:
		if inv.failedByClass == nil {
			inv.failedByClass = map[string]int{}
		}
		inv.failedByClass[class]++
	}
}

// emitMetrics writes the invocation's CloudWatch embedded metric format
// document: one JSON line that CloudWatch Logs turns into metrics.
func (m metricsConfig) emit(inv *invocation, secretFetches int, now time.Time) error {
	if m.out == nil || inv == nil {
		return nil
	}
	inv.mu.Lock()
	defer inv.mu.Unlock()
	doc := map[string]any{}
	var metrics []map[string]string
	add := func(name, unit string, value any) {
		metrics = append(metrics, map[string]string{"Name": name, "Unit": unit})
		doc[name] = value
	}
	failed := 0
	for _, n := range inv.failedByClass {
		failed += n
	}
	add("ChatsStarted", "Count", inv.started)
	add("ChatsFailed", "Count", failed)
	for class, n := range inv.failedByClass {
		add("ChatsFailed_"+class, "Count", n)
	}
	add("DuplicatesSkipped", "Count", inv.duplicates)
	add("TokenRequests", "Count", inv.tokenRequests)
	add("SecretFetches", "Count", secretFetches)
	add("ColdStart", "Count", boolCount(inv.coldStart))
	if len(inv.latenciesMs) > 0 {
		add("OFSLatency", "Milliseconds", inv.latenciesMs)
	}
	values := map[string]string{"FunctionName": m.functionName, "Trigger": string(inv.trigger)}
	dimensions := make([]string, 0, len(m.dimensions))
	for _, name := range m.dimensions {
		if values[name] != "" {
			doc[name] = values[name]
			dimensions = append(dimensions, name)
		}
	}
	doc["_aws"] = map[string]any{
		"Timestamp": now.UnixMilli(),
		"CloudWatchMetrics": []map[string]any{{
			"Namespace": m.namespace, "Dimensions": [][]string{dimensions}, "Metrics": metrics}},
	}
	line, err := json.Marshal(doc)
	if err != nil {
		return fmt.Errorf("encoding the metrics failed: %w", err)
	}
	_, err = m.out.Write(append(line, '\n'))
	return err
}

func boolCount(b bool) int {
	if b {
		return 1
	}
	return 0
}

// repeatLimiter lets a log line with the same key through at most once per
// interval and counts the lines it held back, so that a flood of identical
// rejections (an attacker's unsigned requests, say) costs one line per
// interval.
type repeatLimiter struct {
	interval time.Duration
	mu       sync.Mutex
	seen     map[string]*repeatState
}

type repeatState struct {
	lastLogged time.Time
	suppressed int
}

// repeatInterval is how often a repeated log line gets through.
const repeatInterval = time.Minute

// maxRepeatKeys bounds the limiter's memory; past it, the state starts over.
const maxRepeatKeys = 1000

// allow reports whether a line with key may be logged now, and how many
// lines with that key were held back since the last one.
func (l *repeatLimiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.seen == nil || len(l.seen) > maxRepeatKeys {
		l.seen = map[string]*repeatState{}
	}
	state, ok := l.seen[key]
	if !ok {
		l.seen[key] = &repeatState{lastLogged: now}
		return true, 0
	}
	if now.Sub(state.lastLogged) < l.interval {
		state.suppressed++
		return false, 0
	}
	suppressed := state.suppressed
	state.lastLogged, state.suppressed = now, 0
	return true, suppressed
}

// logRepeated logs msg with err unless the same message and kind of error
// were logged within the limiter's interval. A line that follows held-back
// ones carries their count as "repeated".
func (h *handler) logRepeated(ctx context.Context, log *slog.Logger, level slog.Level, msg string,
	err error, attrs ...slog.Attr) {
	ok, suppressed := h.repeats.allow(msg+"\x00"+errorKind(err), time.Now())
	if !ok {
		return
	}
	attrs = append(attrs, slog.String("error", err.Error()))
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("repeated", suppressed))
	}
	log.LogAttrs(ctx, level, msg, attrs...)
}

// rejectEvent logs an event, message or request that carries no valid chat
// request, and counts it in the invocation's metrics as a failed chat.
func (h *handler) rejectEvent(ctx context.Context, log *slog.Logger, msg, source string, err error) {
	_, code, _ := classify(err)
	invocationFrom(ctx).record(code, false, 0, 0)
	log.LogAttrs(ctx, slog.LevelError, msg, slog.String("source", source), slog.String("class", code),
		slog.String("error", err.Error()))
}

// errorKind groups errors for the repeat limiter: a webhook rejection by
// its sentinel, since its text varies with the request's timestamp, and
// any other error by its text.
func errorKind(err error) string {
	for _, kind := range []error{webhook.ErrUnsigned, webhook.ErrStale, webhook.ErrForged,
		webhook.ErrReplayed, webhook.ErrFlooded} {
		if errors.Is(err, kind) {
			return kind.Error()
		}
	}
	return err.Error()
}
