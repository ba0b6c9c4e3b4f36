package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/otelbrowseruse"
)

// telemetryFlushTimeout bounds how long the command waits, as it ends, for
// the last spans and metrics to reach the collector: a collector that is
// down must not hold a finished command for the exporter's minute of
// retries.
const telemetryFlushTimeout = 3 * time.Second

const telemetryHelp = `
OpenTelemetry: with --otel, or when $OTEL_EXPORTER_OTLP_ENDPOINT (or its
_TRACES_ or _METRICS_ form) is set, the command exports a span per call (and
one for the command), and the client's metrics, over OTLP/HTTP to that
endpoint (default http://localhost:4318). The standard OTEL_* variables
apply: OTEL_SERVICE_NAME (default browseruse), OTEL_RESOURCE_ATTRIBUTES,
OTEL_EXPORTER_OTLP_HEADERS, OTEL_TRACES_EXPORTER=none or
OTEL_METRICS_EXPORTER=none to leave one out, OTEL_SDK_DISABLED=true for
neither. Another protocol than http/protobuf, or an endpoint that is not an
http:// or https:// URL, is a usage error (exit 2). Without them nothing is
exported and nothing is set up.
`

// otelSignals is which signals the command exports.
type otelSignals struct{ traces, metrics bool }

// wantTelemetry reads the command line and the environment: what to
// export, or an error for a setting the command cannot honour.
func wantTelemetry(flag bool, getenv func(string) string) (otelSignals, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return otelSignals{}, nil
	}
	configured := false
	endpoints := []string{"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"}
	for _, v := range endpoints {
		if getenv(v) != "" {
			configured = true
		}
	}
	if !flag && !configured {
		return otelSignals{}, nil
	}
	// Checked here: the exporter would log a bad URL in its own format and
	// quietly send to its default instead.
	for _, v := range endpoints {
		if e := getenv(v); e != "" {
			if u, err := url.Parse(e); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return otelSignals{}, fmt.Errorf("%s=%s: want an http:// or https:// URL, such as http://localhost:4318", v, e)
			}
		}
	}
	for _, v := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"} {
		if p := getenv(v); p != "" && p != "http/protobuf" {
			return otelSignals{}, fmt.Errorf("%s=%s: this command exports OTLP over HTTP only (http/protobuf)", v, p)
		}
	}
	var s otelSignals
	for _, sig := range []struct {
		env string
		on  *bool
	}{{"OTEL_TRACES_EXPORTER", &s.traces}, {"OTEL_METRICS_EXPORTER", &s.metrics}} {
		switch v := strings.TrimSpace(getenv(sig.env)); v {
		case "", "otlp":
			*sig.on = true
		case "none":
		default:
			return otelSignals{}, fmt.Errorf("%s=%s: this command exports with otlp or none", sig.env, v)
		}
	}
	return s, nil
}

// endpointSet says whether the environment names the endpoint for signal
// (TRACES or METRICS). Without one the exporter's default is localhost:4318
// over https; the command's default, as its help says, is plain
// http://localhost:4318, what a local collector listens on. An endpoint
// that is set keeps its own scheme.
func endpointSet(getenv func(string) string, signal string) bool {
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv("OTEL_EXPORTER_OTLP_"+signal+"_ENDPOINT") != ""
}

// telemetry is the command's OpenTelemetry, once set up.
type telemetry struct {
	tp     *sdktrace.TracerProvider // nil: no traces
	mp     *sdkmetric.MeterProvider // nil: no metrics
	span   trace.Span               // the command's own span
	option browseruse.Option
	// clients made with option, kept reachable until the last metrics are
	// read: the gauges hold a client weakly, and stop once it is collected.
	clients []*browseruse.Client

	mu  sync.Mutex
	say func(string) // prints the warning: see sayWith
}

