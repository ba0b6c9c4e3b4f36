// Command godriver runs the "many skills" workload with this client against
// a fake started by scripts/manyskills.sh, and prints one JSON line:
// failures and wall time. It uses only API that main has had since before
// the gate (New, ExecuteSkill), so the script can build it from either
// commit to compare.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
)

func main() {
	url := flag.String("url", "", "fake base URL")
	clients := flag.Int("clients", 1, "clients sharing the account")
	goroutines := flag.Int("goroutines", 64, "goroutines per client")
	calls := flag.Int("calls", 256, "calls per client")
	timeout := flag.Duration("timeout", 2*time.Minute, "deadline of each call")
	flag.Parse()

	skill := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	var failed atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	finished := make([]float64, *clients)
	for ci := range *clients {
		c, err := browseruse.New(browseruse.WithAPIKey("bu_test_key"), browseruse.WithBaseURL(*url))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		var next atomic.Int64
		var cwg sync.WaitGroup
		cwg.Add(*goroutines)
		go func() { cwg.Wait(); finished[ci] = time.Since(start).Seconds() }()
		for range *goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer cwg.Done()
				for next.Add(1) <= int64(*calls) {
					ctx, cancel := context.WithTimeout(context.Background(), *timeout)
					_, err := c.ExecuteSkill(ctx, skill, browseruse.ExecuteSkillRequest{Parameters: map[string]any{}})
					cancel()
					if err != nil {
						failed.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
			}()
		}
	}
	wg.Wait()
	time.Sleep(time.Millisecond) // let the per-client watchers record
	out := map[string]any{"failures": failed.Load(), "seconds": time.Since(start).Seconds()}
	if *clients > 1 {
		out["clientSeconds"] = finished
	}
	if e := firstErr.Load(); e != nil {
		out["firstError"] = e
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
