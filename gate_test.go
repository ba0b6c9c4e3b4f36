package browseruse_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// plan is a fake account: a limit of 8 concurrent sessions and skills of
// 100 ms, the figures of the README's "Running many skills".
func plan(t *testing.T) *browserusetest.Server {
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(8)
	srv.SetLatency(100 * time.Millisecond)
	return srv
}

// hammer runs calls Execute Skill calls on c from goroutines goroutines and
// returns the failures.
func hammer(ctx context.Context, c *browseruse.Client, goroutines, calls int) (failed []error) {
	var mu sync.Mutex
	var next atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for next.Add(1) <= int64(calls) {
				if _, err := execute(ctx, c, nil); err != nil {
					mu.Lock()
					failed = append(failed, err)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return failed
}

// The hammer tests run in virtual time (synctest, in process, with the
// API's refusal round trip): how many refusals a gate draws must not
// depend on how late a loaded machine delivers its answers.

func TestGate_OneClientRunsAtTheLimitWithoutLosingACall(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	srv.SetRefusalLatency(refusalRTT)
	var gs browseruse.GateStats
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(inProcess(srv, nil))
		if err != nil {
			t.Fatal(err)
		}
		if failed := hammer(t.Context(), c, 64, 256); len(failed) > 0 {
			t.Fatalf("%d of 256 calls failed, first: %v", len(failed), failed[0])
		}
		gs = c.GateStats()
	})
	st := srv.Stats()
	if st.Executions != 256 {
		t.Errorf("%d executions, want each call run exactly once", st.Executions)
	}
	// The slow start's overshoot plus rare probes: one refusal in eight
	// calls at most, where a fixed backoff sends more refusals than calls.
	if st.Refusals > 32 {
		t.Errorf("%d refusals for 256 calls, want at most 32", st.Refusals)
	}
	if st.MaxConcurrent > 8 {
		t.Errorf("fake ran %d at once with a limit of 8", st.MaxConcurrent)
	}
	// The limit ends near 8: a probe admitted just as a call ended can
	// look as if it held, so allow some room above.
	if gs.Refusals != int64(st.Refusals) || gs.InFlight != 0 || gs.Waiting != 0 || gs.Limit < 1 || gs.Limit > 12 {
		t.Errorf("GateStats = %+v after the run, fake saw %d refusals", gs, st.Refusals)
	}
}

func TestGate_TwoClientsShareTheLimitWithoutARefusalLoop(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	srv.SetRefusalLatency(refusalRTT)
	var failed []error
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 2 {
			c, err := srv.Client(inProcess(srv, nil))
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() {
				f := hammer(t.Context(), c, 32, 128)
				mu.Lock()
				failed = append(failed, f...)
				mu.Unlock()
			})
		}
		wg.Wait()
	})
	if len(failed) > 0 {
		t.Fatalf("%d of 256 calls failed, first: %v", len(failed), failed[0])
	}
	st := srv.Stats()
	t.Logf("%d refusals for 256 calls", st.Refusals)
	if st.Refusals > 64 || st.Executions != 256 {
		t.Errorf("%d refusals and %d executions for 256 calls, want at most 64 and 256", st.Refusals, st.Executions)
	}
}

func TestGate_LimitHeldElsewhereThenFreed(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	release := srv.HoldSessions(8)
	time.AfterFunc(3*time.Second, release)
	c, err := srv.Client(browseruse.WithMaxRetries(0)) // refusals are not retries
	if err != nil {
		t.Fatal(err)
	}
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	// A backoff that grows with the lockout, not a loop: about 9 tries in
	// 3 s.
	if st := srv.Stats(); st.Refusals > 12 || st.Refusals < 1 {
		t.Errorf("%d refusals while the limit was held for 3 s, want 1 to 12", st.Refusals)
	}
}

