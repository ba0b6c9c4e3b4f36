package browseruse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/browser-use/browseruse-go/internal/gatesim"
)

// These tests play whole loads through real clients on browserusetest's
// fake in virtual time (internal/gatesim, testing/synctest): what they
// assert is what the gate did, not how long the machine took.

const refusalRTT = 30 * time.Millisecond

// reachedAt is when the load first held n sessions at once; -1 if never.
func reachedAt(l gatesim.LoadResult, n int) time.Duration {
	for _, s := range l.Sessions {
		if l.HeldAt(s.From) >= n {
			return s.From
		}
	}
	return -1
}

// A batch with default options fills the plan within a bounded number of
// round trips whatever its size, never runs more than the plan at the
// server, loses no call, and is refused at most once in eight calls.
// Before, the gate grew by one per completed call: the plan was reached
// after several skill durations (2x to 2.5x the ideal time).
func TestGate_ABatchFillsThePlanWithinRoundTrips(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 10, 50, 250} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: limit, Latency: 2 * time.Second, RefusalRTT: refusalRTT}
			calls := max(4*limit, 100)
			allowed := calls / 8
			if limit < 10 {
				// No plan has fewer than 10 sessions: the gate starts at 10
				// (9 refusals here, and the first probe's), takes the rest
				// for another client's and probes twice a second for 10 s
				// of refusals in a row (21), then once in 8 calls. It
				// used to probe twice a second for twice a skill's time:
				// TestGate_APlanBelowTheSmallestIsNotProbedForAWholeRun.
				calls = 200
				allowed = calls/8 + 10 + 21 + 2 // 2: probes either side of an edge
			}
			r := gatesim.Run(t, p, gatesim.Load{Calls: calls})
			l := r.Loads[0]
			if l.Failed > 0 || r.Server.Executions != calls {
				t.Fatalf("%d failed (%v), %d executions of %d calls", l.Failed, l.FirstErr, r.Server.Executions, calls)
			}
			if r.Server.MaxConcurrent > limit {
				t.Errorf("%d at once at the server, plan %d", r.Server.MaxConcurrent, limit)
			}
			if l.Refusals > allowed {
				t.Errorf("%d refusals for %d calls, want at most %d", l.Refusals, calls, allowed)
			}
			// Doubling every 110 ms from 10, plus a few round trips.
			bound := time.Duration(0)
			for n := 10; n < limit; n *= 2 {
				bound += 110 * time.Millisecond
			}
			bound += 5 * refusalRTT
			if at := reachedAt(l, limit); at < 0 || at > bound {
				t.Errorf("held the whole plan of %d at %v (-1: never), want within %v", limit, at, bound)
			}
			if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, calls).Seconds(); ratio > 1.10 {
				t.Errorf("took %v, %.2fx the ideal %v", r.Elapsed, ratio, gatesim.Ideal(p, calls))
			}
		})
	}
}

// Fewer than 10 sessions held is taken for other clients holding the rest
// (no plan is smaller), but sessions held elsewhere for good make a plan
// look smaller: a lone client on one probes twice a second for 10 s of
// refusals in a row, then as a client alone does. Before, it probed twice
// a second for twice a skill's time, again after each success: 151
// refusals for 10 calls of a minute.
func TestGate_APlanBelowTheSmallestIsNotProbedForAWholeRun(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 2, Latency: time.Minute, RefusalRTT: refusalRTT}
	const calls = 20
	r := gatesim.Run(t, p, gatesim.Load{Calls: calls})
	l := r.Loads[0]
	if l.Failed > 0 || r.Server.Executions != calls || r.Server.MaxConcurrent > 2 {
		t.Fatalf("%d failed (%v), %d executions, %d at once", l.Failed, l.FirstErr, r.Server.Executions, r.Server.MaxConcurrent)
	}
	if allowed := 10 + 21 + calls/8 + 2; l.Refusals > allowed {
		t.Errorf("%d refusals for %d calls of a minute on a plan of 2, want at most %d", l.Refusals, calls, allowed)
	}
}

