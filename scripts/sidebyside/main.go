// Command sidebyside is the Go half of `make sidebyside` (see run.sh): a fake
// Execute Skill server with fixed results, and a driver that calls it with
// this client. drive.mjs is the same driver on the official TypeScript SDK.
//
//	go run ./scripts/sidebyside serve -addr 127.0.0.1:0
//	go run ./scripts/sidebyside drive -url http://127.0.0.1:PORT/api/v2 -size large -conc 16 -dur 5s
//	go run ./scripts/sidebyside drive -url ... -size large -cpuprofile cpu.out  # then go tool pprof
//
// The driver prints one line of JSON: calls, seconds, calls/s and the CPU
// time of its own process per call, which drive.mjs prints the same way,
// and the bytes it allocated per call and the collections it ran, which do
// not depend on the machine's load (nor on GOGC, for the bytes).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
)

// The skill IDs the server tells apart: one returns a ~200-byte result, the
// other 1 MB (5,000 objects of 6 fields), as bench_test.go's do.
var (
	smallSkill = uuid.MustParse("5d0a3c9e-2b7f-4e61-a8c4-71f9e0b2d3a6")
	largeSkill = uuid.MustParse("9e4b1f7a-6c2d-4a85-b3e0-2f8d7c6a1b59")
)

type listing struct {
	Title   string  `json:"title"`
	URL     string  `json:"url"`
	Price   float64 `json:"price"`
	InStock bool    `json:"inStock"`
}

type product struct {
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	URL         string  `json:"url"`
	Price       float64 `json:"price"`
	InStock     bool    `json:"inStock"`
	Description string  `json:"description"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sidebyside serve|drive [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "drive":
		err = drive(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	_ = fs.Parse(args)

	small := mustJSON(map[string]any{
		"success": true,
		"result": listing{Title: "7-in-1 USB-C hub, 4K HDMI, 100 W PD", URL: "https://shop.example/p/88213",
			Price: 34.99, InStock: true},
		"stderr": "", "latencyMs": 1840,
	})
	items := make([]product, 5000)
	for i := range items {
		items[i] = product{
			ID: 100000 + i, Name: "Product " + strconv.Itoa(i) + " of the catalogue",
			URL:   "https://shop.example/p/" + strconv.Itoa(100000+i),
			Price: float64(i%9000)/100 + 0.99, InStock: i%3 != 0,
			Description: strings.Repeat("lorem ipsum dolor sit amet ", 3) + strconv.Itoa(i),
		}
	}
	large := mustJSON(map[string]any{"success": true, "result": items, "latencyMs": 52310})
	bodies := map[string][]byte{smallSkill.String(): small, largeSkill.String(): large}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	// run.sh reads the URL from the first line.
	fmt.Printf("http://%s/api/v2\n", ln.Addr())
	return http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		id, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/api/v2/skills/"), "/execute")
		body := bodies[id]
		if !ok || r.Method != http.MethodPost || body == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func drive(args []string) error {
	fs := flag.NewFlagSet("drive", flag.ExitOnError)
	base := fs.String("url", "", "the server's base URL")
	size := fs.String("size", "small", "small or large")
	conc := fs.Int("conc", 1, "concurrent callers")
	dur := fs.Duration("dur", 5*time.Second, "how long to call")
	prof := fs.String("cpuprofile", "", "write a CPU profile of the timed calls to this file")
	_ = fs.Parse(args)

	c, err := browseruse.New(browseruse.WithAPIKey("bu_sidebyside"), browseruse.WithBaseURL(*base))
	if err != nil {
		return err
	}
	req := browseruse.ExecuteSkillRequest{Parameters: map[string]any{"query": "usb-c hub", "limit": 10}}
	var call func(context.Context) error
	switch *size {
	case "small":
		call = func(ctx context.Context) error {
			r, err := browseruse.ExecuteSkillAs[listing](ctx, c, smallSkill, req)
			if err == nil && !r.Value.InStock {
				err = fmt.Errorf("result not decoded")
			}
			return err
		}
	case "large":
		call = func(ctx context.Context) error {
			r, err := browseruse.ExecuteSkillAs[[]product](ctx, c, largeSkill, req)
			if err == nil && len(r.Value) != 5000 {
				err = fmt.Errorf("decoded %d products", len(r.Value))
			}
			return err
		}
	default:
		return fmt.Errorf("size %q: want small or large", *size)
	}
	ctx := context.Background()
	for range 3 * *conc { // warm the connections and the decoder's caches
		if err := call(ctx); err != nil {
			return err
		}
	}

	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var calls atomic.Int64
	var firstErr error
	var once sync.Once
	var mem0, mem1 runtime.MemStats
	runtime.ReadMemStats(&mem0)
	cpu0, start := cpuTime(), time.Now()
	deadline := start.Add(*dur)
	var wg sync.WaitGroup
	for range *conc {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				if err := call(ctx); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				calls.Add(1)
			}
		})
	}
	wg.Wait()
	secs, cpu := time.Since(start).Seconds(), cpuTime()-cpu0
	runtime.ReadMemStats(&mem1)
	if firstErr != nil {
		return firstErr
	}
	n := calls.Load()
	fmt.Printf(`{"calls":%d,"seconds":%.2f,"callsPerSec":%.1f,"cpuMsPerCall":%.3f,"allocKBPerCall":%.1f,"gcs":%d}`+"\n",
		n, secs, float64(n)/secs, cpu.Seconds()*1000/float64(n),
		float64(mem1.TotalAlloc-mem0.TotalAlloc)/1024/float64(n), mem1.NumGC-mem0.NumGC)
	return nil
}