// A client shut out by another (at the start, both raced for the sessions
// and the other won) must use the whole limit within a few rounds once the
// other lets go: every round it spends below the limit is a round of the
// plan paid for and idle. Before, the refusals that shut it out also set
// its threshold to 1, and it took 8 calls at 1 before even trying 2.
func TestGate_AClientShutOutClimbsBackFastOnceFreed(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	// In virtual time (synctest, in process): how many calls the climb
	// takes must not depend on how slowly a loaded machine answers. The
	// API's refusal round trip, as in gate_sim_test.go: one of no time at
	// all is no network's.
	srv.SetRefusalLatency(refusalRTT)
	synctest.Test(t, func(t *testing.T) {
		release := srv.HoldSessions(8)
		var freed atomic.Bool
		var inFlight, succeeded, beforeFull atomic.Int64
		beforeFull.Store(-1)
		count := func(next http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if n := inFlight.Add(1); n >= 8 && freed.Load() {
					beforeFull.CompareAndSwap(-1, succeeded.Load())
				}
				defer inFlight.Add(-1)
				resp, err := next.RoundTrip(r)
				if err == nil && resp.StatusCode == http.StatusOK {
					succeeded.Add(1)
				}
				return resp, err
			})
		}
		c, err := srv.Client(inProcess(srv, count))
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan []error)
		go func() { done <- hammer(t.Context(), c, 32, 40) }()
		// Its first 10 calls are all refused: it is shut out.
		waitFor(t, "10 refusals", func() bool { return srv.Stats().Refusals >= 10 })
		freed.Store(true)
		release()
		if failed := <-done; len(failed) > 0 {
			t.Fatalf("%d of 40 calls failed, first: %v", len(failed), failed[0])
		}
		// At worst a slow start from 1: 1, 2 and 4 at once, so 7 calls
		// before 8 run at once (the ramp on admissions does better). In
		// virtual time a late answer no longer needs room above that.
		t.Logf("%d calls succeeded before 8 ran at once", beforeFull.Load())
		if n := beforeFull.Load(); n < 0 || n > 7 {
			t.Errorf("%d calls had succeeded before 8 ran at once (-1: never), want at most 7", n)
		}
	})
}

func TestGate_LimitHeldForGoodEndsAtTheDeadline(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	defer srv.HoldSessions(8)()
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	_, err = execute(ctx, c, nil)
	if !errors.Is(err, browseruse.ErrTooManyRequests) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTooManyRequests and the deadline", err)
	}
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Errorf("err = %v, want the last 429 inside", err)
	}
	if n := srv.Stats().Refusals; !strings.Contains(err.Error(), "refusals") || n > 12 {
		t.Errorf("%d refusals, err = %v: want a bounded few, and the count in the message", n, err)
	}
}

func TestGate_WithMaxSlotWaitEndsAWaitWithoutProgress(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	defer srv.HoldSessions(8)()
	c, err := srv.Client(browseruse.WithMaxSlotWait(300 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	_, err = execute(t.Context(), c, nil)
	if !errors.Is(err, browseruse.ErrTooManyRequests) || errors.Is(err, context.DeadlineExceeded) ||
		!strings.Contains(err.Error(), "waiting") {
		t.Fatalf("err = %v, want ErrTooManyRequests saying how long it waited", err)
	}
}

func TestGate_WithoutSlotWaitFailsAtOnce(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	defer srv.HoldSessions(8)()
	c, err := srv.Client(browseruse.WithoutSlotWait())
	if err != nil {
		t.Fatal(err)
	}
	_, err = execute(t.Context(), c, nil)
	if !errors.Is(err, browseruse.ErrTooManyRequests) || srv.Stats().Requests != 1 {
		t.Fatalf("err = %v after %d requests, want the 429 after 1", err, srv.Stats().Requests)
	}
}

// WithMaxConcurrency set to the plan's limit uses all of it and is never
// refused. In virtual time: on a loaded machine the 32 goroutines may not
// keep 8 calls in flight at once, which is not what this asserts.
func TestGate_WithMaxConcurrencyNeverGetsA429(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(8)
	srv.SetLatency(20 * time.Millisecond)
	srv.SetRefusalLatency(refusalRTT)
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(inProcess(srv, nil), browseruse.WithMaxConcurrency(8))
		if err != nil {
			t.Fatal(err)
		}
		if failed := hammer(t.Context(), c, 32, 64); len(failed) > 0 {
			t.Fatal(failed[0])
		}
	})
	if st := srv.Stats(); st.Refusals != 0 || st.MaxConcurrent != 8 {
		t.Errorf("stats %+v, want no refusal and the full limit used", st)
	}
}

