package otelbrowseruse_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/browser-use/browseruse-go/otelbrowseruse"
)

var skillID = uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")

// recorded is an SDK tracer and meter provider that keep what they record
// in memory.
type recorded struct {
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
}

func newRecorded(t *testing.T) *recorded {
	r := &recorded{spans: tracetest.NewSpanRecorder(), reader: sdkmetric.NewManualReader()}
	r.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	r.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	t.Cleanup(func() {
		_ = r.tp.Shutdown(context.Background())
		_ = r.mp.Shutdown(context.Background())
	})
	return r
}

// client is a client of srv instrumented to r, with opts after.
func (r *recorded) client(t *testing.T, srv *browserusetest.Server, opts ...browseruse.Option) *browseruse.Client {
	t.Helper()
	tel := otelbrowseruse.WithTelemetry(
		otelbrowseruse.WithTracerProvider(r.tp),
		otelbrowseruse.WithMeterProvider(r.mp),
		otelbrowseruse.WithPropagators(propagation.TraceContext{}),
	)
	c, err := srv.Client(append([]browseruse.Option{tel}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (r *recorded) metrics(t *testing.T) metricdata.ResourceMetrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	return rm
}

// onlySpan is the one span recorded, failing the test if there is not
// exactly one.
func (r *recorded) onlySpan(t *testing.T) sdktrace.ReadOnlySpan {
	t.Helper()
	spans := r.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans ended, want 1: %v", len(spans), spanNames(spans))
	}
	return spans[0]
}

func spanNames(spans []sdktrace.ReadOnlySpan) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name())
	}
	return names
}

func attrOf(kvs []attribute.KeyValue, key string) (attribute.Value, bool) {
	for _, kv := range kvs {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func events(s sdktrace.ReadOnlySpan, name string) []sdktrace.Event {
	var out []sdktrace.Event
	for _, e := range s.Events() {
		if e.Name == name {
			out = append(out, e)
		}
	}
	return out
}

// sum is the total of an Int64 counter over its data points whose
// attributes include want.
func sum(t *testing.T, rm metricdata.ResourceMetrics, name string, want ...attribute.KeyValue) int64 {
	t.Helper()
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != name {
				continue
			}
			s, ok := m.Data.(metricdata.Sum[int64])
			if !ok {
				t.Fatalf("%s is %T, not an int64 sum", name, m.Data)
			}
		points:
			for _, dp := range s.DataPoints {
				for _, kv := range want {
					if v, ok := dp.Attributes.Value(kv.Key); !ok || v != kv.Value {
						continue points
					}
				}
				total += dp.Value
			}
		}
	}
	return total
}

// histogramCount is how many values a float64 histogram recorded.
func histogramCount(t *testing.T, rm metricdata.ResourceMetrics, name string) uint64 {
	t.Helper()
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					n += dp.Count
				}
			}
		}
	}
	return n
}

// gauge is the value of an int64 gauge's single data point.
func gauge(t *testing.T, rm metricdata.ResourceMetrics, name string) int64 {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				g := m.Data.(metricdata.Gauge[int64])
				if len(g.DataPoints) != 1 {
					t.Fatalf("%s has %d data points, want 1", name, len(g.DataPoints))
				}
				return g.DataPoints[0].Value
			}
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

var tooManySessions = browserusetest.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}},
	JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}}