// A lockout an hour ago says nothing of who holds the sessions now: the
// plan of 2 above costs a client refused once while idle then no more
// refusals than one never refused (a review found 142 for 26, as the
// lockout made it probe for two run times rather than 10 s).
func TestGate_ALockoutLongAgoDoesNotProlongProbing(t *testing.T) {
	t.Parallel()
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(2)
	srv.SetRefusalLatency(refusalRTT)
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		srv.Enqueue(browserusetest.Reply{Status: http.StatusTooManyRequests, JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
		if _, err := c.ExecuteSkill(t.Context(), uuid.New(), browseruse.ExecuteSkillRequest{}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour)
		before := c.GateStats().Refusals
		srv.SetLatency(time.Minute)
		const calls = 20
		var wg sync.WaitGroup
		for range calls {
			wg.Go(func() {
				if _, err := c.ExecuteSkill(t.Context(), uuid.New(), browseruse.ExecuteSkillRequest{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if n, allowed := c.GateStats().Refusals-before, int64(10+21+calls/8+2); n > allowed {
			t.Errorf("%d refusals for %d calls of a minute on a plan of 2, an hour after a lockout; want at most %d", n, calls, allowed)
		}
	})
}

// A client shut out (another client held every session) then held one and
// had its probes refused for 10 s in a row: fewer than 10 held, it took
// that for a plan made smaller by sessions held for good and probed again
// only after 8 of its calls, 8 minutes at a limit of 1 with one-minute
// skills. When the other client ended it went on at 1 for 8 minutes more
// (on one plan of 10 with two batches, about one run in 130 so). Others
// free sessions no faster than their calls end: a client shut out shortly
// before its refusals began probes for two of its calls' run times before
// it gives up.
func TestGate_AClientShutOutFindsSessionsFreedMinutesLater(t *testing.T) {
	t.Parallel()
	const calls = 20
	p := gatesim.Plan{Limit: 10, Latency: time.Minute, Jitter: 12 * time.Second, RefusalRTT: refusalRTT,
		Hold: 1, HoldFor: 3*time.Minute + 30*time.Second}
	r := gatesim.Run(t, p,
		gatesim.Load{Calls: calls, Start: 3 * time.Minute},
		gatesim.Load{Name: "other", Calls: 45, Concurrency: 9, Options: []browseruse.Option{browseruse.WithMaxConcurrency(9)}})
	l, other := lostNone(t, r), r.Loads[1]
	if other.Failed > 0 {
		t.Fatalf("the other client's calls failed: %v", other.FirstErr)
	}
	if held := l.HeldAt(other.Finished + 5*time.Second); held < 5 {
		t.Errorf("5 s after the other client's last call ended (%v) the client held %d sessions, want at least half the plan", other.Finished, held)
	}
	if l.Finished > other.Finished+3*time.Minute {
		t.Errorf("ended at %v, the other client at %v", l.Finished, other.Finished)
	}
	if bound := int(2*(2*(p.Latency+p.Jitter)+time.Minute).Seconds()) + calls/8; l.Refusals > bound {
		t.Errorf("%d refusals, want at most %d (two a second for two calls' run times and its minute shut out)", l.Refusals, bound)
	}
}

// Over a network the API frees a session while its answer is still on the
// way back, as is a refusal: a refusal that came back while answers did
// cannot tell whether the API still held those calls. The plan counts them
// (a few too many over a network, GateStats.Plan 253 for 250 here), but a
// later refusal is taken for other clients only below what the API surely
// held. Before, a lone batch gave way to nobody: 1.10x and 1.11x of the
// ideal at 15 ms each way.
func TestGate_OverANetworkALoneBatchDoesNotGiveWayToNobody(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit    int
		latency  time.Duration
		calls, c int
	}{
		{50, 5 * time.Second, 500, 100},
		{250, 2 * time.Second, 2500, 500},
	} {
		t.Run(fmt.Sprint(tt.limit), func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: tt.limit, Latency: tt.latency, RefusalRTT: 5 * time.Millisecond, Network: 15 * time.Millisecond}
			plan := 0
			r := gatesim.Run(t, p, gatesim.Load{Calls: tt.calls, Concurrency: tt.c,
				Trace: func(_ time.Duration, st browseruse.GateStats) { plan = st.Plan }, TraceEvery: 100 * time.Millisecond})
			l := r.Loads[0]
			if l.Failed > 0 || r.Server.Executions != tt.calls || r.Server.MaxConcurrent > tt.limit || l.Refusals > tt.calls/8 {
				t.Fatalf("%d failed (%v), %d executions, %d at once, %d refusals", l.Failed, l.FirstErr, r.Server.Executions, r.Server.MaxConcurrent, l.Refusals)
			}
			// GateStats.Plan, which the CLI remembers: counted as the API
			// counts (gatecount.go), exact; before, 52 and 261.
			if plan != tt.limit {
				t.Errorf("GateStats().Plan %d for a plan of %d", plan, tt.limit)
			}
			// 1.01x and 1.02x measured.
			if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, tt.calls).Seconds(); ratio > 1.06 {
				t.Errorf("took %v, %.2fx the ideal %v", r.Elapsed, ratio, gatesim.Ideal(p, tt.calls))
			}
		})
	}
}

// A refusal slower than the 0.3 s assumed, on a plan of 500: the ramp
// reaches the gate's cap of 1,000 before the first one comes back. Taking
// the cap for the plan after 0.4 s made every later refusal look like
// other clients holding the other 500: the lone client probed twice a
// second for the whole run (523 refusals after the start for 5,000 calls)
// and GateStats.Plan read 1,000, which the CLI remembers.
func TestGate_ASlowRefusalIsNotTakenForOtherClients(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 500, Latency: time.Minute, RefusalRTT: 600 * time.Millisecond, Queue: true}
	const calls = 5000
	plan := lastPlan()
	r := gatesim.Run(t, p, gatesim.Load{Calls: calls, Concurrency: 1000, Trace: plan.trace, TraceEvery: time.Second})
	l := lostNone(t, r)
	late := 0
	for _, at := range l.RefusedAt {
		if at >= 5*time.Second {
			late++
		}
	}
	if late > calls/8 {
		t.Errorf("%d refusals after the start for %d calls alone, want at most one in 8", late, calls)
	}
	if got := plan.get(); got != 500 {
		t.Errorf("GateStats.Plan = %d, want the plan's 500", got)
	}
}