func TestGate_CancelWhileQueuedLeavesNoSlotTaken(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(200 * time.Millisecond)
	c, err := srv.Client(browseruse.WithMaxConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := execute(t.Context(), c, nil); done <- err }()
	for c.GateStats().InFlight == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithCancel(t.Context())
	queued := make(chan error)
	go func() { _, err := execute(ctx, c, nil); queued <- err }()
	for c.GateStats().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-queued; !errors.Is(err, context.Canceled) || errors.Is(err, browseruse.ErrTooManyRequests) {
		t.Errorf("queued call: err = %v, want context.Canceled alone (nothing refused it)", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if gs := c.GateStats(); gs.InFlight != 0 || gs.Waiting != 0 {
		t.Errorf("GateStats = %+v, want nothing in flight or waiting", gs)
	}
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatalf("the slot was lost: %v", err)
	}
	if n := srv.Stats().Requests; n != 2 {
		t.Errorf("fake saw %d calls, want 2: the cancelled one never went out", n)
	}
}

func TestGate_LogsEachRefusalWithTheLimit(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	release := srv.HoldSessions(8)
	var rec recorder
	c, err := srv.Client(browseruse.WithLogger(slog.New(&rec)))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, release)
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatal(err)
	}
	refusals := 0
	for _, r := range rec.all() {
		a := attrs(r)
		if a["status"].Int64() != http.StatusTooManyRequests {
			continue
		}
		refusals++
		if r.Level != slog.LevelDebug || a["in_flight"].Kind() != slog.KindInt64 || a["limit"].Int64() != 1 ||
			a["refusals_so_far"].Int64() != int64(refusals) {
			t.Errorf("refusal %d logged at %v with %v, want debug with in_flight, limit 1 and refusals_so_far %d",
				refusals, r.Level, a, refusals)
		}
	}
	if refusals != srv.Stats().Refusals || refusals == 0 {
		t.Errorf("%d refusals logged, fake sent %d", refusals, srv.Stats().Refusals)
	}
}

func TestGate_TwoClientsAtALimitOfOneDoNotLoop(t *testing.T) {
	t.Parallel()
	// The case where a naive gate re-sends refused calls at once: each
	// client alone with one call, the other holding the only session.
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(1)
	srv.SetLatency(50 * time.Millisecond)
	srv.SetRefusalLatency(refusalRTT)
	var failed atomic.Int64
	synctest.Test(t, func(t *testing.T) {
		var wg sync.WaitGroup
		for range 2 {
			c, err := srv.Client(inProcess(srv, nil))
			if err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { failed.Add(int64(len(hammer(t.Context(), c, 4, 20)))) })
		}
		wg.Wait()
	})
	st := srv.Stats()
	t.Logf("%d refusals for 40 calls", st.Refusals)
	if failed.Load() > 0 || st.Executions != 40 || st.Refusals > 40 {
		t.Errorf("%d failed, stats %+v: want 40 run, no more refusals than calls", failed.Load(), st)
	}
}