// The first case: a call refused twice and then admitted is one
// span, a child of the caller's, with an event per refusal, and the
// refusals counter says 2.
func TestTelemetry_RefusedTwiceThenAdmitted(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	c := rec.client(t, srv)
	srv.Enqueue(tooManySessions, tooManySessions)

	ctx, parent := rec.tp.Tracer("test").Start(context.Background(), "parent")
	if _, err := c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	parent.End()

	var span sdktrace.ReadOnlySpan
	for _, s := range rec.spans.Ended() {
		if s.Name() != "parent" {
			if span != nil {
				t.Fatalf("two call spans: %v", spanNames(rec.spans.Ended()))
			}
			span = s
		}
	}
	if span == nil {
		t.Fatal("no span for the call")
	}
	if got, want := span.Name(), "POST /skills/{skill_id}/execute"; got != want {
		t.Errorf("span name %q, want %q", got, want)
	}
	if span.SpanKind() != trace.SpanKindClient {
		t.Errorf("span kind %v, want client", span.SpanKind())
	}
	if span.Parent().SpanID() != parent.SpanContext().SpanID() {
		t.Error("the call's span is not a child of the caller's")
	}
	u, _ := url.Parse(srv.URL)
	for key, want := range map[string]attribute.Value{
		"http.request.method":       attribute.StringValue("POST"),
		"url.template":              attribute.StringValue("/skills/{skill_id}/execute"),
		"server.address":            attribute.StringValue(u.Hostname()),
		"http.response.status_code": attribute.IntValue(200),
		"browseruse.attempts":       attribute.IntValue(3),
		"browseruse.refusals":       attribute.IntValue(2),
		"browseruse.skill_id":       attribute.StringValue(skillID.String()),
	} {
		if got, ok := attrOf(span.Attributes(), key); !ok || got != want {
			t.Errorf("attribute %s = %v (set: %v), want %v", key, got.Emit(), ok, want.Emit())
		}
	}
	if _, ok := attrOf(span.Attributes(), "server.port"); !ok {
		t.Error("no server.port")
	}
	if _, ok := attrOf(span.Attributes(), "error.type"); ok || span.Status().Code == codes.Error {
		t.Errorf("a call that succeeded has an error: %v", span.Status())
	}
	if n := len(events(span, "browseruse.refused")); n != 2 {
		t.Errorf("%d browseruse.refused events, want 2", n)
	}

	rm := rec.metrics(t)
	if n := sum(t, rm, "browseruse.refusals"); n != 2 {
		t.Errorf("browseruse.refusals = %d, want 2", n)
	}
	if n := histogramCount(t, rm, "http.client.request.duration"); n != 3 {
		t.Errorf("http.client.request.duration has %d values, want one per attempt: 3", n)
	}
	if n := histogramCount(t, rm, "browseruse.call.duration"); n != 1 {
		t.Errorf("browseruse.call.duration has %d values, want 1", n)
	}
	// Refused with nothing else in flight, the gate fell to a limit of 1;
	// the success ramps it no further than the calls out and waiting: one.
	if got := gauge(t, rm, "browseruse.gate.limit"); got != 1 {
		t.Errorf("browseruse.gate.limit = %d, want 1", got)
	}
	if got := gauge(t, rm, "browseruse.gate.in_flight") + gauge(t, rm, "browseruse.gate.waiting"); got != 0 {
		t.Errorf("in flight and waiting = %d after the call, want 0", got)
	}
	if got := gauge(t, rm, "browseruse.retry_budget.available"); got != 500 {
		t.Errorf("browseruse.retry_budget.available = %d, want 500", got)
	}
	runtime.KeepAlive(c) // the gauges hold the client weakly

	// Every request carried the call span's trace context.
	for i, r := range srv.Requests() {
		tp := r.Header.Get("Traceparent")
		if !strings.Contains(tp, span.SpanContext().TraceID().String()) || !strings.Contains(tp, span.SpanContext().SpanID().String()) {
			t.Errorf("request %d: traceparent %q, want the call span's", i+1, tp)
		}
	}
}

// refusingFirst refuses the first dial, as a server that is restarting
// does, and sends the rest through next.
type refusingFirst struct {
	mu      sync.Mutex
	refused bool
	next    http.RoundTripper
}

func (r *refusingFirst) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	first := !r.refused
	r.refused = true
	r.mu.Unlock()
	if first {
		req.Body.Close() // as RoundTrip must, and net/http's does before a dial error
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	}
	return r.next.RoundTrip(req)
}

func TestTelemetry_RefusedConnectionIsARetryEvent(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	hc := &http.Client{Transport: &refusingFirst{next: http.DefaultTransport}}
	c := rec.client(t, srv, browseruse.WithHTTPClient(hc), browseruse.WithMaxRetryWait(time.Millisecond))
	if _, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	span := rec.onlySpan(t)
	retries := events(span, "browseruse.retry")
	if len(retries) != 1 {
		t.Fatalf("%d browseruse.retry events, want 1", len(retries))
	}
	if got, _ := attrOf(retries[0].Attributes, "browseruse.retry.reason"); got.AsString() != "connection_refused" {
		t.Errorf("retry reason %q, want connection_refused", got.AsString())
	}
	if _, ok := attrOf(retries[0].Attributes, "browseruse.retry.wait"); !ok {
		t.Error("the retry event does not say how long it waited")
	}
	if got, _ := attrOf(span.Attributes(), "browseruse.attempts"); got.AsInt64() != 2 {
		t.Errorf("browseruse.attempts = %d, want 2", got.AsInt64())
	}
	rm := rec.metrics(t)
	if n := sum(t, rm, "browseruse.retries", attribute.String("browseruse.retry.reason", "connection_refused")); n != 1 {
		t.Errorf("browseruse.retries{reason=connection_refused} = %d, want 1", n)
	}
	if got := gauge(t, rm, "browseruse.retry_budget.available"); got != 500 {
		// The retry spent 5 and the success gave them back.
		t.Errorf("browseruse.retry_budget.available = %d, want 500", got)
	}
	runtime.KeepAlive(c)
}

func TestTelemetry_PaymentRequiredIsAnErrorSpan(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	c := rec.client(t, srv)
	srv.Enqueue(browserusetest.Reply{Status: http.StatusPaymentRequired, JSON: map[string]any{"detail": "Insufficient credits"}})
	if _, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{}); err == nil {
		t.Fatal("a 402 succeeded")
	}
	span := rec.onlySpan(t)
	if span.Status().Code != codes.Error {
		t.Errorf("span status %v, want an error", span.Status())
	}
	if got, _ := attrOf(span.Attributes(), "http.response.status_code"); got.AsInt64() != 402 {
		t.Errorf("http.response.status_code = %v, want 402", got.Emit())
	}
	if got, _ := attrOf(span.Attributes(), "error.type"); got.AsString() != "402" {
		t.Errorf("error.type = %q, want \"402\"", got.AsString())
	}
}

