package browseruse_test

// Benchmarks that put the client beside its floor: the net/http call a
// careful Go programmer would write by hand (json.Marshal the request, decode
// the response straight into a struct). Each benchmark runs the floor and the
// client as sub-benchmarks with an impl=... key, so that
//
//	go tool benchstat -table .name -col /impl bench.txt
//
// compares them; `make bench` does that and prints the ratios.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/gen"
)

var benchSkill = uuid.MustParse("5d0a3c9e-2b7f-4e61-a8c4-71f9e0b2d3a6")

const (
	benchKey = "bu_bench_key"
	// benchBase is never dialled: the in-memory benchmarks answer from a
	// RoundTripper.
	benchBase = "https://api.browser-use.test/api/v2"
)

var benchInput = browseruse.ExecuteSkillRequest{Parameters: map[string]any{"query": "usb-c hub", "limit": 10}}

// listing is the ~200-byte result of the per-call benchmarks.
type listing struct {
	Title   string  `json:"title"`
	URL     string  `json:"url"`
	Price   float64 `json:"price"`
	InStock bool    `json:"inStock"`
}

// product is one of the 5,000 six-field objects of the 1 MB result.
type product struct {
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	URL         string  `json:"url"`
	Price       float64 `json:"price"`
	InStock     bool    `json:"inStock"`
	Description string  `json:"description"`
}

// envelope is what the hand-written floor decodes into: the Execute Skill
// response with the result typed.
type envelope[T any] struct {
	Success   bool    `json:"success"`
	Result    T       `json:"result"`
	Error     *string `json:"error"`
	Stderr    *string `json:"stderr"`
	LatencyMs *int    `json:"latencyMs"`
}

var (
	smallBody = mustJSON(map[string]any{
		"success": true,
		"result": listing{
			Title: "7-in-1 USB-C hub, 4K HDMI, 100 W PD", URL: "https://shop.example/p/88213",
			Price: 34.99, InStock: true,
		},
		"stderr": "", "latencyMs": 1840,
	})
	largeBody = mustJSON(map[string]any{"success": true, "result": products(5000), "latencyMs": 52310})
)

