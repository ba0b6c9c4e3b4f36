package main

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/browser-use/browseruse-go"
)

// defaultProgressInterval is how often a plain status line is printed when
// stderr is not a terminal: often enough for a log, rarely enough not to
// drown it.
const defaultProgressInterval = 5 * time.Second

// progress tracks a batch for the status on stderr. add is called from the
// loop that reads the results; the drawing runs on its own goroutine.
type progress struct {
	total int
	stats func() browseruse.GateStats
	start time.Time

	mu                    sync.Mutex
	done, ok, failed, ran int

	stopOnce sync.Once
	quit     chan struct{}
	exited   chan struct{}
}

func (c *cli) startProgress(total int, stats func() browseruse.GateStats) *progress {
	p := &progress{total: total, stats: stats, start: time.Now(), quit: make(chan struct{}), exited: make(chan struct{})}
	interval := defaultProgressInterval
	if d, err := time.ParseDuration(os.Getenv("BROWSERUSE_PROGRESS_INTERVAL")); err == nil && d > 0 {
		interval = d
	}
	go func() {
		defer close(p.exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintln(c.stderr, "browseruse: "+p.line())
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

// add counts one result; recorded is false for an input that was not run.
func (p *progress) add(r browseruse.BatchResult, recorded bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if !recorded {
		return
	}
	if r.Err == nil {
		p.ok++
	} else {
		p.failed++
	}
	if ranSkill(r) {
		p.ran++
	}
}

// ranSkill reports whether the API ran the skill for r, which is what an
// account is billed for: a success, or a skill that ran and failed.
func ranSkill(r browseruse.BatchResult) bool {
	var skillErr *browseruse.SkillError
	return r.Err == nil || errors.As(r.Err, &skillErr)
}

// line is the status: done/total, outcomes, the gate, rate and ETA.
func (p *progress) line() string {
	p.mu.Lock()
	done, ok, failed, ran := p.done, p.ok, p.failed, p.ran
	p.mu.Unlock()
	gs := p.stats()
	elapsed := time.Since(p.start)
	rate := float64(done) / elapsed.Seconds()
	eta := "?"
	if done > 0 {
		eta = (time.Duration(float64(p.total-done) / rate * float64(time.Second))).Round(time.Second).String()
	}
	return fmt.Sprintf("batch: %d/%d done, %d ok, %d failed, %d in flight, limit %d, %d refusals, %d ran (billed), %.1f/s, ETA %s",
		done, p.total, ok, failed, gs.InFlight, gs.Limit, gs.Refusals, ran, rate, eta)
}

func (p *progress) stop() {
	p.stopOnce.Do(func() { close(p.quit) })
	<-p.exited
}
