// Package gatesim runs loads of Execute Skill calls through real
// browseruse clients against one browserusetest fake, in virtual time
// (testing/synctest): minutes of a plan's sessions pass in milliseconds,
// whatever the machine's load, so tests can assert what the gate did and
// the table of scripts/gatesim.sh can be measured for any commit. It uses
// only API that main has had since the gate, so the script can run it
// against an older client too.
package gatesim

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// Plan is the account: its limit of sessions, how long a skill and a
// refusal take, and sessions held by something that is not a load.
type Plan struct {
	Limit      int
	Latency    time.Duration // a skill's
	Jitter     time.Duration // up to this much more, at random
	RefusalRTT time.Duration // a 429's round trip
	Queue      bool          // the server holds a call up to RefusalRTT for a session before refusing it
	// Network is the time a request takes to reach the fake and an answer
	// to come back, each way: the server frees a session while its answer
	// is still on the way, as over a real network.
	Network time.Duration
	Hold    int           // sessions held elsewhere from the start
	HoldFor time.Duration // for this long; 0: for good
}

// Load is one client of the account and what it runs.
type Load struct {
	Name  string
	Calls int
	// Concurrency is the batch's Concurrency, or the number of goroutines
	// with Goroutines.
	Concurrency int
	// Goroutines runs the calls as a crowd of goroutines calling
	// ExecuteSkill, rather than one ExecuteSkillBatch.
	Goroutines bool
	Start      time.Duration // after the run's start
	Options    []browseruse.Option
	// Timeout bounds each call (goroutines) or the batch; 0: an hour.
	Timeout time.Duration
	// Trace, if set, is called with the client's gate every TraceEvery
	// while the load runs.
	Trace      func(at time.Duration, st browseruse.GateStats)
	TraceEvery time.Duration
}

// Session is one session a load's call held at the fake: from its
// admission to its answer.
type Session struct{ From, To time.Duration }

// LoadResult is what happened to one load.
type LoadResult struct {
	Name      string
	Failed    int
	FirstErr  error
	Refusals  int
	RefusedAt []time.Duration // when each 429 came back
	Requests  int
	Sessions  []Session // in order of admission
	// Waits are each successful call's time from being made (dispatched,
	// in a batch) to getting its session, in the order they ended: exact
	// for a load of one goroutine, and with no Plan.Jitter.
	Waits     []time.Duration
	Finished  time.Duration
	GateLimit int // the client's GateStats().Limit at the end
}

// Result is a run's outcome.
type Result struct {
	Plan    Plan
	Loads   []LoadResult
	Elapsed time.Duration // until the last load finished
	Server  browserusetest.Stats
}

// Run plays the loads on one fake with plan's limits, in virtual time. It
// must not be called inside a synctest bubble: it makes its own.
func Run(t testing.TB, p Plan, loads ...Load) Result {
	t.Helper()
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(p.Limit)
	srv.SetLatency(p.Latency)
	srv.SetLatencyJitter(p.Jitter)
	srv.SetRefusalLatency(p.RefusalRTT)
	srv.SetRefusalQueue(p.Queue)
	res := Result{Plan: p, Loads: make([]LoadResult, len(loads))}
	tt, ok := t.(*testing.T)
	if !ok {
		t.Fatal("gatesim.Run needs a *testing.T")
	}
	synctest.Test(tt, func(t *testing.T) {
		start := time.Now()
		if p.Hold > 0 {
			release := srv.HoldSessions(p.Hold)
			if p.HoldFor > 0 {
				time.AfterFunc(p.HoldFor, release)
			} else {
				defer release()
			}
		}
		var wg sync.WaitGroup
		for i, l := range loads {
			wg.Go(func() { res.Loads[i] = play(t, srv, p, l, start) })
		}
		wg.Wait()
		for _, l := range res.Loads {
			res.Elapsed = max(res.Elapsed, l.Finished)
		}
	})
	res.Server = srv.Stats()
	for _, v := range srv.Violations() {
		t.Errorf("browserusetest: %v", v)
	}
	return res
}

// counter is a load's transport: it counts what the fake answered, and
// when each admitted call held its session.
type counter struct {
	next     http.RoundTripper
	latency  time.Duration
	queue    bool
	network  time.Duration // each way
	start    time.Time
	lastFrom time.Duration // the last admitted call's admission
	mu       sync.Mutex
	refusals []time.Duration
	requests int
	sessions []Session
}

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(c.network)
	sent := time.Since(c.start) // at the fake
	resp, err := c.next.RoundTrip(r)
	answered := time.Since(c.start)
	time.Sleep(c.network)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.requests++
	if err == nil {
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			c.refusals = append(c.refusals, time.Since(c.start))
		case http.StatusOK:
			// The in-process fake admits a call as it arrives, unless it
			// queues it (Plan.Queue): then it ran for the latency.
			to, from := answered, sent
			if c.queue {
				from = to - c.latency
			}
			c.sessions = append(c.sessions, Session{From: from, To: to})
			c.lastFrom = from
		}
	}
	return resp, err
}