// planWatch keeps the last GateStats.Plan a load's trace saw (gatesim
// reports only what older clients had too).
type planWatch struct {
	mu   sync.Mutex
	plan int
}

func lastPlan() *planWatch { return new(planWatch) }

func (w *planWatch) trace(_ time.Duration, st browseruse.GateStats) {
	w.mu.Lock()
	w.plan = st.Plan
	w.mu.Unlock()
}

func (w *planWatch) get() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.plan
}

// A crowd of goroutines calling ExecuteSkill on one client is held to the
// plan as a batch is, and fills it as fast.
func TestGate_ACrowdOfGoroutinesFillsThePlan(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 100, Latency: time.Second, RefusalRTT: refusalRTT}
	r := gatesim.Run(t, p, gatesim.Load{Calls: 600, Concurrency: 300, Goroutines: true})
	l := r.Loads[0]
	if l.Failed > 0 || r.Server.Executions != 600 || r.Server.MaxConcurrent > 100 || l.Refusals > 600/8 {
		t.Fatalf("%d failed (%v), %d executions, %d at once, %d refusals", l.Failed, l.FirstErr, r.Server.Executions, r.Server.MaxConcurrent, l.Refusals)
	}
	// 1.06x measured since 7a5e06d (1.12x at bc614c8, where a probe
	// refused late held its call back by up to a skill's length).
	if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, 600).Seconds(); ratio > 1.10 {
		t.Errorf("took %v, %.2fx the ideal", r.Elapsed, ratio)
	}
}

// Skills of 100 ms to a minute: the ramp does not depend on the skill's
// length, so the whole plan is used from the first seconds either way.
func TestGate_ShortAndLongSkillsBothFillThePlan(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit   int
		latency time.Duration
		calls   int
	}{
		{50, 100 * time.Millisecond, 1500},
		{250, time.Minute, 1000},
	} {
		t.Run(tt.latency.String(), func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: tt.limit, Latency: tt.latency, RefusalRTT: refusalRTT}
			r := gatesim.Run(t, p, gatesim.Load{Calls: tt.calls})
			l := r.Loads[0]
			if l.Failed > 0 || r.Server.MaxConcurrent > tt.limit || l.Refusals > tt.calls/8 {
				t.Fatalf("%d failed (%v), %d at once, %d refusals", l.Failed, l.FirstErr, r.Server.MaxConcurrent, l.Refusals)
			}
			if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, tt.calls).Seconds(); ratio > 1.10 {
				t.Errorf("took %v, %.2fx the ideal", r.Elapsed, ratio)
			}
		})
	}
}

// Before its first refusal the gate cannot know how long a refusal takes.
// With a slow one, or a server that holds a call before refusing it, the
// ramp overshoots further, but once: every call sent after the refused one
// is counted as refused until it is seen admitted, so the gate never sends
// past the plan again, and the overshoot is what it sent in one round
// trip, not what the caller had waiting.
func TestGate_ASlowRefusalOvershootsOnceByABoundedAmount(t *testing.T) {
	t.Parallel()
	for _, queue := range []bool{false, true} {
		t.Run(fmt.Sprintf("queue=%v", queue), func(t *testing.T) {
			t.Parallel()
			const limit, calls = 100, 2000
			rtt := 100 * time.Millisecond
			p := gatesim.Plan{Limit: limit, Latency: 5 * time.Second, RefusalRTT: rtt, Queue: queue}
			r := gatesim.Run(t, p, gatesim.Load{Calls: calls, Concurrency: 1000})
			l := lostNone(t, r)
			// Doubling every 110 ms: 2^(100/110) - 1 = 0.88 of the plan,
			// with room for the ramp's steps.
			first := l.RefusedAt[0]
			once := 0
			for _, at := range l.RefusedAt {
				if at < first+2*rtt {
					once++
				}
			}
			if once > limit {
				t.Errorf("%d refusals in the first overshoot, want at most %d", once, limit)
			}
			// After it, probes only: at most one in eight calls.
			if later := l.Refusals - once; later > calls/8 {
				t.Errorf("%d refusals after the overshoot (at %v): the gate overshot again", later, first)
			}
			if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, calls).Seconds(); ratio > 1.10 {
				t.Errorf("took %v, %.2fx the ideal", r.Elapsed, ratio)
			}
		})
	}
}

