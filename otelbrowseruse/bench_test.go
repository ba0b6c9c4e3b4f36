package otelbrowseruse_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/otelbrowseruse"
)

// The README's figure for what telemetry costs a call, measured as the
// core's own benchmarks are: through an in-memory RoundTripper, so the
// client's own work is all there is.
//
//	go test -run '^$' -bench BenchmarkTelemetry -benchmem -count 6 ./otelbrowseruse/

var cannedBody = []byte(`{"success":true,"result":{"title":"7-in-1 USB-C hub","price":34.99,"inStock":true},"stderr":"","latencyMs":1840}`)

type cannedTransport struct{}

func (cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(cannedBody)),
		ContentLength: int64(len(cannedBody)),
		Request:       req,
	}, nil
}

// discard is a span exporter that drops what it is given, so the batch
// processor does all its work but the benchmark writes nothing.
type discard struct{}

func (discard) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discard) Shutdown(context.Context) error                             { return nil }

func BenchmarkTelemetry(b *testing.B) {
	type listing struct {
		Title   string  `json:"title"`
		Price   float64 `json:"price"`
		InStock bool    `json:"inStock"`
	}
	run := func(b *testing.B, opts ...browseruse.Option) {
		base := []browseruse.Option{
			browseruse.WithAPIKey("bench-key"),
			browseruse.WithBaseURL("https://api.browser-use.test/api/v2"),
			browseruse.WithHTTPClient(&http.Client{Transport: cannedTransport{}}),
		}
		c, err := browseruse.New(append(base, opts...)...)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		ctx := context.Background()
		for b.Loop() {
			r, err := browseruse.ExecuteSkillAs[listing](ctx, c, skillID, browseruse.ExecuteSkillRequest{})
			if err != nil || !r.Value.InStock {
				b.Fatal(r, err)
			}
		}
	}
	b.Run("impl=none", func(b *testing.B) { run(b) })
	b.Run("impl=noop", func(b *testing.B) {
		// The option with OpenTelemetry's no-op providers: the globals of a
		// program that never set any.
		run(b, otelbrowseruse.WithTelemetry(
			otelbrowseruse.WithTracerProvider(tracenoop.NewTracerProvider()),
			otelbrowseruse.WithMeterProvider(metricnoop.NewMeterProvider())))
	})
	b.Run("impl=sdk", func(b *testing.B) {
		// The SDK recording every span and metric, as a service exporting
		// them would: batched spans (dropped by the exporter), metrics
		// aggregated in memory.
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(discard{}))
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		defer tp.Shutdown(context.Background())
		defer mp.Shutdown(context.Background())
		run(b, otelbrowseruse.WithTelemetry(otelbrowseruse.WithTracerProvider(tp), otelbrowseruse.WithMeterProvider(mp)))
	})
}
