package browseruse_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/internal/gatesim"
)

// The account's plan is shared by every client of it (gateshare.go). These
// play a batch and another client on one fake in virtual time, skills
// taking their latency plus up to a fifth more at random, as real sites do.

func sharedPlan(limit int, latency time.Duration) gatesim.Plan {
	return gatesim.Plan{Limit: limit, Latency: latency, Jitter: latency / 5, RefusalRTT: refusalRTT}
}

// A single call of another client, while a batch keeps the plan full, gets
// a session within twice a skill's duration and half a second. Before, it
// waited until the batch ended (or WithMaxSlotWait, ten minutes). The
// 10-session plan of half-second skills is the hard case: the batch's
// calls end in waves that can miss the periods' gaps for seconds.
func TestGate_ASingleCallBesideABatchGetsASession(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit   int
		latency time.Duration
	}{
		{10, 500 * time.Millisecond}, {10, 5 * time.Second}, {10, time.Minute},
		{50, 500 * time.Millisecond}, {50, 5 * time.Second}, {50, time.Minute},
		{250, 500 * time.Millisecond}, {250, time.Minute},
		// The largest plan: the batch's ramp ends at it with no refusal
		// (before, it kept ramping and never left room: 49 s).
		{1000, 5 * time.Second},
	} {
		t.Run(fmt.Sprintf("%d/%v", tt.limit, tt.latency), func(t *testing.T) {
			t.Parallel()
			p := sharedPlan(tt.limit, tt.latency)
			// Short skills: from several points of the half-second grid.
			phases := 1
			if tt.latency < time.Second {
				phases = 6
			}
			for k := range phases {
				serviceGetsASession(t, p, 3*tt.latency+time.Duration(137+83*k)*time.Millisecond)
			}
		})
	}
}

// The same bound whatever the batch's phase: a call made in the batch's
// first second, while its calls still end in the waves they started in,
// and skills of even length, whose waves never spread. A shut-out client
// probed at the first period start a quarter of its lockout away and
// skipped the one after each wave; the batch's own probe took the session
// it left free; and waves that missed the window left none (a review,
// 2026-12-03: up to 2.8 s for half-second skills, 19.6 s for 5 s ones).
func TestGate_ASingleCallFindsASessionWhateverTheBatchsPhase(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit   int
		latency time.Duration
		jitter  bool
		starts  []time.Duration
	}{
		{10, 500 * time.Millisecond, true, ms(100, 197, 294, 391, 488, 585, 682, 779, 876, 923, 973, 1070)},
		{50, 500 * time.Millisecond, true, ms(100, 294, 488, 639, 779, 973)},
		{10, time.Second, true, ms(100, 294, 488, 682, 876)},
		{10, 5 * time.Second, false, ms(197, 20408)},
		{50, 5 * time.Second, false, ms(294, 397, 15388)},
		{50, 5300 * time.Millisecond, false, ms(294, 779)},
	} {
		t.Run(fmt.Sprintf("%d/%v/jitter=%v", tt.limit, tt.latency, tt.jitter), func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: tt.limit, Latency: tt.latency, RefusalRTT: refusalRTT}
			if tt.jitter {
				p.Jitter = tt.latency / 5
			}
			for _, start := range tt.starts {
				serviceGetsASession(t, p, start)
			}
		})
	}
}

// A batch capped at the plan (Concurrency, or WithMaxConcurrency, equal to
// it) is never refused and has no call waiting: it left no session free,
// and a single call beside it waited until it ended (4.3 to 5.9 s beside
// half-second skills on 10 sessions, 51.9 to 55.9 s beside 5 s skills: a
// review, 2026-12-03). It leaves one free every whole second now (every
// half second for skills of 2 s or more), where shut-out clients probe.
func TestGate_ASingleCallBesideABatchCappedAtThePlanGetsASession(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit   int
		latency time.Duration
		named   bool // WithMaxConcurrency(limit) too
		starts  []time.Duration
	}{
		{10, 500 * time.Millisecond, false, ms(100, 391, 682, 973, 1264)},
		{10, 500 * time.Millisecond, true, ms(197, 488, 779, 1070)},
		{50, 500 * time.Millisecond, false, ms(294, 585, 876)},
		{10, time.Second, false, ms(100, 488, 876)},
		{10, 5 * time.Second, false, ms(197, 3100, 7700)},
		{50, 5 * time.Second, true, ms(294, 5300)},
	} {
		t.Run(fmt.Sprintf("%d/%v/named=%v", tt.limit, tt.latency, tt.named), func(t *testing.T) {
			t.Parallel()
			p := sharedPlan(tt.limit, tt.latency)
			batch := gatesim.Load{Name: "batch", Calls: 12 * p.Limit, Concurrency: p.Limit}
			if tt.named {
				batch.Options = []browseruse.Option{browseruse.WithMaxConcurrency(p.Limit)}
			}
			for _, start := range tt.starts {
				serviceBeside(t, p, batch, start+p.Latency)
			}
		})
	}
}