// Calls that are never refused (an account without a limit, or answers
// that come before the ramp sees them held) do not let the gate grow past
// the largest plan the API sells: before, a batch with the default
// concurrency doubled its limit without end and opened thousands of
// connections, until the machine ran out of file descriptors.
func TestGate_NeverGrowsPastTheLargestPlan(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		goroutines bool
		start      int // WithStartingLimit; 0: none
	}{{false, 0}, {true, 0}, {false, 1000}} {
		t.Run(fmt.Sprintf("goroutines=%v,start=%d", tt.goroutines, tt.start), func(t *testing.T) {
			t.Parallel()
			const calls = 3000
			goroutines := tt.goroutines
			p := gatesim.Plan{Limit: 0, Latency: time.Second, RefusalRTT: refusalRTT}
			var mu sync.Mutex
			plan := 0
			load := gatesim.Load{Calls: calls, Goroutines: goroutines, TraceEvery: 100 * time.Millisecond,
				Trace: func(_ time.Duration, st browseruse.GateStats) { mu.Lock(); plan = st.Plan; mu.Unlock() }}
			if tt.start > 0 {
				// Started at the largest plan (the CLI, from its memory):
				// no ramp, and still the plan to remember.
				load.Options = []browseruse.Option{browseruse.WithStartingLimit(tt.start)}
			}
			if goroutines {
				load.Concurrency = calls
			}
			r := gatesim.Run(t, p, load)
			l := r.Loads[0]
			// No refusal, but no plan is larger: GateStats().Plan says so,
			// for WithStartingLimit (README).
			mu.Lock()
			defer mu.Unlock()
			if plan != 1000 {
				t.Errorf("GateStats().Plan %d after 1,000 ran at once unrefused, want 1,000", plan)
			}
			if l.Failed > 0 || r.Server.Executions != calls {
				t.Fatalf("%d failed (%v), %d executions of %d calls", l.Failed, l.FirstErr, r.Server.Executions, calls)
			}
			if r.Server.MaxConcurrent > 1000 || l.GateLimit > 1000 {
				t.Errorf("%d at once at the server, learned limit %d: want at most 1,000, the largest plan", r.Server.MaxConcurrent, l.GateLimit)
			}
			if r.Server.MaxConcurrent < 1000 {
				t.Errorf("%d at once at the server: want the largest plan's 1,000 reached", r.Server.MaxConcurrent)
			}
		})
	}
}

// A client shut out of the whole plan (the sessions held by another
// process) sends one call now and then to find them freed, and nothing
// else: before, the gate's own probes for a session past its limit went
// out beside that call, every half second, and a long lockout drew 2.5
// refusals a second instead of one every 2 s.
// Behind 300 ms refusals a review found two every 2 s: the gate's own
// probe went out while the lockout's try was still on the wire.
func TestGate_ALongLockoutCostsOneRefusalEveryTwoSeconds(t *testing.T) {
	t.Parallel()
	for _, rtt := range []time.Duration{refusalRTT, 300 * time.Millisecond} {
		t.Run(rtt.String(), func(t *testing.T) {
			t.Parallel()
			aLongLockoutCostsOneRefusalEveryTwoSeconds(t, rtt)
		})
	}
}

