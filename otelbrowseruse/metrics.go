package otelbrowseruse

import (
	"context"
	"net/url"
	"runtime"
	"slices"
	"time"
	"weak"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"

	"github.com/browser-use/browseruse-go"
)

// instruments are the metrics of every client given one WithTelemetry.
type instruments struct {
	meter           metric.Meter
	requestDuration metric.Float64Histogram // http.client.request.duration
	callDuration    metric.Float64Histogram
	refusals        metric.Int64Counter
	retries         metric.Int64Counter
	gateLimit       metric.Int64ObservableGauge
	gateInFlight    metric.Int64ObservableGauge
	gateWaiting     metric.Int64ObservableGauge
	budget          metric.Int64ObservableGauge
}

// requestBuckets are the HTTP conventions' advice for
// http.client.request.duration; a call's waits for a slot can last minutes,
// so its histogram goes on to ten minutes.
var (
	requestBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
	callBuckets    = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30, 60, 120, 300, 600}
)

// newInstruments creates the instruments. An instrument the provider
// refuses is reported to OpenTelemetry's error handler and replaced by a
// no-op one, as otelhttp does: telemetry must not stop the client.
func newInstruments(mp metric.MeterProvider) instruments {
	m := mp.Meter(ScopeName, metric.WithInstrumentationVersion(version()))
	nm := noop.Meter{}
	var in instruments
	in.meter = m
	var err error
	handle := func(e error) {
		if e != nil {
			otel.Handle(e)
		}
	}
	if in.requestDuration, err = m.Float64Histogram("http.client.request.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of HTTP client requests: one per attempt."),
		metric.WithExplicitBucketBoundaries(requestBuckets...)); err != nil {
		handle(err)
		in.requestDuration, _ = nm.Float64Histogram("")
	}
	if in.callDuration, err = m.Float64Histogram("browseruse.call.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of browseruse calls, from start to end: every attempt and wait included."),
		metric.WithExplicitBucketBoundaries(callBuckets...)); err != nil {
		handle(err)
		in.callDuration, _ = nm.Float64Histogram("")
	}
	if in.refusals, err = m.Int64Counter("browseruse.refusals", metric.WithUnit("{refusal}"),
		metric.WithDescription("Attempts the API refused for the account's concurrency limit (429).")); err != nil {
		handle(err)
		in.refusals, _ = nm.Int64Counter("")
	}
	if in.retries, err = m.Int64Counter("browseruse.retries", metric.WithUnit("{retry}"),
		metric.WithDescription("Failed attempts the client sent again, by reason.")); err != nil {
		handle(err)
		in.retries, _ = nm.Int64Counter("")
	}
	gauge := func(name, unit, desc string) metric.Int64ObservableGauge {
		g, err := m.Int64ObservableGauge(name, metric.WithUnit(unit), metric.WithDescription(desc))
		if err != nil {
			handle(err)
			g, _ = nm.Int64ObservableGauge("")
		}
		return g
	}
	in.gateLimit = gauge("browseruse.gate.limit", "{call}", "Calls that start a session the client lets run at once, as it has learned.")
	in.gateInFlight = gauge("browseruse.gate.in_flight", "{call}", "Calls that start a session in flight.")
	in.gateWaiting = gauge("browseruse.gate.waiting", "{call}", "Calls waiting for a session slot.")
	in.budget = gauge("browseruse.retry_budget.available", "{token}", "Tokens left in the client's retry budget (a retry costs 5).")
	return in
}

// attempt records one attempt's duration.
func (in *instruments) attempt(ctx context.Context, op *opAttrs, a browseruse.AttemptInfo) {
	errType := ""
	if a.Err != nil || a.Status >= 400 {
		errType = errorType(a.Status, a.Err)
	}
	in.requestDuration.Record(ctx, a.Duration.Seconds(), op.measure(a.Status, errType))
}

func (in *instruments) retry(ctx context.Context, op *opAttrs, reason string) {
	kvs := append(slices.Clip(op.base), attribute.String("browseruse.retry.reason", reason))
	in.retries.Add(ctx, 1, metric.WithAttributes(kvs...))
}

func (in *instruments) callEnd(ctx context.Context, op *opAttrs, d time.Duration, status int, errType string) {
	in.callDuration.Record(ctx, d.Seconds(), op.measure(status, errType))
}

// observeClient registers the gauges of a client's gate and retry budget,
// labelled with its server. It holds the client weakly, and the
// registration ends once the client is collected: a program that drops a
// client does not keep it, or its callback, alive through its metrics.
func (in *instruments) observeClient(c *browseruse.Client) {
	var server []attribute.KeyValue
	if u, err := url.Parse(c.BaseURL()); err == nil {
		host, port := serverOf(u)
		server = []attribute.KeyValue{attribute.String("server.address", host), attribute.Int("server.port", port)}
	}
	opt := metric.WithAttributeSet(attribute.NewSet(server...))
	wc := weak.Make(c)
	reg, err := in.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		c := wc.Value()
		if c == nil {
			return nil
		}
		s := c.GateStats()
		o.ObserveInt64(in.gateLimit, int64(s.Limit), opt)
		o.ObserveInt64(in.gateInFlight, int64(s.InFlight), opt)
		o.ObserveInt64(in.gateWaiting, int64(s.Waiting), opt)
		o.ObserveInt64(in.budget, int64(c.RetryBudget()), opt)
		return nil
	}, in.gateLimit, in.gateInFlight, in.gateWaiting, in.budget)
	if err != nil {
		otel.Handle(err)
		return
	}
	runtime.AddCleanup(c, func(r metric.Registration) { _ = r.Unregister() }, reg)
}