func products(n int) []product {
	out := make([]product, n)
	for i := range out {
		out[i] = product{
			ID:          100000 + i,
			Name:        "Product " + strconv.Itoa(i) + " of the catalogue",
			URL:         "https://shop.example/p/" + strconv.Itoa(100000+i),
			Price:       float64(i%9000)/100 + 0.99,
			InStock:     i%3 != 0,
			Description: strings.Repeat("lorem ipsum dolor sit amet ", 3) + strconv.Itoa(i),
		}
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// floorCall is the floor: a hand-written Execute Skill call with net/http.
func floorCall[T any](ctx context.Context, hc *http.Client, base string, in browseruse.ExecuteSkillRequest) (T, error) {
	var env envelope[T]
	b, err := json.Marshal(in)
	if err != nil {
		return env.Result, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/skills/"+benchSkill.String()+"/execute", bytes.NewReader(b))
	if err != nil {
		return env.Result, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(browseruse.KeyHeader, benchKey)
	resp, err := hc.Do(req)
	if err != nil {
		return env.Result, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return env.Result, fmt.Errorf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return env.Result, err
	}
	if !env.Success {
		return env.Result, errors.New("skill failed")
	}
	return env.Result, nil
}

// cannedTransport answers every request with the same 200 JSON body, without
// a network, so a benchmark through it measures the client's own cost.
type cannedTransport struct{ body []byte }

func (t cannedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body) // as a real transport would send it
		req.Body.Close()
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(t.body)),
		ContentLength: int64(len(t.body)),
		Request:       req,
	}, nil
}

// newCannedServer starts a loopback server that answers every request with
// body and counts the TCP connections it accepts.
func newCannedServer(tb testing.TB, body []byte) (*httptest.Server, *atomic.Int64) {
	tb.Helper()
	conns := new(atomic.Int64)
	length := strconv.Itoa(len(body))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", length)
		_, _ = w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	return srv, conns
}

func newBenchClient(tb testing.TB, opts ...browseruse.Option) *browseruse.Client {
	tb.Helper()
	c, err := browseruse.New(append([]browseruse.Option{browseruse.WithAPIKey(benchKey)}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func inMemory(body []byte) browseruse.Option {
	return browseruse.WithHTTPClient(&http.Client{Transport: cannedTransport{body}})
}

// callFunc is one Execute Skill call returning a listing.
type callFunc func(context.Context) (listing, error)

func floorListing(hc *http.Client, base string) callFunc {
	return func(ctx context.Context) (listing, error) { return floorCall[listing](ctx, hc, base, benchInput) }
}

func clientListing(c *browseruse.Client) callFunc {
	return func(ctx context.Context) (listing, error) {
		r, err := browseruse.ExecuteSkillAs[listing](ctx, c, benchSkill, benchInput)
		if err != nil {
			return listing{}, err
		}
		return r.Value, nil
	}
}

// generatedListing calls through the bare oapi-codegen client, for reference:
// what the client would cost without its own request path.
func generatedListing(tb testing.TB, hc *http.Client, base string) callFunc {
	g, err := gen.NewClientWithResponses(base, gen.WithHTTPClient(hc),
		gen.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set(browseruse.KeyHeader, benchKey)
			return nil
		}))
	if err != nil {
		tb.Fatal(err)
	}
	return func(ctx context.Context) (listing, error) {
		var out listing
		r, err := g.ExecuteSkillWithResponse(ctx, benchSkill, benchInput)
		if err != nil {
			return out, err
		}
		if r.JSON200 == nil || !r.JSON200.Success {
			return out, fmt.Errorf("status %d", r.StatusCode())
		}
		return out, json.Unmarshal(r.JSON200.Result, &out)
	}
}

func runCalls(b *testing.B, call callFunc) {
	b.Helper()
	b.ReportAllocs()
	ctx := context.Background()
	for b.Loop() {
		l, err := call(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if !l.InStock {
			b.Fatal("result not decoded")
		}
	}
}

// BenchmarkSmall is one call with a ~200-byte result: through an in-memory
// RoundTripper (the client's own cost) and over loopback HTTP.
func BenchmarkSmall(b *testing.B) {
	b.Run("rt=memory", func(b *testing.B) {
		hc := &http.Client{Transport: cannedTransport{smallBody}}
		b.Run("impl=floor", func(b *testing.B) { runCalls(b, floorListing(hc, benchBase)) })
		b.Run("impl=client", func(b *testing.B) {
			runCalls(b, clientListing(newBenchClient(b, browseruse.WithBaseURL(benchBase), browseruse.WithHTTPClient(hc))))
		})
		b.Run("impl=generated", func(b *testing.B) { runCalls(b, generatedListing(b, hc, benchBase)) })
	})
	b.Run("rt=loopback", func(b *testing.B) {
		// The floor on http.DefaultTransport, the client on its defaults: the
		// choice a user makes by not choosing.
		b.Run("impl=floor", func(b *testing.B) {
			srv, conns := newCannedServer(b, smallBody)
			defer srv.Close()
			runCalls(b, floorListing(&http.Client{}, srv.URL))
			b.ReportMetric(float64(conns.Load()), "conns")
		})
		b.Run("impl=client", func(b *testing.B) {
			srv, conns := newCannedServer(b, smallBody)
			defer srv.Close()
			runCalls(b, clientListing(newBenchClient(b, browseruse.WithBaseURL(srv.URL))))
			b.ReportMetric(float64(conns.Load()), "conns")
		})
	})
}

// BenchmarkLarge decodes a 1 MB result (5,000 objects of 6 fields) into a
// []product. bytes/body is the memory allocated per call over the body size:
// an upper bound on how much the heap grows for one call, whenever the
// collector runs.
func BenchmarkLarge(b *testing.B) {
	c := newBenchClient(b, browseruse.WithBaseURL(benchBase), inMemory(largeBody))
	hc := &http.Client{Transport: cannedTransport{largeBody}}
	impls := []struct {
		name string
		call func(context.Context) ([]product, error)
	}{
		{"floor", func(ctx context.Context) ([]product, error) {
			return floorCall[[]product](ctx, hc, benchBase, benchInput)
		}},
		{"as", func(ctx context.Context) ([]product, error) {
			r, err := browseruse.ExecuteSkillAs[[]product](ctx, c, benchSkill, benchInput)
			if err != nil {
				return nil, err
			}
			return r.Value, nil
		}},
		{"decode", func(ctx context.Context) ([]product, error) {
			r, err := c.ExecuteSkill(ctx, benchSkill, benchInput)
			if err != nil {
				return nil, err
			}
			var out []product
			return out, r.Decode(&out)
		}},
		// Through interface{}: decoding into any and converting to the
		// typed slice, as code that starts from map[string]any ends up doing.
		{"any", func(ctx context.Context) ([]product, error) {
			r, err := browseruse.ExecuteSkillAs[any](ctx, c, benchSkill, benchInput)
			if err != nil {
				return nil, err
			}
			list, _ := r.Value.([]any)
			out := make([]product, len(list))
			for i, v := range list {
				m, _ := v.(map[string]any)
				id, _ := m["id"].(float64)
				out[i].ID = int(id)
				out[i].Name, _ = m["name"].(string)
				out[i].URL, _ = m["url"].(string)
				out[i].Price, _ = m["price"].(float64)
				out[i].InStock, _ = m["inStock"].(bool)
				out[i].Description, _ = m["description"].(string)
			}
			return out, nil
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(largeBody)))
			ctx := context.Background()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			n := 0
			for b.Loop() {
				out, err := impl.call(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if len(out) != 5000 || out[4999].ID != 104999 {
					b.Fatalf("decoded %d products", len(out))
				}
				n++
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(n)/float64(len(largeBody)), "bytes/body")
		})
	}
}

// BenchmarkConcurrency is 64 goroutines making 200 calls each over loopback:
// the floor on http.DefaultTransport, the client built with its defaults.
// conns/op counts the TCP connections the server accepted per round.
func BenchmarkConcurrency(b *testing.B) {
	const workers, callsEach = 64, 200
	impls := []struct {
		name string
		call func(tb testing.TB, base string) callFunc
	}{
		{"floor", func(_ testing.TB, base string) callFunc { return floorListing(&http.Client{}, base) }},
		{"client", func(tb testing.TB, base string) callFunc {
			return clientListing(newBenchClient(tb, browseruse.WithBaseURL(base)))
		}},
	}
	for _, impl := range impls {
		b.Run("impl="+impl.name, func(b *testing.B) {
			var conns int64
			for range b.N {
				b.StopTimer()
				// A fresh server each round, so no round reuses the
				// connections of the one before.
				srv, accepted := newCannedServer(b, smallBody)
				call := impl.call(b, srv.URL)
				b.StartTimer()
				var wg sync.WaitGroup
				for range workers {
					wg.Go(func() {
						ctx := context.Background()
						for range callsEach {
							if _, err := call(ctx); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				srv.Close()
				conns += accepted.Load()
				b.StartTimer()
			}
			b.ReportMetric(float64(conns)/float64(b.N), "conns/op")
		})
	}
}

// BenchmarkRetryMachinery is what being ready to retry costs when no retry
// happens: default retries beside WithMaxRetries(0), both succeeding.
func BenchmarkRetryMachinery(b *testing.B) {
	b.Run("impl=noretries", func(b *testing.B) {
		runCalls(b, clientListing(newBenchClient(b, browseruse.WithBaseURL(benchBase), inMemory(smallBody), browseruse.WithMaxRetries(0))))
	})
	b.Run("impl=retries", func(b *testing.B) {
		runCalls(b, clientListing(newBenchClient(b, browseruse.WithBaseURL(benchBase), inMemory(smallBody))))
	})
}