func aLongLockoutCostsOneRefusalEveryTwoSeconds(t *testing.T, rtt time.Duration) {
	const hold = 20 * time.Second
	p := gatesim.Plan{Limit: 10, Latency: 500 * time.Millisecond, RefusalRTT: rtt, Hold: 10, HoldFor: hold}
	r := gatesim.Run(t, p, gatesim.Load{Calls: 50, Concurrency: 50})
	l := r.Loads[0]
	if l.Failed > 0 {
		t.Fatalf("%d failed: %v", l.Failed, l.FirstErr)
	}
	// From 8 s on, the wait between tries is at its longest.
	late := 0
	for _, at := range l.RefusedAt {
		if at >= 8*time.Second && at < hold {
			late++
		}
	}
	if late > 7 {
		t.Errorf("%d refusals in the lockout's last 12 s (at %v), want one every 2 s at most", late, l.RefusedAt)
	}
	// The lockout starts once the first calls' refusals are back. Its
	// tries go at half seconds for 4 s, then at whole ones: the first of
	// those may come half a second after the last at a half second.
	var start time.Duration
	for _, at := range l.RefusedAt {
		if at < time.Second {
			start = at
		}
	}
	var prev time.Duration
	for _, at := range l.RefusedAt {
		if at < hold && prev-start >= 4500*time.Millisecond && at-prev < time.Second {
			t.Errorf("refusals at %v and %v, in a lockout at least 4 s old (from %v): want a second apart at least", prev, at, start)
		}
		prev = at
	}
	if got := l.FirstSession(); got < hold || got > hold+2100*time.Millisecond {
		t.Errorf("first session at %v: want within 2 s of the plan freed at %v", got, hold)
	}
}

// Calls whose deadlines end while the client is shut out pass the
// lockout's schedule on: the next call waiting goes at the shut-out call's
// time, not at once. Before, each deadline let one more call out, and a
// service with 1 s deadlines drew 29 refusals in 11 s of a lockout.
func TestGate_DeadlinesDuringALockoutDoNotAddTries(t *testing.T) {
	t.Parallel()
	for _, timeout := range []time.Duration{300 * time.Millisecond, time.Second} {
		t.Run(timeout.String(), func(t *testing.T) {
			t.Parallel()
			const hold = 20 * time.Second
			p := gatesim.Plan{Limit: 10, Latency: 100 * time.Millisecond, RefusalRTT: refusalRTT, Hold: 10, HoldFor: hold}
			r := gatesim.Run(t, p, gatesim.Load{Calls: 4000, Concurrency: 20, Goroutines: true, Timeout: timeout})
			l := r.Loads[0]
			late := 0
			for _, at := range l.RefusedAt {
				if at >= 8*time.Second && at < hold {
					late++
				}
			}
			if late > 7 {
				t.Errorf("%d refusals in the lockout's last 12 s, want one every 2 s at most", late)
			}
			if len(l.Sessions) == 0 {
				t.Errorf("no call got a session after the plan was freed at %v", hold)
			}
		})
	}
}

// Alone on the account, after the one overshoot at the start, a batch is
// refused only for its probes: at most one a second (README: "no more than
// two a second"), with skills of varied length and a slow refusal.
func TestGate_ALoneBatchIsRefusedOnlyForItsProbes(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{50, 250} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			t.Parallel()
			rtt := 100 * time.Millisecond
			p := gatesim.Plan{Limit: limit, Latency: 500 * time.Millisecond, Jitter: 300 * time.Millisecond, RefusalRTT: rtt}
			r := gatesim.Run(t, p, gatesim.Load{Calls: 20 * limit})
			l := lostNone(t, r)
			if most := l.MostRefusalsPerSecond(l.RefusedAt[0] + 3*rtt); most > 2 {
				t.Errorf("%d refusals in one second after the overshoot", most)
			}
		})
	}
}

// A program that remembers the plan (GateStats.Plan) starts the next run
// on it with WithStartingLimit: the whole plan from the first call, with no
// ramp and no overshoot, however slow the API's refusals (the ramp's one
// overshoot grows with them). A remembered limit that went stale costs one
// overshoot by the difference (too high) or a climb by probes (too low),
// and the client learns the plan as it is.
func TestGate_AStartingLimitUsesThePlanFromTheFirstCall(t *testing.T) {
	t.Parallel()
	const plan, calls = 250, 1000
	for _, tc := range []struct {
		name            string
		start           int
		maxRatio        float64
		maxFirstRefusal int // refused in the first second
		rtt             time.Duration
	}{
		{"remembered", plan, 1.02, 2, 300 * time.Millisecond},
		{"stale, too high", 4 * plan, 1.06, 3 * plan, 300 * time.Millisecond},
		// A probe finds the plan bigger only after 400 ms (the slowest
		// refusal assumed, none seen yet), then the client ramps from an
		// eighth more: the sessions it left idle until then cost.
		{"stale, too low", plan / 5, 1.20, plan / 4, refusalRTT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: plan, Latency: 2 * time.Second, RefusalRTT: tc.rtt}
			var last browseruse.GateStats
			r := gatesim.Run(t, p, gatesim.Load{Calls: calls, Concurrency: 2 * plan,
				Options:    []browseruse.Option{browseruse.WithStartingLimit(tc.start)},
				Trace:      func(_ time.Duration, st browseruse.GateStats) { last = st },
				TraceEvery: 100 * time.Millisecond})
			l := lostNone(t, r)
			if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, calls).Seconds(); ratio > tc.maxRatio {
				t.Errorf("took %v, %.2fx the ideal; want at most %.2fx", r.Elapsed, ratio, tc.maxRatio)
			}
			early := 0
			for _, at := range l.RefusedAt {
				if at < time.Second {
					early++
				}
			}
			if early > tc.maxFirstRefusal {
				t.Errorf("%d refusals in the first second, want at most %d", early, tc.maxFirstRefusal)
			}
			if l.Refusals-early > calls/8 {
				t.Errorf("%d refusals after the first second", l.Refusals-early)
			}
			t.Logf("%.2fx the ideal, %d refusals, %d in the first second", r.Elapsed.Seconds()/gatesim.Ideal(p, calls).Seconds(), l.Refusals, early)
			if last.Plan != plan {
				t.Errorf("GateStats.Plan = %d at the end, want the plan's %d", last.Plan, plan)
			}
		})
	}
}

