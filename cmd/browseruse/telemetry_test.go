package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// collector is an OTLP/HTTP endpoint that keeps what it is sent, by path.
type collector struct {
	*httptest.Server
	mu    sync.Mutex
	posts map[string][][]byte
}

func newCollector(t *testing.T) *collector { return newCollectorOn(t, nil) }

// newCollectorOn is a collector listening on l, or on a port of its own for
// a nil l.
func newCollectorOn(t *testing.T, l net.Listener) *collector {
	c := &collector{posts: map[string][][]byte{}}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		c.mu.Lock()
		c.posts[r.URL.Path] = append(c.posts[r.URL.Path], b)
		c.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	if l != nil {
		c.Listener.Close()
		c.Listener = l
	}
	c.Start()
	t.Cleanup(c.Close)
	return c
}

// sent is everything posted to path, joined.
func (c *collector) sent(path string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Join(c.posts[path], nil)
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, p := range c.posts {
		n += len(p)
	}
	return n
}

// With the standard endpoint variable set, a run exports its call's span
// (a child of the command's) and the client's metrics, before it exits,
// and prints the same result as without.
func TestTelemetry_ExportsToTheConfiguredEndpoint(t *testing.T) {
	col := newCollector(t)
	env := []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL}
	got := invocation{env: env}.run(t, "skills", "execute", "--fake", skill, "-p", "X=10", "--json")
	want := run(t, "skills", "execute", "--fake", skill, "-p", "X=10", "--json")
	if got.code != 0 || got.stdout != want.stdout {
		t.Fatalf("with telemetry: exit %d, stdout %q, stderr %q; without: stdout %q", got.code, got.stdout, got.stderr, want.stdout)
	}
	traces := col.sent("/v1/traces")
	for _, s := range []string{"POST /skills/{skill_id}/execute", "browseruse skills execute", "browseruse.attempts", "service.name"} {
		if !bytes.Contains(traces, []byte(s)) {
			t.Errorf("the traces exported have no %q", s)
		}
	}
	metrics := col.sent("/v1/metrics")
	for _, s := range []string{"browseruse.call.duration", "http.client.request.duration", "browseruse.gate.limit"} {
		if !bytes.Contains(metrics, []byte(s)) {
			t.Errorf("the metrics exported have no %q", s)
		}
	}
	for path, body := range map[string][]byte{"traces": traces, "metrics": metrics} {
		if bytes.Contains(body, []byte(browserusetest.APIKey)) {
			t.Errorf("the %s exported hold the key", path)
		}
	}
}

// Without --otel or an endpoint, or with the SDK disabled, nothing is
// exported: here the collector's address is in the environment under a
// name the command does not read, or with OTEL_SDK_DISABLED.
func TestTelemetry_NothingUnlessAsked(t *testing.T) {
	col := newCollector(t)
	for _, env := range [][]string{
		{"OTEL_TRACES_ENDPOINT_UNUSED=" + col.URL},
		{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL, "OTEL_SDK_DISABLED=true"},
		{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL, "OTEL_TRACES_EXPORTER=none", "OTEL_METRICS_EXPORTER=none"},
	} {
		if got := (invocation{env: env}).run(t, "skills", "execute", "--fake", skill, "-p", "X=10"); got.code != 0 {
			t.Fatalf("%v: exit %d: %s", env, got.code, got.stderr)
		}
	}
	if n := col.count(); n != 0 {
		t.Errorf("%d exports, want none", n)
	}
}