func play(t *testing.T, srv *browserusetest.Server, p Plan, l Load, start time.Time) LoadResult {
	time.Sleep(l.Start)
	ct := &counter{next: srv.InProcess(), latency: p.Latency, queue: p.Queue, network: p.Network, start: start}
	opts := append([]browseruse.Option{browseruse.WithHTTPClient(&http.Client{Transport: ct})}, l.Options...)
	c, err := srv.Client(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if l.Trace != nil {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			tk := time.NewTicker(l.TraceEvery)
			defer tk.Stop()
			for {
				select {
				case <-tk.C:
					l.Trace(time.Since(start), c.GateStats())
				case <-stop:
					return
				}
			}
		}()
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = time.Hour
	}
	var failed atomic.Int64
	var firstErr atomic.Value
	fail := func(err error) {
		failed.Add(1)
		firstErr.CompareAndSwap(nil, err)
	}
	var mu sync.Mutex
	var waits []time.Duration
	waited := func(d time.Duration) {
		mu.Lock()
		waits = append(waits, d-p.Latency)
		mu.Unlock()
	}
	skill := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	if l.Goroutines {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range l.Concurrency {
			wg.Go(func() {
				for next.Add(1) <= int64(l.Calls) {
					ctx, cancel := context.WithTimeout(context.Background(), timeout)
					t0 := time.Since(start)
					if _, err := c.ExecuteSkill(ctx, skill, browseruse.ExecuteSkillRequest{}); err != nil {
						fail(err)
					} else if l.Concurrency == 1 {
						ct.mu.Lock()
						waited(ct.lastFrom - t0 + p.Latency) // exact: one call at a time
						ct.mu.Unlock()
					} else {
						waited(time.Since(start) - t0)
					}
					cancel()
				}
			})
		}
		wg.Wait()
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		reqs := make([]browseruse.ExecuteSkillRequest, l.Calls)
		for r := range c.ExecuteSkillBatch(ctx, skill, slices.Values(reqs), browseruse.BatchOptions{Concurrency: l.Concurrency}) {
			if r.Err != nil {
				fail(r.Err)
			} else {
				waited(r.Duration)
			}
		}
		cancel()
	}
	ct.mu.Lock()
	defer ct.mu.Unlock()
	res := LoadResult{Name: l.Name, Failed: int(failed.Load()), Refusals: len(ct.refusals), RefusedAt: slices.Clone(ct.refusals), Requests: ct.requests,
		Sessions: slices.Clone(ct.sessions), Waits: waits, Finished: time.Since(start), GateLimit: c.GateStats().Limit}
	if e, ok := firstErr.Load().(error); ok {
		res.FirstErr = e
	}
	slices.SortFunc(res.Sessions, func(a, b Session) int { return int(a.From - b.From) })
	return res
}

// Ideal is the time calls take on plan with every session busy from the
// start: ceil(calls / limit) skills one after another, of the mean
// latency and the network's round trip. With Jitter that is a little short
// of what the luckiest packing reaches, so ratios to it are a little high.
func Ideal(p Plan, calls int) time.Duration {
	return time.Duration((calls+p.Limit-1)/p.Limit) * (p.Latency + p.Jitter/2 + 2*p.Network)
}

// HeldAt is how many sessions the load held at virtual time at.
func (l LoadResult) HeldAt(at time.Duration) int {
	n := 0
	for _, s := range l.Sessions {
		if s.From <= at && at < s.To {
			n++
		}
	}
	return n
}

// MaxWait is the longest of Waits.
func (l LoadResult) MaxWait() time.Duration {
	if len(l.Waits) == 0 {
		return -1
	}
	return slices.Max(l.Waits)
}

// MostRefusalsPerSecond is the most 429s the load got in any second from
// from on.
func (l LoadResult) MostRefusalsPerSecond(from time.Duration) int {
	most := 0
	for i, at := range l.RefusedAt {
		if at < from {
			continue
		}
		n := 0
		for _, b := range l.RefusedAt[i:] {
			if b-at >= time.Second {
				break
			}
			n++
		}
		most = max(most, n)
	}
	return most
}

// FirstSession is when the load's first call got a session; -1 if none did.
func (l LoadResult) FirstSession() time.Duration {
	if len(l.Sessions) == 0 {
		return -1
	}
	return l.Sessions[0].From
}

// ThirdEach is how long after from the first two loads first held a third
// of the plan each at once (to 10 ms); -1 if they never did.
func (r Result) ThirdEach(from time.Duration) time.Duration {
	a, b := r.Loads[0], r.Loads[1]
	for at := from; at < r.Elapsed; at += 10 * time.Millisecond {
		if 3*a.HeldAt(at) >= r.Plan.Limit && 3*b.HeldAt(at) >= r.Plan.Limit {
			return at - from
		}
	}
	return -1
}