// Skills shorter than a refusal's round trip: the calls that filled the
// plan have ended by the time their overshoot's refusals come back. They
// still count as held for those refusals, so the gate keeps the plan's
// limit rather than taking itself for shut out. Before, it fell to 1 and
// crept back one probe at a time: 1.72x the ideal.
func TestGate_SkillsShorterThanARefusalKeepThePlan(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 10, Latency: 100 * time.Millisecond, RefusalRTT: 300 * time.Millisecond}
	r := gatesim.Run(t, p, gatesim.Load{Calls: 256, Concurrency: 64})
	lostNone(t, r)
	// 1.11x, and in about one run of ten (goroutines at one virtual instant
	// run in any order) 1.21x: 1.2 failed CI now and then on code of
	// before 2026-12-02 too. The regression this guards was 1.72x.
	if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, 256).Seconds(); ratio > 1.25 {
		t.Errorf("took %v, %.2fx the ideal", r.Elapsed, ratio)
	}
}

// lostNone fails t unless the run's only load lost no call and the server
// never ran more than the plan, and returns that load.
func lostNone(t *testing.T, r gatesim.Result) gatesim.LoadResult {
	t.Helper()
	l := r.Loads[0]
	if l.Failed > 0 || r.Server.MaxConcurrent > r.Plan.Limit {
		t.Fatalf("%d failed (%v), %d at once on a plan of %d", l.Failed, l.FirstErr, r.Server.MaxConcurrent, r.Plan.Limit)
	}
	return l
}

// A call that waits in line while the client is shut out, and whose
// deadline ends before its turn, failed on the account's limit as much as
// the call the API refused: both match ErrTooManyRequests (README: "the
// error matches ErrTooManyRequests (and the context's error ...)"). A
// review found 69 of 89 such calls matching only the context's error.
func TestGate_ACallHeldBackByALockoutMatchesErrTooManyRequests(t *testing.T) {
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(10)
	srv.SetRefusalLatency(refusalRTT)
	synctest.Test(t, func(t *testing.T) {
		release := srv.HoldSessions(10)
		defer release()
		c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 8)
		call := func() {
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			_, err := c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{})
			errs <- err
		}
		go call() // shut out: it keeps its slot between tries
		time.Sleep(time.Second)
		for range 7 {
			go call() // in line behind it, never sent
		}
		for range 8 {
			err := <-errs
			if !errors.Is(err, browseruse.ErrTooManyRequests) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v: want it to match ErrTooManyRequests and context.DeadlineExceeded", err)
			}
		}
	})
}