// sayWith routes the telemetry warning through say until the returned
// restore is called: a live bar or spinner owns the terminal line, and a
// line written past it would be drawn over or erased. A nil *telemetry
// does nothing.
func (t *telemetry) sayWith(say func(string)) (restore func()) {
	if t == nil {
		return func() {}
	}
	t.mu.Lock()
	prev := t.say
	t.say = say
	t.mu.Unlock()
	return func() {
		t.mu.Lock()
		t.say = prev
		t.mu.Unlock()
	}
}

func (t *telemetry) warn(msg string) {
	t.mu.Lock()
	say := t.say
	t.mu.Unlock()
	say(msg)
}

// oneLine is msg on one line: errors.Join puts each error on its own line,
// and the second would lack the "browseruse: " prefix.
func oneLine(msg string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(msg, "\n", "; ")), " ")
}

// startTelemetry sets up what wantTelemetry asked for, and starts the
// command's span in the returned context. With nothing asked, it returns a
// nil *telemetry and ctx as is: the client then runs without an observer.
func (c *cli) startTelemetry(ctx context.Context, flag bool, name string) (*telemetry, context.Context, error) {
	sig, err := wantTelemetry(flag, c.getenv)
	if err != nil || sig == (otelSignals{}) {
		return nil, ctx, err
	}
	t := &telemetry{say: func(msg string) { fmt.Fprintln(c.stderr, msg) }}
	// Errors while exporting come here: one line on stderr for the whole
	// run, not one per failed export, and never on stdout, which carries
	// the results.
	var once sync.Once
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		// The error quotes the endpoint's URL, which may hold a key.
		once.Do(func() { t.warn("browseruse: telemetry: " + c.withoutKey(oneLine(err.Error()))) })
	}))
	res, err := resource.New(ctx,
		resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", "browseruse"), attribute.String("service.version", serviceVersion())),
		resource.WithFromEnv(), // last, so OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, ctx, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tel := []otelbrowseruse.Option{otelbrowseruse.WithPropagators(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))}
	if sig.traces {
		var opts []otlptracehttp.Option
		if !endpointSet(c.getenv, "TRACES") {
			opts = append(opts, otlptracehttp.WithInsecure()) // the documented http://localhost:4318, not https
		}
		exp, err := otlptracehttp.New(ctx, opts...)
		if err != nil {
			return nil, ctx, fmt.Errorf("OTLP trace exporter: %w", err)
		}
		t.tp = sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		tel = append(tel, otelbrowseruse.WithTracerProvider(t.tp))
	}
	if sig.metrics {
		var opts []otlpmetrichttp.Option
		if !endpointSet(c.getenv, "METRICS") {
			opts = append(opts, otlpmetrichttp.WithInsecure())
		}
		exp, err := otlpmetrichttp.New(ctx, opts...)
		if err != nil {
			t.shutdown()
			return nil, ctx, fmt.Errorf("OTLP metric exporter: %w", err)
		}
		t.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
		tel = append(tel, otelbrowseruse.WithMeterProvider(t.mp))
	}
	t.option = otelbrowseruse.WithTelemetry(tel...)
	if t.tp != nil {
		ctx, t.span = t.tp.Tracer("browseruse").Start(ctx, name)
	}
	return t, ctx, nil
}

// end ends the command's span, marked failed for a failed command, and
// sends what is left, within telemetryFlushTimeout whatever ctx's state (a
// signal may have cancelled it). A nil *telemetry does nothing.
func (t *telemetry) end(code int) {
	if t == nil {
		return
	}
	if t.span != nil {
		t.span.SetAttributes(attribute.Int("process.exit.code", code))
		if code != exitOK {
			t.span.SetStatus(codes.Error, fmt.Sprintf("exit status %d", code))
		}
		t.span.End()
	}
	t.shutdown()
	runtime.KeepAlive(t.clients)
}

func (t *telemetry) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), telemetryFlushTimeout)
	defer cancel()
	var err error
	if t.tp != nil {
		err = t.tp.Shutdown(ctx)
	}
	if t.mp != nil {
		err = errors.Join(err, t.mp.Shutdown(ctx))
	}
	if err != nil {
		otel.Handle(err)
	}
}

// serviceVersion is the command's version, for the service.version
// resource attribute.
func serviceVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