// A second batch beside a batch capped at the plan: the capped one, never
// refused, took what it held when the second took a session it left free
// for its plan, never gave way, and the second ran on one session until
// the first ended (1.48x to 1.58x the ideal for both, a third each never: a
// review of a673a8f). Now it counts what it held unrefused as its plan
// alone and gives way as a batch past the plan does: 1.03x to 1.11x. The
// median of 3 runs (skills of random length).
func TestGate_ASecondBatchBesideABatchCappedAtThePlanGetsItsShare(t *testing.T) {
	t.Parallel()
	p := sharedPlan(10, 5*time.Second)
	start := 3*p.Latency + 137*time.Millisecond
	var thirds []time.Duration
	var ratios []float64
	for range 3 {
		r := gatesim.Run(t, p,
			gatesim.Load{Name: "A", Calls: 6 * p.Limit, Concurrency: p.Limit},
			gatesim.Load{Name: "B", Calls: 6 * p.Limit, Start: start})
		if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > p.Limit || r.Server.Executions != 12*p.Limit {
			t.Fatalf("%d and %d failed, %d at once, %d executions", r.Loads[0].Failed, r.Loads[1].Failed, r.Server.MaxConcurrent, r.Server.Executions)
		}
		third := r.ThirdEach(start)
		if third < 0 {
			third = time.Hour // never
		}
		thirds = append(thirds, third)
		ratios = append(ratios, r.Elapsed.Seconds()/gatesim.Ideal(p, 12*p.Limit).Seconds())
	}
	slices.Sort(thirds)
	slices.Sort(ratios)
	if thirds[1] > 3*p.Latency {
		t.Errorf("a third each %v after B started (1h: never), want within 3 skill durations in 2 runs of 3", thirds)
	}
	if ratios[1] > 1.15 {
		t.Errorf("all ended at %.2fx the ideal for the total, want at most 1.15x in 2 runs of 3", ratios)
	}
}

// A batch capped at the plan, after a service's three calls took a session
// it left free, goes back to its cap: it probes with any call waiting while
// its calls keep the level they had. It stayed at 46 of 50 to its end
// (probes waited for a backlog of an eighth of the limit, which a cap never
// has), 1.09x its time alone (a review of a673a8f).
func TestGate_ABatchCappedAtThePlanRegainsItAfterAService(t *testing.T) {
	t.Parallel()
	p := sharedPlan(50, time.Second)
	for _, named := range []bool{false, true} {
		t.Run(fmt.Sprintf("named=%v", named), func(t *testing.T) {
			t.Parallel()
			batch := gatesim.Load{Name: "batch", Calls: 20 * p.Limit, Concurrency: p.Limit, TraceEvery: time.Second}
			if named {
				batch.Options = []browseruse.Option{browseruse.WithMaxConcurrency(p.Limit)}
			}
			var mu sync.Mutex
			var limits []int
			batch.Trace = func(at time.Duration, st browseruse.GateStats) {
				mu.Lock()
				limits = append(limits, st.Limit)
				mu.Unlock()
			}
			r := gatesim.Run(t, p, batch, gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: 2100 * time.Millisecond})
			if r.Loads[0].Failed+r.Loads[1].Failed > 0 || r.Server.MaxConcurrent > p.Limit || r.Server.Executions != 20*p.Limit+3 {
				t.Fatalf("%d and %d failed, %d at once, %d executions", r.Loads[0].Failed, r.Loads[1].Failed, r.Server.MaxConcurrent, r.Server.Executions)
			}
			// The last of the batch's 20 rounds: long after the service's
			// calls ended (by 8 s).
			if n := len(limits); n < 4 || limits[n-3] < p.Limit {
				t.Errorf("the batch's limit by second %v, want back at %d before its end", limits, p.Limit)
			}
		})
	}
}