// WithMaxRetryWait bounds the wait before retrying a failure; it must not
// shorten the backoff of a call shut out by a limit held elsewhere, or a
// short setting re-sends the refused call in a loop (issue 9).
func TestGate_ShortMaxRetryWaitKeepsTheLockoutBackoff(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	defer srv.HoldSessions(8)()
	c, err := srv.Client(browseruse.WithMaxRetryWait(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if _, err := execute(ctx, c, nil); !errors.Is(err, browseruse.ErrTooManyRequests) {
		t.Fatalf("err = %v, want ErrTooManyRequests", err)
	}
	if n := srv.Stats().Refusals; n > 15 {
		t.Errorf("%d refusals in 3 s shut out: the backoff became a loop", n)
	}
}

// WithMaxConcurrency is a ceiling the caller chose; WithoutSlotWait only
// says not to wait for it. A call past it fails locally, never reaching the
// API, so the plan's limit is never exceeded.
func TestGate_WithoutSlotWaitKeepsTheMaxConcurrencyCeiling(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	c, err := srv.Client(browseruse.WithMaxConcurrency(8), browseruse.WithoutSlotWait())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var failed []error
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			if _, err := execute(t.Context(), c, nil); err != nil {
				mu.Lock()
				failed = append(failed, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := srv.Stats()
	if st.Refusals != 0 || st.MaxConcurrent > 8 {
		t.Errorf("stats %+v, want no refusal and at most 8 at once", st)
	}
	if len(failed)+int(st.Requests) != 16 {
		t.Errorf("%d failed, %d sent: a call failed locally must not be sent", len(failed), st.Requests)
	}
	for _, err := range failed {
		if !errors.Is(err, browseruse.ErrTooManyRequests) {
			t.Errorf("err = %v, want ErrTooManyRequests", err)
		}
	}
}

// A transport given through WithHTTPClient may panic; a caller who recovers
// must find the client whole, not a session slot short for good.
func TestGate_APanicWhileSendingGivesTheSlotBack(t *testing.T) {
	t.Parallel()
	srv := plan(t)
	var boom atomic.Bool
	boom.Store(true)
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if boom.Load() {
			panic("transport bug")
		}
		return http.DefaultTransport.RoundTrip(r)
	})}
	c, err := srv.Client(browseruse.WithHTTPClient(hc), browseruse.WithMaxConcurrency(1))
	if err != nil {
		t.Fatal(err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the transport's panic did not reach the caller")
			}
		}()
		execute(t.Context(), c, nil)
	}()
	boom.Store(false)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := execute(ctx, c, nil); err != nil {
		t.Fatalf("next call: %v (gate %+v): the panic kept the only slot", err, c.GateStats())
	}
	if gs := c.GateStats(); gs.InFlight != 0 {
		t.Errorf("gate %+v after both calls, want nothing in flight", gs)
	}
}

// WithMaxSlotWait bounds a lockout, not a queue: calls waiting behind the
// client's own calls, longer than the setting, with nothing ever refused,
// all run.
func TestGate_WithMaxSlotWaitDoesNotFailAQueueWithoutRefusal(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(300 * time.Millisecond)
	c, err := srv.Client(browseruse.WithMaxConcurrency(1), browseruse.WithMaxSlotWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if failed := hammer(t.Context(), c, 3, 3); len(failed) > 0 {
		t.Fatalf("%v (stats %+v): failed though nothing was refused", failed[0], srv.Stats())
	}
	if st := srv.Stats(); st.Refusals != 0 || st.Executions != 3 {
		t.Errorf("stats %+v, want 3 executions and no refusal", st)
	}
}

// A 429 on a gated call waits in the gate whatever its Retry-After: that is
// a minimum wait there, bounded by WithMaxSlotWait and the context, not by
// WithMaxRetryWait (README "Retries" and "Running many skills").
func TestGate_ARetryAfterLongerThanMaxRetryWaitIsWaitedInTheGate(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	c, err := srv.Client(browseruse.WithMaxRetryWait(10 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"1"}},
		JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
	start := time.Now()
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatalf("err = %v, want the call sent again after Retry-After", err)
	}
	if waited := time.Since(start); waited < time.Second {
		t.Errorf("sent again after %v, before the server's Retry-After of 1 s", waited)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("server saw %d requests, want the refused one and its resend", n)
	}
}

// A call the API refused and whose deadline then falls while a later
// attempt is on the wire was still shut out: its error says so, as it does
// when the deadline falls in a backoff, so that errors.Is(err,
// ErrTooManyRequests) does not depend on the instant the deadline lands.
func TestGate_DeadlineDuringAnAttemptAfterARefusalIsStillARefusal(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"detail":"Too many concurrent active sessions"}`)
			return
		}
		<-r.Context().Done() // the next attempt hangs until the client gives up
	})
	c := client(t, srv.URL, srv.Client(), fastRetries)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	_, err := execute(ctx, c, nil)
	if n := len(srv.requests()); n != 2 {
		t.Fatalf("server saw %d requests, want the refused one and the one the deadline cut", n)
	}
	if !errors.Is(err, browseruse.ErrTooManyRequests) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want ErrTooManyRequests and the deadline", err)
	}
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("err = %v, want the 429 inside", err)
	}
}