// A call shut out (refused with nothing else in flight) whose context then
// ended left the gate at a limit of 1 with no call probing for the
// lockout's end: a later batch ran one call at a time until eight had
// succeeded (a review: 40 one-minute calls took 9 minutes on an account
// with no limit). The next call goes as the lockout's probe and ramps.
func TestGate_ALockoutWhoseCallGaveUpRampsOnTheNextCall(t *testing.T) {
	srv := browserusetest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"1"}},
			JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		if _, err := c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{}); !errors.Is(err, browseruse.ErrTooManyRequests) {
			t.Fatalf("err = %v, want the refused call to give up in its backoff", err)
		}
		cancel()
		time.Sleep(time.Minute)
		srv.SetLatency(time.Minute)
		start := time.Now()
		var wg sync.WaitGroup
		for range 40 {
			wg.Go(func() {
				if _, err := c.ExecuteSkill(t.Context(), uuid.New(), browseruse.ExecuteSkillRequest{}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if took := time.Since(start); took > time.Minute+5*time.Second {
			t.Errorf("40 calls of a minute on an account with no limit took %v; at most %d ran at once", took, srv.Stats().MaxConcurrent)
		}
	})
}

// The same for calls held back while the one shut out sleeps out a
// Retry-After: no refusal comes while they wait, but the last word of the
// API was one. A review found them matching only the context's error.
func TestGate_ACallHeldBackByARetryAfterMatchesErrTooManyRequests(t *testing.T) {
	srv := browserusetest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"3"}},
			JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
		c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		go c.ExecuteSkill(t.Context(), uuid.New(), browseruse.ExecuteSkillRequest{}) // refused, sleeps 3 s
		time.Sleep(100 * time.Millisecond)
		for _, end := range []string{"deadline", "cancel"} {
			ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
			if end == "cancel" {
				ctx, cancel = context.WithCancel(t.Context())
				time.AfterFunc(500*time.Millisecond, cancel)
			}
			_, err := c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{})
			cancel()
			if !errors.Is(err, browseruse.ErrTooManyRequests) || !errors.Is(err, ctx.Err()) {
				t.Errorf("%s: %v: want it to match ErrTooManyRequests and %v", end, err, ctx.Err())
			}
		}
	})
	if n := len(srv.Requests()); n > 2 {
		t.Errorf("the server saw %d requests: the calls held back were sent", n)
	}
}