// A batch capped at the plan that starts from a remembered plan one below
// it (the CLI's, WithStartingLimit) probes with its one call waiting; the
// ramp that followed an admitted probe passed the cap (56 of 50), the
// session left free was below a limit its calls never reach, and a single
// call waited for the batch's end in 6 of 6 runs (15.4 to 16.9 s: a review
// of a40aeb1). A ramp now grows no further than the calls out and waiting.
func TestGate_ABatchCappedAtThePlanFromARememberedPlanStillShares(t *testing.T) {
	t.Parallel()
	p := sharedPlan(50, time.Second)
	batch := gatesim.Load{Name: "batch", Calls: 20 * p.Limit, Concurrency: p.Limit,
		Options: []browseruse.Option{browseruse.WithStartingLimit(p.Limit - 1)}}
	for _, start := range ms(5137, 5731, 6389) {
		serviceBeside(t, p, batch, start)
	}
}

// serviceGetsASession runs a batch of 12 x the plan and, from start, a
// service making three calls in a row (serviceBeside).
func serviceGetsASession(t *testing.T, p gatesim.Plan, start time.Duration) {
	t.Helper()
	serviceBeside(t, p, gatesim.Load{Name: "batch", Calls: 12 * p.Limit, Concurrency: 2 * p.Limit}, start)
}

// serviceBeside runs batch and, from start, a service making three calls
// in a row, and checks that none is lost or run twice, the plan is never
// exceeded, and each of the service's calls gets a session within twice a
// skill's duration and half a second.
func serviceBeside(t *testing.T, p gatesim.Plan, batch gatesim.Load, start time.Duration) {
	t.Helper()
	r := gatesim.Run(t, p, batch, gatesim.Load{Name: "service", Calls: 3, Concurrency: 1, Goroutines: true, Start: start})
	b, service := r.Loads[0], r.Loads[1]
	if b.Failed+service.Failed > 0 || r.Server.MaxConcurrent > p.Limit || r.Server.Executions != batch.Calls+3 {
		t.Fatalf("%d and %d failed (%v %v), %d at once, %d executions for %d calls", b.Failed, service.Failed, b.FirstErr, service.FirstErr,
			r.Server.MaxConcurrent, r.Server.Executions, batch.Calls+3)
	}
	if bound := 2*p.Latency + 500*time.Millisecond; service.MaxWait() > bound {
		t.Errorf("from %v the service's calls waited %v for a session, want at most %v", start, service.Waits, bound)
	}
}

func ms(v ...int) []time.Duration {
	d := make([]time.Duration, len(v))
	for i, x := range v {
		d[i] = time.Duration(x) * time.Millisecond
	}
	return d
}

// Two batches on one plan: the second gets at least a third of the plan
// within a few skill durations of its start, the shorter ends first, and
// all the work ends within 1.15x of the ideal for the total. Before, the
// second ran only on what the first left at its end.
func TestGate_TwoBatchesShareThePlan(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		limit   int
		latency time.Duration
	}{
		{10, 5 * time.Second}, {50, 5 * time.Second}, {50, time.Minute}, {250, 5 * time.Second},
	} {
		t.Run(fmt.Sprintf("%d/%v", tt.limit, tt.latency), func(t *testing.T) {
			t.Parallel()
			// Within 3.6 skill durations over 900 runs of 50/5s (median
			// 0.6); before B kept probing every period while it held
			// fewer than 10, about one run in a hundred took 6 to 9.
			twoBatchesShare(t, sharedPlan(tt.limit, tt.latency), 5)
		})
	}
}

