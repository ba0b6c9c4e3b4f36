package otelbrowseruse

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/browser-use/browseruse-go"
)

// telemetry turns the client's events into spans and metrics.
type telemetry struct {
	tracer     trace.Tracer
	propagator propagation.TextMapPropagator
	metrics    instruments
	ops        opCache
}

func newTelemetry(cfg config) *telemetry {
	return &telemetry{
		tracer:     cfg.tp.Tracer(ScopeName, trace.WithInstrumentationVersion(version())),
		propagator: cfg.propagator,
		metrics:    newInstruments(cfg.mp),
	}
}

func (t *telemetry) observer() *browseruse.Observer {
	return &browseruse.Observer{
		Attached:  t.metrics.observeClient,
		CallStart: t.callStart,
		Attempt:   t.attempt,
		Refused:   t.refused,
		GateWait:  t.gateWait,
		Retry:     t.retry,
		CallEnd:   t.callEnd,
	}
}

// call is what a call's events share, kept in its context. attrs is room
// for the span's attributes set after it starts, so that they need no
// allocation of their own.
type call struct {
	start time.Time
	span  trace.Span
	op    *opAttrs
	attrs [4]attribute.KeyValue
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// minGateWait: shorter waits for a slot are not worth an event; the
// call's duration shows them anyway.
const minGateWait = time.Millisecond

func (t *telemetry) callStart(ctx context.Context, info browseruse.CallInfo) context.Context {
	op := t.ops.get(info)
	c := &call{start: time.Now(), op: op}
	ctx, c.span = t.tracer.Start(ctx, op.name, op.start...)
	if c.span.IsRecording() {
		attrs := append(c.attrs[:0], attribute.String("url.full", fullURL(info)))
		if id := op.skillID(info.Path); id != "" {
			attrs = append(attrs, attribute.String("browseruse.skill_id", id))
		}
		c.span.SetAttributes(attrs...)
	}
	t.propagator.Inject(ctx, propagation.HeaderCarrier(info.Header))
	return context.WithValue(ctx, callKey{}, c)
}

func (t *telemetry) attempt(ctx context.Context, a browseruse.AttemptInfo) {
	c := callFrom(ctx)
	if c == nil {
		return
	}
	t.metrics.attempt(ctx, c.op, a)
}

func (t *telemetry) refused(ctx context.Context, r browseruse.RefusalInfo) {
	c := callFrom(ctx)
	if c == nil {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("browseruse.attempt", r.Attempt),
		attribute.Int("browseruse.gate.in_flight", r.InFlight),
		attribute.Int("browseruse.gate.limit", r.Limit),
		attribute.Float64("browseruse.backoff", r.Backoff.Seconds()),
	}
	if r.RetryAfter > 0 {
		attrs = append(attrs, attribute.Float64("browseruse.retry_after", r.RetryAfter.Seconds()))
	}
	c.span.AddEvent("browseruse.refused", trace.WithAttributes(attrs...))
	t.metrics.refusals.Add(ctx, 1, c.op.metricOpt)
}

func (t *telemetry) gateWait(ctx context.Context, waited time.Duration) {
	c := callFrom(ctx)
	if c == nil || waited < minGateWait {
		return
	}
	c.span.AddEvent("browseruse.gate.wait", trace.WithAttributes(
		attribute.Float64("browseruse.gate.wait.duration", waited.Seconds())))
}

func (t *telemetry) retry(ctx context.Context, r browseruse.RetryInfo) {
	c := callFrom(ctx)
	if c == nil {
		return
	}
	attrs := []attribute.KeyValue{
		attribute.Int("browseruse.attempt", r.Attempt),
		attribute.String("browseruse.retry.reason", r.Reason),
		attribute.Float64("browseruse.retry.wait", r.Wait.Seconds()),
	}
	if r.Status > 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", r.Status))
	}
	c.span.AddEvent("browseruse.retry", trace.WithAttributes(attrs...))
	t.metrics.retry(ctx, c.op, r.Reason)
}

func (t *telemetry) callEnd(ctx context.Context, r browseruse.CallResult) {
	c := callFrom(ctx)
	if c == nil {
		return
	}
	attrs := append(c.attrs[:0],
		attribute.Int("browseruse.attempts", r.Attempts),
		attribute.Int("browseruse.refusals", r.Refusals))
	if r.Status > 0 {
		attrs = append(attrs, attribute.Int("http.response.status_code", r.Status))
	}
	errType := ""
	if r.Err != nil {
		errType = errorType(r.Status, r.Err)
		attrs = append(attrs, attribute.String("error.type", errType))
		c.span.SetStatus(codes.Error, r.Err.Error())
	}
	c.span.SetAttributes(attrs...)
	c.span.End()
	t.metrics.callEnd(ctx, c.op, time.Since(c.start), r.Status, errType)
}