// And while the refused call's retry is on the wire, its 429 not yet back:
// the client is still shut out. A review found a call ending then matching
// only its deadline (behind 300 ms refusals).
func TestGate_ACallHeldBackWhileTheRetryIsOnTheWireMatchesErrTooManyRequests(t *testing.T) {
	srv := browserusetest.NewServer()
	defer srv.Close()
	synctest.Test(t, func(t *testing.T) {
		slow429 := browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(300 * time.Millisecond)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"detail":"` + browserusetest.TooManySessionsDetail + `"}`))
		}}
		srv.Enqueue(slow429, slow429, slow429)
		c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		actx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.ExecuteSkill(actx, uuid.New(), browseruse.ExecuteSkillRequest{}) // 429 at 0.3 s, again at 2.3 s, its 429 at 2.6 s
		}()
		time.Sleep(500 * time.Millisecond)
		ctx, cancel := context.WithDeadline(t.Context(), start.Add(2450*time.Millisecond))
		defer cancel()
		_, err = c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{})
		if !errors.Is(err, browseruse.ErrTooManyRequests) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%v: want it to match ErrTooManyRequests and its deadline", err)
		}
		<-done
	})
}

// The converse: a call queued behind the client's own calls, with no
// refusal while it waits and none backing off, waited for them, not for
// the account's limit, however the last refusal went. A review found
// these matching ErrTooManyRequests after the fix above's first version.
func TestGate_ACallQueuedBehindItsOwnAfterARefusalMatchesOnlyTheContext(t *testing.T) {
	for _, name := range []string{"the refused call gave up", "the refused call runs", "the refused call gave up, the next just sent"} {
		t.Run(name, func(t *testing.T) {
			srv := browserusetest.NewServer()
			defer srv.Close()
			synctest.Test(t, func(t *testing.T) {
				c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}), browseruse.WithMaxConcurrency(1))
				if err != nil {
					t.Fatal(err)
				}
				srv.SetLatency(time.Minute)
				srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"1"}},
					JSON: map[string]any{"detail": browserusetest.TooManySessionsDetail}})
				if name != "the refused call runs" {
					ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
					c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{})
					cancel()
					time.Sleep(time.Hour)
				}
				go c.ExecuteSkill(t.Context(), uuid.New(), browseruse.ExecuteSkillRequest{}) // the client's one slot, for a minute
				wait, deadline := 3*time.Second, 2*time.Second
				if name == "the refused call gave up, the next just sent" {
					// Before it counts as admitted: the lockout an hour
					// old holds nothing back (a review found this one
					// matching ErrTooManyRequests).
					wait, deadline = 10*time.Millisecond, 20*time.Millisecond
				}
				time.Sleep(wait)
				ctx, cancel := context.WithTimeout(t.Context(), deadline)
				defer cancel()
				_, err = c.ExecuteSkill(ctx, uuid.New(), browseruse.ExecuteSkillRequest{})
				if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, browseruse.ErrTooManyRequests) {
					t.Errorf("%v: want it to match the context's error only", err)
				}
			})
		})
	}
}

// Skills shorter than a refusal's round trip: every call sent before a
// refused one has ended when the refusal comes back, so the count of
// calls still unanswered is 0 at every refusal. It holds still, but it is
// no count of the plan: GateStats.Plan read 0 (review, 5 of 5 runs), and
// the CLI would have kept a stale plan.
func TestGate_SkillsShorterThanARefusalStillLearnThePlan(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 50, Latency: 200 * time.Millisecond, RefusalRTT: 300 * time.Millisecond, Network: 5 * time.Millisecond}
	plan := 0
	r := gatesim.Run(t, p, gatesim.Load{Calls: 1000, Concurrency: 100,
		Options: []browseruse.Option{browseruse.WithoutSharing()},
		Trace:   func(_ time.Duration, st browseruse.GateStats) { plan = st.Plan }, TraceEvery: 50 * time.Millisecond})
	lostNone(t, r)
	if plan < 45 {
		t.Errorf("GateStats().Plan %d for a plan of 50", plan)
	}
}

// A refusal that comes back 300 ms after a call while a probe of the same
// client is out: the refused call was counted as if sent when the probe
// was, a count tens of calls short, taken for other clients holding them.
// A lone batch then gave way to nobody (review: up to 1.16x its time
// WithoutSharing, 3 and 4 runs of 5 over 5%).
func TestGate_ARefusalBesideAProbeIsNotTakenForOthers(t *testing.T) {
	t.Parallel()
	p := gatesim.Plan{Limit: 250, Latency: 500 * time.Millisecond, Jitter: 250 * time.Millisecond, RefusalRTT: 300 * time.Millisecond, Network: 5 * time.Millisecond}
	// The median of 3 runs: skills of random length put one run in 50 or
	// so past 1.05x (72 runs, 2026-12-03: 0.99x to 1.03x, and one 1.054x
	// that failed CI), the defect most runs.
	var costs []float64
	for range 3 {
		shared := gatesim.Run(t, p, gatesim.Load{Calls: 5000, Concurrency: 500})
		whole := gatesim.Run(t, p, gatesim.Load{Calls: 5000, Concurrency: 500, Options: []browseruse.Option{browseruse.WithoutSharing()}})
		lostNone(t, shared)
		costs = append(costs, shared.Elapsed.Seconds()/whole.Elapsed.Seconds())
	}
	slices.Sort(costs)
	if costs[1] > 1.05 {
		t.Errorf("sharing took %.3fx the time without, median %.3fx of 3 runs, want at most 1.05x", costs, costs[1])
	}
}

// Sessions held elsewhere for a while, then freed: a lone batch's ramp
// into them gains 20, which beside others would be a sign of them
// (1fa23eb), and a review found it taken for that alone too: the batch
// then probed every half second, refused each time (262 to 271 refusals
// for 400 calls of a minute, 26 to 28 before), and did not raise its plan
// (GateStats().Plan 30 of 50). Never seen beside others, it stays alone.
// Nor does one service call minutes before the plan grows count: a later
// review found 260 refusals for 811 calls of a minute after it (when the
// sign was remembered for four skill durations).
func TestGate_ALoneBatchWhosePlanGrowsStaysAlone(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name           string
		lat, freed     time.Duration
		calls, service int
	}{
		{"1s", time.Second, 5 * time.Second, 400, 0},
		{"1m", time.Minute, 5 * time.Second, 400, 0},
		{"1m/a service call at 30s", time.Minute, 5 * time.Minute, 900, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			const limit, held = 50, 20
			p := gatesim.Plan{Limit: limit, Latency: tt.lat, Jitter: tt.lat / 5, RefusalRTT: refusalRTT, Hold: held, HoldFor: tt.freed}
			var mu sync.Mutex
			plan := 0
			loads := []gatesim.Load{{Calls: tt.calls, Concurrency: 2 * limit, TraceEvery: 100 * time.Millisecond,
				Trace: func(_ time.Duration, st browseruse.GateStats) { mu.Lock(); plan = st.Plan; mu.Unlock() }}}
			if tt.service > 0 {
				loads = append(loads, gatesim.Load{Name: "service", Calls: tt.service, Concurrency: 1, Goroutines: true, Start: 30 * time.Second})
			}
			r := gatesim.Run(t, p, loads...)
			l := lostNone(t, r)
			if tt.service > 0 && r.Loads[1].Failed > 0 {
				t.Fatalf("the service call failed: %v", r.Loads[1].FirstErr)
			}
			from := tt.freed + 2*time.Second // past the ramp into the freed sessions
			late, lateCalls := 0, 0
			for _, at := range l.RefusedAt {
				if at >= from {
					late++
				}
			}
			for _, s := range l.Sessions {
				if s.To >= from {
					lateCalls++
				}
			}
			if late > lateCalls/8+2 {
				t.Errorf("alone after %v: %d refusals for %d calls, want at most one in 8", from, late, lateCalls)
			}
			mu.Lock()
			defer mu.Unlock()
			if plan != limit {
				t.Errorf("GateStats().Plan %d at the end, alone on a plan of %d", plan, limit)
			}
		})
	}
}