// twoBatchesShare runs batches of 10 and 2 times the plan, the second from
// 3 skills in, and checks that no call is lost, the plan is never
// exceeded, each holds a third of it within durations skills of the
// second's start, the shorter ends first, and all end within 1.15x of the
// ideal for the total.
func twoBatchesShare(t *testing.T, p gatesim.Plan, durations int) {
	t.Helper()
	start := 3*p.Latency + 137*time.Millisecond
	r := twoBatches(t, p, start)
	a, b := r.Loads[0], r.Loads[1]
	if third := r.ThirdEach(start); third < 0 || third > time.Duration(durations)*p.Latency {
		t.Errorf("each held a third of the plan %v after B started (-1: never), want within %d skill durations", third, durations)
	}
	if b.Finished > a.Finished {
		t.Errorf("B (%d calls) ended at %v, after A (%d more) at %v", 2*p.Limit, b.Finished, 8*p.Limit, a.Finished)
	}
	if ratio := r.Elapsed.Seconds() / gatesim.Ideal(p, 12*p.Limit).Seconds(); ratio > 1.15 {
		t.Errorf("all ended at %v, %.2fx the ideal for the total", r.Elapsed, ratio)
	}
}

// twoBatches runs batches of 10 and 2 times the plan, the second from
// start, and checks that no call is lost and the plan is never exceeded.
func twoBatches(t *testing.T, p gatesim.Plan, start time.Duration) gatesim.Result {
	t.Helper()
	r := gatesim.Run(t, p,
		gatesim.Load{Name: "A", Calls: 10 * p.Limit},
		gatesim.Load{Name: "B", Calls: 2 * p.Limit, Start: start})
	a, b := r.Loads[0], r.Loads[1]
	if a.Failed+b.Failed > 0 || r.Server.MaxConcurrent > p.Limit {
		t.Fatalf("%d and %d failed (%v %v), %d at once", a.Failed, b.Failed, a.FirstErr, b.FirstErr, r.Server.MaxConcurrent)
	}
	return r
}

// Behind refusals of 300 ms, the smaller of two batches took what the
// bigger gave way one session per probe: from one, its ramp doubled every
// three refusal round trips (0.9 s), the bigger took back half of what it
// had freed at the same pace, and the smaller stopped seeing the other at
// all 10 s after its first signs. On plans of 500 and 1,000 sessions, 5 s
// skills, a third each came 9.5 and 9.9 skill durations after the second
// started (means of 8 runs), and the shorter never ended first. Now the
// smaller ramps from a part of what it holds and keeps seeing the other
// while its ramps find sessions freed: 5.4 and 6.1, the shorter first in
// every run.
func TestGate_BehindSlowRefusalsTheSmallerBatchTakesItsShare(t *testing.T) {
	t.Parallel()
	p := sharedPlan(500, 5*time.Second)
	p.RefusalRTT = 300 * time.Millisecond
	twoBatchesShare(t, p, 7)
}

// With half-second skills on a 250-session plan, 15 calls of a batch end
// in every 30 ms refusal round trip: a refusal cannot say whether the API
// still held them. Counting them as held made the batch blind to a newcomer
// holding fewer than that: the newcomer held 2 sessions until the batch
// thinned out at its end, in 19 of 20 runs. Now the batch finds which count
// the API keeps from its own refusals (gatecount.go), sees the newcomer's
// first session, and gives way: 49 held while the batch still holds two
// thirds, in 20 of 20 runs; under the race detector, whose scheduling of
// goroutines woken at one virtual instant moves the counts, in about 9 of
// 10, so the test asks for 2 runs of 4 (the code before passes about one
// run in 20, so this still fails on it 98 times in 100). Since the batch
// gives way by up to a third of its limit at once, it may hold less than
// two thirds before the newcomer has ramped into what it freed: the test
// looks while it holds half, the least it gives way to (until its end).
func TestGate_ShortSkillsDoNotHideANewcomer(t *testing.T) {
	t.Parallel()
	p := sharedPlan(250, 500*time.Millisecond)
	start := 1637 * time.Millisecond
	var mosts []int
	for range 4 {
		r := twoBatches(t, p, start) // 2,500 and 500 calls
		a, b := r.Loads[0], r.Loads[1]
		most := 0
		for at := start; at < r.Elapsed && 2*a.HeldAt(at) >= 250; at += 10 * time.Millisecond {
			most = max(most, b.HeldAt(at))
		}
		mosts = append(mosts, most)
	}
	if shared := len(slices.DeleteFunc(slices.Clone(mosts), func(n int) bool { return n < 25 })); shared < 2 {
		t.Errorf("B held at most %v sessions at once while A held half the plan, want a tenth (25) in 2 runs of 4", mosts)
	}
}