// A collector that is down costs a warning, not the result or the exit
// code.
func TestTelemetry_CollectorDownIsAWarning(t *testing.T) {
	col := newCollector(t)
	col.Close()
	got := invocation{env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL}}.run(t, "skills", "execute", "--fake", skill, "-p", "X=10", "--json")
	if got.code != 0 || !strings.Contains(got.stdout, `"X"`) {
		t.Fatalf("exit %d, stdout %q, stderr %q: want the result", got.code, got.stdout, got.stderr)
	}
	if !strings.Contains(got.stderr, "browseruse: telemetry:") {
		t.Errorf("stderr %q does not say the export failed", got.stderr)
	}
	// The export error quotes the endpoint: a key in it is not printed.
	const key = "bu_KeyInTheEndpoint01"
	got = invocation{env: []string{"BROWSER_USE_API_KEY=" + key, "OTEL_EXPORTER_OTLP_ENDPOINT=" + col.URL + "/" + key}}.run(t, "skills", "execute", "--fake", skill, "--json")
	if !strings.Contains(got.stderr, "browseruse: telemetry:") || strings.Contains(got.stderr+got.stdout, "KeyInTheEndpoint") {
		t.Errorf("stderr %q: want the export's failure, without the key", got.stderr)
	}
}

func TestWantTelemetry(t *testing.T) {
	for _, tc := range []struct {
		flag    bool
		env     map[string]string
		want    otelSignals
		wantErr string
	}{
		{false, nil, otelSignals{}, ""},
		{true, nil, otelSignals{true, true}, ""},
		{false, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, otelSignals{true, true}, ""},
		{false, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"}, otelSignals{true, true}, ""},
		{true, map[string]string{"OTEL_METRICS_EXPORTER": "none"}, otelSignals{traces: true}, ""},
		{true, map[string]string{"OTEL_SDK_DISABLED": "true"}, otelSignals{}, ""},
		{false, map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, otelSignals{}, ""}, // no endpoint, no --otel
		{true, map[string]string{"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, otelSignals{}, "http/protobuf"},
		{true, map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, otelSignals{}, "otlp or none"},
		{false, map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "localhost:4318"}, otelSignals{}, "http:// or https://"},
		{false, map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://[::1"}, otelSignals{}, "http:// or https://"},
	} {
		got, err := wantTelemetry(tc.flag, func(k string) string { return tc.env[k] })
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("--otel=%v %v: err %v, want one saying %q", tc.flag, tc.env, err, tc.wantErr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("--otel=%v %v: %+v, %v; want %+v", tc.flag, tc.env, got, err, tc.want)
		}
	}
}

// A protocol the command cannot speak is a usage error before anything
// runs.
func TestTelemetry_UnsupportedProtocolIsAUsageError(t *testing.T) {
	got := invocation{env: []string{"OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}}.run(t, "skills", "execute", "--otel", "--fake", skill)
	if got.code != exitUsage || !strings.Contains(got.stderr, "http/protobuf") || got.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming http/protobuf", got.code, got.stdout, got.stderr)
	}
}

// With --otel and no endpoint in the environment, the command exports to
// the documented default, plain http://localhost:4318: a local collector
// that speaks no TLS gets the spans and metrics.
func TestTelemetry_DefaultEndpointIsPlainHTTP(t *testing.T) {
	l, err := net.Listen("tcp", "localhost:4318")
	if err != nil {
		t.Skipf("localhost:4318 is taken: %v", err)
	}
	col := newCollectorOn(t, l)
	got := run(t, "skills", "execute", "--otel", "--fake", skill, "-p", "X=10", "--json")
	if got.code != 0 {
		t.Fatalf("exit %d, stderr %q", got.code, got.stderr)
	}
	if strings.Contains(got.stderr, "telemetry") {
		t.Errorf("stderr %q: want no telemetry warning", got.stderr)
	}
	if len(col.sent("/v1/traces")) == 0 || len(col.sent("/v1/metrics")) == 0 {
		t.Errorf("the collector on http://localhost:4318 got %d exports, want traces and metrics", col.count())
	}
}

// An endpoint the exporter could not parse is a usage error, as an
// unsupported protocol is, in the command's own words.
func TestTelemetry_BadEndpointIsAUsageError(t *testing.T) {
	got := invocation{env: []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://[::1"}}.run(t, "skills", "execute", "--fake", skill)
	if got.code != exitUsage || !strings.HasPrefix(got.stderr, "browseruse: OTEL_EXPORTER_OTLP_ENDPOINT=") || strings.Contains(got.stderr, "internal_logging") || got.stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 2 naming the variable", got.code, got.stdout, got.stderr)
	}
}
