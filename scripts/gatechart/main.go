// Command gatechart draws the gate at work as an SVG picture, for the docs:
// the "Running many skills" workload (scripts/manyskills.sh: a plan of 8
// sessions, 100 ms skills) against browserusetest's fake, first with one
// client (64 goroutines, 256 calls), then with two sharing the account (32
// goroutines and 128 calls each). Every 10 ms it samples each client's
// GateStats: its learned limit, its calls in flight and its refusals.
//
//	go run ./scripts/gatechart -o docs/gate.svg     # or: make gatechart
//
// A run takes about 8 s; its picture differs from the last one's in the
// details (the order in which calls are refused), not in its shape.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// sample is one client's gate at one instant.
type sample struct {
	t               time.Duration
	limit, inFlight int
	refusalsSoFar   int64
	waiting         int
}

// run is one scenario: the samples of each client, and the fake's counts.
type run struct {
	title   string
	clients [][]sample
	stats   browserusetest.Stats
	elapsed time.Duration
}

func main() {
	out := flag.String("o", "docs/gate.svg", "the SVG file to write")
	limit := flag.Int("limit", 8, "concurrent sessions of the plan")
	latency := flag.Duration("latency", 100*time.Millisecond, "time each skill takes")
	every := flag.Duration("every", 10*time.Millisecond, "sampling interval")
	flag.Parse()

	runs := []run{
		measure("one client: 64 goroutines, 256 calls", *limit, *latency, *every, 1, 64, 256),
		measure("two clients sharing the account: 32 goroutines, 128 calls each", *limit, *latency, *every, 2, 32, 128),
	}
	svg := render(runs, *limit)
	if err := os.WriteFile(*out, []byte(svg), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for _, r := range runs {
		fmt.Printf("%s: %.2f s, %d refusals, at most %d at once\n", r.title, r.elapsed.Seconds(), r.stats.Refusals, r.stats.MaxConcurrent)
	}
}

// measure runs clients clients of goroutines goroutines each, making calls
// calls per client, against one fake, and samples their gates.
func measure(title string, limit int, latency, every time.Duration, clients, goroutines, calls int) run {
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(limit)
	srv.SetLatency(latency)
	cs := make([]*browseruse.Client, clients)
	for i := range cs {
		c, err := srv.Client()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cs[i] = c
	}
	r := run{title: title, clients: make([][]sample, clients)}
	start := time.Now()
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			for i, c := range cs {
				s := c.GateStats()
				r.clients[i] = append(r.clients[i], sample{time.Since(start), s.Limit, s.InFlight, s.Refusals, s.Waiting})
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	var wg sync.WaitGroup
	for _, c := range cs {
		work(&wg, c, goroutines, calls)
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	close(done)
	<-sampled
	r.stats = srv.Stats()
	return r
}

// work starts goroutines goroutines that make calls calls on c between them.
func work(wg *sync.WaitGroup, c *browseruse.Client, goroutines, calls int) {
	skill := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	var mu sync.Mutex
	left := calls
	for range goroutines {
		wg.Go(func() {
			for {
				mu.Lock()
				if left == 0 {
					mu.Unlock()
					return
				}
				left--
				mu.Unlock()
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				_, err := c.ExecuteSkill(ctx, skill, browseruse.ExecuteSkillRequest{Parameters: map[string]any{}})
				cancel()
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
				}
			}
		})
	}
}