// Alone, a client pays little for leaving room: at most 5% of a batch's
// time on plans of 50 or more, whether the batch fills the plan past it
// (no Concurrency: refused, it learns the plan) or capped at it (never
// refused). The median of 3 runs: skills of random length put about one
// run in 50 past 1.05x (2 of 96, 2026-12-03).
func TestGate_SharingCostsALoneBatchLittle(t *testing.T) {
	t.Parallel()
	for _, latency := range []time.Duration{500 * time.Millisecond, 5 * time.Second} {
		for _, conc := range []int{0, 50} {
			t.Run(fmt.Sprintf("%v/concurrency=%d", latency, conc), func(t *testing.T) {
				t.Parallel()
				p := sharedPlan(50, latency)
				var ratios []float64
				for range 3 {
					shared := gatesim.Run(t, p, gatesim.Load{Calls: 500, Concurrency: conc})
					whole := gatesim.Run(t, p, gatesim.Load{Calls: 500, Concurrency: conc, Options: []browseruse.Option{browseruse.WithoutSharing()}})
					lostNone(t, shared)
					ratios = append(ratios, shared.Elapsed.Seconds()/whole.Elapsed.Seconds())
					// Capped at the plan, the API never refuses it alone.
					if n := shared.Loads[0].Refusals; n > 500/8 || conc > 0 && n > 0 {
						t.Errorf("%d refusals alone for 500 calls, concurrency %d", n, conc)
					}
				}
				slices.Sort(ratios)
				if ratios[1] > 1.05 {
					t.Errorf("sharing took %.3fx the time without, median %.3fx of 3 runs, want at most 1.05x", ratios, ratios[1])
				}
			})
		}
	}
}

// WithoutSharing keeps what the client can get: a service beside it waits
// until the batch's calls thin out at its end.
func TestGate_WithoutSharingKeepsThePlan(t *testing.T) {
	t.Parallel()
	p := sharedPlan(10, 5*time.Second)
	r := gatesim.Run(t, p,
		gatesim.Load{Name: "batch", Calls: 60, Options: []browseruse.Option{browseruse.WithoutSharing()}},
		gatesim.Load{Name: "service", Calls: 1, Concurrency: 1, Goroutines: true, Start: 5137 * time.Millisecond})
	if w := r.Loads[1].MaxWait(); w < 20*time.Second {
		t.Errorf("the service got a session after %v beside a batch WithoutSharing, want it kept out for most of the batch", w)
	}
}

// A batch told the plan (WithMaxConcurrency) above the largest sold gives
// way to another and climbs back to within 2% of it within 10 s of that
// one's end. Its ramp back used to end at once past 1,000 in flight (the
// first ramp's time at the top was never forgotten), then climb one
// session per probe: 1,028 here; on a plan of 2,000, 1.62x the ideal.
func TestGate_ANamedPlanAbove1000ClimbsBackAfterSharing(t *testing.T) {
	t.Parallel()
	const plan = 1100
	p := sharedPlan(plan, 5*time.Second)
	var mu sync.Mutex
	limits := map[time.Duration]int{}
	r := gatesim.Run(t, p,
		gatesim.Load{Name: "batch", Calls: 12 * plan, Concurrency: 2 * plan,
			Options: []browseruse.Option{browseruse.WithMaxConcurrency(plan)},
			Trace: func(at time.Duration, st browseruse.GateStats) {
				mu.Lock()
				limits[at.Truncate(time.Second)] = st.Limit
				mu.Unlock()
			}, TraceEvery: time.Second},
		gatesim.Load{Name: "other", Calls: plan, Start: 15137 * time.Millisecond})
	b, o := r.Loads[0], r.Loads[1]
	if b.Failed+o.Failed > 0 || r.Server.MaxConcurrent > plan {
		t.Fatalf("%d and %d failed, %d at once", b.Failed, o.Failed, r.Server.MaxConcurrent)
	}
	at := (o.Finished + 10*time.Second).Truncate(time.Second)
	if at > b.Finished-2*p.Latency {
		t.Fatalf("the other batch ended at %v, too near the batch's end at %v to tell", o.Finished, b.Finished)
	}
	if l := limits[at]; l < plan-plan/50 {
		t.Errorf("limit %d of %d 10 s after the other batch ended", l, plan)
	}
}