// The gauges hold their client weakly: a client the program dropped is not
// kept alive by its metrics, and they stop.
func TestTelemetry_GaugesStopWithTheClient(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	rec.client(t, srv) // dropped at once
	for range 20 {
		runtime.GC()
		if !hasMetric(rec.metrics(t), "browseruse.gate.limit") {
			return
		}
	}
	t.Error("the gauges still report a client the program dropped")
}

func hasMetric(rm metricdata.ResourceMetrics, name string) bool {
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				if g, ok := m.Data.(metricdata.Gauge[int64]); ok && len(g.DataPoints) == 0 {
					return false
				}
				return true
			}
		}
	}
	return false
}

type panicking struct{}

func (panicking) RoundTrip(*http.Request) (*http.Response, error) { panic("transport bug") }

// A call whose transport panics ends its span, as an error: a span left
// open, or ended as a success, would hide the panic.
func TestTelemetry_APanicEndsTheSpanAsAnError(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	c := rec.client(t, srv, browseruse.WithHTTPClient(&http.Client{Transport: panicking{}}))
	func() {
		defer func() { _ = recover() }()
		_, _ = c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{})
	}()
	span := rec.onlySpan(t)
	if span.Status().Code != codes.Error || !strings.Contains(span.Status().Description, "panicked") {
		t.Errorf("span status %+v, want an error saying the call panicked", span.Status())
	}
	if got, _ := attrOf(span.Attributes(), "browseruse.attempts"); got.AsInt64() != 1 {
		t.Errorf("browseruse.attempts = %v, want 1", got.Emit())
	}
}

// A call that waits for a slot behind another says so in an event.
func TestTelemetry_GateWaitIsAnEvent(t *testing.T) {
	srv := browserusetest.New(t)
	srv.SetLatency(50 * time.Millisecond)
	rec := newRecorded(t)
	c := rec.client(t, srv, browseruse.WithMaxConcurrency(1))
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	waits := 0
	for _, s := range rec.spans.Ended() {
		for _, e := range events(s, "browseruse.gate.wait") {
			waits++
			if d, _ := attrOf(e.Attributes, "browseruse.gate.wait.duration"); d.AsFloat64() < 0.01 {
				t.Errorf("gate wait of %vs, want about the other call's 50ms", d.AsFloat64())
			}
		}
	}
	if waits != 1 {
		t.Errorf("%d browseruse.gate.wait events, want 1: the second call's", waits)
	}
}

// The key is in nothing exported: the server below echoes it in every
// error detail, as is, JSON-escaped and %-escaped, and every span name, attribute,
// event, status and metric attribute is scanned for it in any spelling.
func TestTelemetry_KeyInNothingExported(t *testing.T) {
	srv := browserusetest.New(t)
	rec := newRecorded(t)
	c := rec.client(t, srv)
	key := browserusetest.APIKey
	jsonEscaped := strings.ReplaceAll(key, "_", `\u005f`)
	pctEscaped := strings.ReplaceAll(key, "_", "%5F")
	echo := []byte(`{"detail": "your key ` + key + " " + jsonEscaped + " " + pctEscaped + ` is out of credits"}`)
	jsonCT := http.Header{"Content-Type": {"application/json"}}
	srv.Enqueue(
		browserusetest.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}, "Content-Type": {"application/json"}}, Body: echo},
		browserusetest.Reply{Status: http.StatusPaymentRequired, Header: jsonCT, Body: echo},
	)
	if _, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{}); err == nil {
		t.Fatal("a 402 succeeded")
	}
	srv.Enqueue(browserusetest.Reply{Status: http.StatusNotFound, Header: jsonCT, Body: echo})
	_, _ = c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{})

	var exported []string
	kvs := func(where string, attrs []attribute.KeyValue) {
		for _, kv := range attrs {
			exported = append(exported, where+" "+string(kv.Key)+"="+kv.Value.Emit())
		}
	}
	for _, s := range rec.spans.Ended() {
		exported = append(exported, "span "+s.Name(), "status "+s.Status().Description)
		kvs("span "+s.Name(), s.Attributes())
		for _, e := range s.Events() {
			exported = append(exported, "event "+e.Name)
			kvs("event "+e.Name, e.Attributes)
		}
	}
	rm := rec.metrics(t)
	b, err := json.Marshal(rm) // every metric, data point and attribute
	if err != nil {
		t.Fatal(err)
	}
	exported = append(exported, string(b))
	if len(exported) < 10 {
		t.Fatalf("only %d values exported: the scan would prove nothing", len(exported))
	}
	spellings := []string{key, strings.ReplaceAll(key, "_", `\u005f`), strings.ReplaceAll(key, "_", "%5F")}
	for _, v := range exported {
		for _, sp := range spellings {
			if strings.Contains(v, sp) {
				t.Errorf("the key (%q) is exported: %s", sp, v)
			}
		}
	}
}
