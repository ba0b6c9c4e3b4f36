package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/browser-use/browseruse-go"
)

// defaultProgressInterval is how often a plain status line is printed when
// stderr is not a terminal: often enough for a log, rarely enough not to
// drown it. $BROWSERUSE_PROGRESS_INTERVAL overrides it.
const defaultProgressInterval = 5 * time.Second

// progress shows a batch's state on stderr: on a terminal a live bar drawn
// by mpb, elsewhere a plain status line every few seconds. add is called
// from the loop that reads the results; the drawing runs on its own
// goroutine.
type progress struct {
	stats func() browseruse.GateStats
	start time.Time
	w     io.Writer

	mu                    sync.Mutex
	total                 int // -1 until known: the input is read as the batch runs
	done, ok, failed, ran int

	live *mpb.Progress // nil: plain lines
	bar  *mpb.Bar

	stopOnce sync.Once
	quit     chan struct{}
	exited   chan struct{}
}

// live asks for the bar; --verbose's log lines would tear it, so they get
// plain lines too. The total is not known until the input has been read to
// its end: setTotal gives it.
func (c *cli) startProgress(live bool, stats func() browseruse.GateStats) *progress {
	p := &progress{total: -1, stats: stats, start: time.Now(), w: c.stderr,
		quit: make(chan struct{}), exited: make(chan struct{})}
	if live && c.interactive {
		p.live = mpb.New(mpb.WithOutput(c.stderr), mpb.WithWidth(24), mpb.WithRefreshRate(200*time.Millisecond))
		// A total of 0 is mpb's "a total to come" (SetTotal).
		p.bar = p.live.AddBar(0,
			mpb.PrependDecorators(decor.Name("batch "), decor.Any(func(decor.Statistics) string { return p.counters() })),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string { return p.status() })),
		)
		close(p.exited)
		return p
	}
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
				fmt.Fprintf(c.stderr, "browseruse: batch: %s done, %s\n", p.counters(), p.status())
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
	p.done++
	if recorded {
		if r.Err == nil {
			p.ok++
		} else {
			p.failed++
		}
		if ranSkill(r) {
			p.ran++
		}
	}
	p.mu.Unlock()
	if p.bar != nil {
		p.bar.Increment()
	}
}

// ranSkill reports whether the API ran the skill for r, which is what an
// account is billed for: a success, or a skill that ran and failed. The API
// does not say what a call cost, so the status counts calls, not credits.
func ranSkill(r browseruse.BatchResult) bool {
	var skillErr *browseruse.SkillError
	return r.Err == nil || errors.As(r.Err, &skillErr)
}

// setTotal gives the total once the input has been read to its end.
func (p *progress) setTotal(total int) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
	if p.bar != nil {
		p.bar.SetTotal(int64(total), false)
		p.bar.EnableTriggerComplete() // full once done reaches it, as with a total known from the start
	}
}

// counters is done/total, with ? for a total not known yet.
func (p *progress) counters() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.total < 0 {
		return fmt.Sprintf("%d/?", p.done)
	}
	return fmt.Sprintf("%d/%d", p.done, p.total)
}

// status is everything but done/total: outcomes, the client's gate (calls
// in flight, its current limit, the refusals it met), rate and ETA.
func (p *progress) status() string {
	p.mu.Lock()
	total, done, ok, failed, ran := p.total, p.done, p.ok, p.failed, p.ran
	p.mu.Unlock()
	gs := p.stats()
	rate := float64(done) / time.Since(p.start).Seconds()
	eta := "?"
	if done > 0 && total >= 0 {
		eta = time.Duration(float64(total-done) / rate * float64(time.Second)).Round(time.Second).String()
	}
	return fmt.Sprintf("%d ok, %d failed, %d in flight, limit %d, %d refusals, %d billed calls, %.1f/s, ETA %s",
		ok, failed, gs.InFlight, gs.Limit, gs.Refusals, ran, rate, eta)
}

// say prints msg on stderr, above the bar when there is one.
func (p *progress) say(msg string) {
	if p != nil && p.live != nil {
		fmt.Fprintln(p.live, msg)
		return
	}
	fmt.Fprintln(p.w, msg)
}

// stop ends the drawing and returns once it has: what follows on stderr
// (the summary) is not overdrawn.
func (p *progress) stop() {
	p.stopOnce.Do(func() {
		close(p.quit)
		if p.live != nil {
			if !p.bar.Completed() {
				p.bar.Abort(false) // keep the last state on screen
			}
			p.live.Wait()
		}
	})
	<-p.exited
}