// A client beside others ramps into what they free at one doubling per 1.5
// refusal round trips, as each step's refusals are back by then: sessions
// held elsewhere (45 of 50) come back 40 held within a few round trips of
// being freed. Behind 300 ms refusals, with half-second skills, it doubled
// every three round trips (0.9 s) though its calls told their admissions
// by ending within 0.6 s: 5.4 s, then 3.3 s at the skills' pace. With 5 s
// skills it still doubled every 0.9 s: 5.7 s, now 3.4 s. Beside another
// batch that pace is how much of what the other gives way this one takes
// before the other takes it back. The faster pace overshoots what was
// freed by more: a bounded amount of refusals (with 5 s skills, 135 before,
// most of them in the 10 s shut out).
func TestGate_BesideOthersTakeBackFreedSessionsWithinRoundTrips(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		latency, freed, within time.Duration
		refusals               int
	}{
		{500 * time.Millisecond, 2 * time.Second, 4300 * time.Millisecond, 120},
		{5 * time.Second, 10 * time.Second, 4500 * time.Millisecond, 170},
	} {
		t.Run(tt.latency.String(), func(t *testing.T) {
			t.Parallel()
			p := gatesim.Plan{Limit: 50, Latency: tt.latency, RefusalRTT: 300 * time.Millisecond, Hold: 45, HoldFor: tt.freed}
			r := gatesim.Run(t, p, gatesim.Load{Calls: 400})
			l := lostNone(t, r)
			if at := reachedAt(l, 40); at < 0 || at-tt.freed > tt.within {
				t.Errorf("held 40 sessions %v after the others freed theirs, want within %v", at-tt.freed, tt.within)
			}
			if l.Refusals > tt.refusals {
				t.Errorf("%d refusals for %d calls, want at most %d", l.Refusals, 400, tt.refusals)
			}
		})
	}
}

// Half-second skills on 250 sessions: each of two batches holds a third of
// the plan within 7 skill durations of the second's start behind 30 ms
// refusals, 10 behind 100 ms (before the first batch ends), in most runs.
// The bigger gives way by four times what the
// others hold, at most a third of its limit: with cuts of twice what they
// held, it saw the newcomer grow by thirds per refusal, each a probe or more
// apart, and the first batch was nearly done before the second held a third
// (behind 100 ms within 8 durations in 5 runs of 20, 0 of 20 before the
// newcomer ramped at 1.5 round trips); with cuts of at most a quarter, the
// last cuts were smaller: behind 30 ms a median of 7.0 durations (90th
// percentile 7.4) over 40 starting points, now 5.3 (5.7).
func TestGate_HalfSecondSkillsOn250SessionsShareWithinAFewDurations(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rtt       time.Duration
		durations time.Duration
	}{{30 * time.Millisecond, 7}, {100 * time.Millisecond, 10}} {
		t.Run(tt.rtt.String(), func(t *testing.T) {
			t.Parallel()
			p := sharedPlan(250, 500*time.Millisecond)
			p.RefusalRTT = tt.rtt
			var thirds []time.Duration
			for k := range 8 {
				start := 3*p.Latency + time.Duration(137+71*(k%4))*time.Millisecond
				thirds = append(thirds, twoBatches(t, p, start).ThirdEach(start))
			}
			// Skills of random length (and the race detector, the order of
			// goroutines woken at one virtual instant) move a run by a
			// duration or two, and one in 40 or so never shares before A
			// ends: the median of 8 runs. (Behind 30 ms, 9 of 40 runs took
			// over 6 durations, and 3 of 4 within 6 failed one time in five;
			// 100 ms: 6 of 64 over 8 durations, 4 over 9.6.)
			within := tt.durations * p.Latency
			if in := len(slices.DeleteFunc(slices.Clone(thirds), func(d time.Duration) bool { return d < 0 || d > within })); in < 5 {
				t.Errorf("a third each %v after B started (-1: never), want within %v (%d skill durations) in 5 runs of 8", thirds, within, tt.durations)
			}
		})
	}
}
