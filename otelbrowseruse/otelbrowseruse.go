// Package otelbrowseruse instruments a [browseruse.Client] with
// OpenTelemetry traces and metrics:
//
//	c, err := browseruse.New(otelbrowseruse.WithTelemetry())
//
// Each call is a span of kind client, a child of the span in the call's
// context, named as the OpenTelemetry HTTP conventions name client spans
// ("POST /skills/{skill_id}/execute"). It has an event for each refusal for
// the account's concurrency limit (browseruse.refused), each retry
// (browseruse.retry) and each wait for a session slot longer than a
// millisecond (browseruse.gate.wait), and ends with the call's attempts,
// refusals and last status. Each request carries the span's trace context.
//
// Metrics: http.client.request.duration (one per attempt),
// browseruse.call.duration (one per call, waits included),
// browseruse.refusals, browseruse.retries (by reason), and the gauges
// browseruse.gate.limit, browseruse.gate.in_flight, browseruse.gate.waiting
// and browseruse.retry_budget.available.
//
// The API key is in no span, attribute, event or metric.
//
// This is a module of its own, as otelhttp is, so that a program using
// browseruse without it takes no OpenTelemetry dependency.
package otelbrowseruse

import (
	"runtime/debug"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/browser-use/browseruse-go"
)

// ScopeName is the instrumentation scope of the spans and metrics.
const ScopeName = "github.com/browser-use/browseruse-go/otelbrowseruse"

// An Option configures [WithTelemetry].
type Option func(*config)

type config struct {
	tp         trace.TracerProvider
	mp         metric.MeterProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider sets the provider of the tracer that records the
// spans. By default it is the global provider (otel.GetTracerProvider).
// A nil provider keeps the default.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) {
		if tp != nil {
			c.tp = tp
		}
	}
}

// WithMeterProvider sets the provider of the meter that records the
// metrics. By default it is the global provider (otel.GetMeterProvider).
// A nil provider keeps the default.
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) {
		if mp != nil {
			c.mp = mp
		}
	}
}

// WithPropagators sets how the trace context is written into each request.
// By default it is the global propagator (otel.GetTextMapPropagator), which
// propagates nothing until the program sets one. A nil propagator keeps the
// default.
func WithPropagators(p propagation.TextMapPropagator) Option {
	return func(c *config) {
		if p != nil {
			c.propagator = p
		}
	}
}

// WithTelemetry returns an option for [browseruse.New] that records traces
// and metrics of the client's calls (see the package documentation). The
// providers and the propagator default to OpenTelemetry's globals, read
// when WithTelemetry is called, as otelhttp does: a global set later still
// applies, since the global providers delegate to it.
func WithTelemetry(opts ...Option) browseruse.Option {
	cfg := config{
		tp:         otel.GetTracerProvider(),
		mp:         otel.GetMeterProvider(),
		propagator: otel.GetTextMapPropagator(),
	}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return browseruse.WithObserver(newTelemetry(cfg).observer())
}

// version is this module's version as the build recorded it, for the
// instrumentation scope; "" when the build knows none.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == ScopeName && d.Version != "(devel)" {
			return d.Version
		}
	}
	return ""
}
