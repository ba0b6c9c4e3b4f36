package browseruse

import (
	"math"
	"slices"
	"time"
)

// How the gate learns the account's limit of sessions (gate.go holds the
// slots). A refusal comes back within one round trip (30 to 300 ms), while
// an admitted call holds its session for the skill's whole run (seconds to
// minutes). So a call not refused after a few refusal round trips is
// admitted: the gate grows on admissions, not completions, and reaches the
// plan's limit in a few round trips instead of a few skill durations.
//
//   - It starts at the smallest plan's limit (10) and, while calls wait,
//     grows continuously, doubling every rampDoubling: one slot at a time,
//     so that the calls sent in the last round trip before the limit is
//     reached (the overshoot) are few.
//   - The first refusal ends the ramp. The API held every call of ours sent
//     before the refused one, so that count is the limit; calls sent after
//     it are not counted, and most will be refused too: the one overshoot.
//     Its size is what the ramp sent in one refusal round trip: about
//     L*(2^(RTT/rampDoubling)-1), a fifth of the limit at 30 ms. The gate
//     cannot know the round trip before that refusal (nothing tells a call
//     that will be refused from one that was admitted until it comes), so a
//     slower one makes that overshoot larger; from then on the gate times
//     everything by the round trips it saw.
//   - Then it probes: one call past the limit at a probe time (at most one
//     outstanding), and after a refused probe, not before probeEvery more
//     calls have succeeded and a backoff of 1, 2, 4, then 8 probe periods,
//     so a lone client at its limit is refused at most once per probeEvery
//     calls. A probe admitted means sessions were freed (another client
//     finished, the plan grew): the gate ramps again, the increments
//     doubling from one, the same pace for every client, so the bigger one
//     does not take back more than its share.
//   - A refusal while calls of other clients hold sessions (the API held
//     fewer of ours than it once did) makes the gate give way:
//     gateshare.go.

const (
	initialLimit = 10   // the smallest plan
	largestPlan  = 1000 // the largest: the gate's limit without WithMaxConcurrency
	// rampDoubling is how fast the gate grows before any refusal: fast enough
	// to fill a 1,000-session plan within a few tenths of a 2 s skill's
	// batch, slow enough that at a 30 ms refusal round trip the one overshoot
	// is under a fifth of the limit.
	rampDoubling = 110 * time.Millisecond
	// confirmRTTs is how many refusal round trips (the slowest of the last
	// few) a call must go unrefused to count as admitted, once one was seen.
	confirmRTTs = 3
	minConfirm  = 25 * time.Millisecond // a loopback round trip is not the scheduler's
	// unseenRefusal is the confirmation time for a probe before any refusal
	// was seen: above the slowest refusal round trip assumed (300 ms).
	unseenRefusal = 400 * time.Millisecond
	maxConfirm    = 30 * time.Second
	// topConfirm is how long the ramp holds the most the gate lets run
	// before it takes that for the plan (heldLargestPlan): over three times
	// the slowest refusal assumed, so that a refusal of 0.5 s on a smaller
	// plan is not taken for other clients holding the rest.
	topConfirm = time.Second
	probeEvery = 8 // successes after a refused probe: at most one refusal in eight calls
	maxBackoff = 2 // probe periods after refused probes
	// maxSharingBackoff is the same beside other clients: every period, so
	// what they free is taken within half a second; for a client that
	// never held the smallest plan's 10, only for sharingMemory of refusals
	// in a row, or a sharing window after a lockout (refusedLong).
	maxSharingBackoff = 1
	maxNeed           = 2 * probeEvery // successes before a probe, after refused ones in a row
	// maxTakerJump is the most the smaller client beside others adds at
	// once when a probe finds sessions free (admit): a jump that finds
	// fewer free costs at most that many refusals.
	maxTakerJump = 8
	// minFreedForOthers is the least a ramp must gain past where it
	// started to be taken for sessions other clients freed.
	minFreedForOthers = 4
	probeWindow       = 50 * time.Millisecond // how late past its time a probe may still go
	// sameInstant is how far apart two calls sent together (a batch's
	// first calls, all at once) may be stamped: goroutines race to the
	// API, so either may arrive first.
	sameInstant = time.Millisecond
	maxLimit    = int(^uint(0) >> 1)
)

type limitState struct {
	ramping   bool
	base      int     // while ramping, the limit is base + floor(inc)
	inc       float64 // doubles every doubling time while calls wait
	rampAt    time.Time
	rtts      []time.Duration // the last few refusal round trips
	learned   bool            // a refusal was seen
	plan      int             // most calls of ours the API was seen to hold at once
	alone     int             // the same, while no other client was seen: the account's plan
	probeOpen bool            // one call may be sent past the limit
	probe     *ticket         // the probe in flight
	probeNext time.Time       // no probe before
	backoff   int             // probe periods to skip after refused probes
	need      int             // successes needed before the next probe
	meanRun   time.Duration   // of successful calls, averaged
	// lastSignal is when the last refusal of a call sent after the one
	// before it came back: the gate acted on what was sent before then.
	lastSignal   time.Time
	others       time.Time // when other clients were last seen holding sessions (besideOthers)
	fewer        time.Time // when the API last refused with fewer than the smallest plan held
	gaveWay      time.Time // when this client last cut its limit for others (shareRefusal)
	lastProbeOK  bool      // the last probe was admitted
	refusedInRow int       // probes refused since the last admitted one, alone
	refusedSince time.Time // the first of the probes refused in a row, beside others
	lastLockout  time.Time // when a call was last refused with none of ours held (lockoutWait)
	topAt        time.Time // when this ramp first had top() in flight
	// surePlan and sureAlone are plan and alone counting only the calls
	// still unanswered when the refusal came back: never above what the
	// API held, so a later refusal below them surely means other clients.
	surePlan, sureAlone int
	drift               countDrift // which count is the API's (gatecount.go)
}

func (l *limitState) init(ceiling, start int) {
	l.backoff = 1
	switch {
	case ceiling > 0:
		// A caller who names the plan's limit knows better than the ramp.
		l.plan, l.alone, l.learned = ceiling, ceiling, true
		l.surePlan, l.sureAlone = ceiling, ceiling
	case start > 0:
		// Remembered, not seen: no ramp, probes past it, and the plan
		// stays unknown until a refusal shows it, so that a stale start
		// above it is cut to what the API held, not taken for other
		// clients holding the rest.
		l.learned = true
	default:
		l.ramping, l.inc = true, initialLimit
	}
}

func (l *limitState) start(ceiling, start int) int {
	switch {
	case ceiling > 0:
		return ceiling
	case start > 0:
		return start
	}
	return initialLimit
}

// learnedPlan is the account's limit as learned: what the API held of ours
// alone, counted as the API counts once its lone refusals tell
// (gatecount.go), else the most it can have held alone, else beside
// others. g.mu is held.
func (l *limitState) learnedPlan() int {
	if plan, _, _, ok := l.countedPlan(); ok {
		return int(math.Round(plan))
	}
	if l.alone > 0 {
		return l.alone
	}
	return l.plan
}

// confirm is how long a call must go unrefused to count as admitted.
func (l *limitState) confirm() time.Duration {
	if len(l.rtts) == 0 {
		if !l.ramping {
			// A probe past a starting limit (WithStartingLimit), before
			// any refusal: taken for admitted too soon, it would start a
			// ramp past the plan.
			return unseenRefusal
		}
		return rampDoubling
	}
	return min(max(confirmRTTs*slices.Max(l.rtts), minConfirm), maxConfirm)
}

// doubling is how long the ramp takes to double: the confirmation time,
// or, beside other clients, one and a half of the slowest refusal round
// trips seen (at least minConfirm): each step's refusals are back by then.
// Beside others the pace decides how much of what they free this client
// takes before they take it back: with the skills' mean run as a floor, a
// second batch of 1 s skills behind 100 ms refusals on 250 sessions held a
// third each within 6 skill durations in 7 runs of 20 (16 now), and on 50
// sessions behind 300 ms refusals never in 9 of 20 (5 now). The price is a
// ramp's overshoot past what was freed: 1.59 times what it held a round
// trip before at most (1.26 at three round trips). Alone, the pace
// matters less, and faster re-ramps after probes near a batch's end cost
// more than they gave.
// confirm is l.confirm(), which the callers have at hand. g.mu is held.
func (g *gate) doubling(confirm time.Duration, now time.Time) time.Duration {
	l := &g.lim
	if len(l.rtts) == 0 || l.meanRun == 0 || !g.sharing(now) {
		return confirm
	}
	return min(confirm, max(3*slices.Max(l.rtts)/2, minConfirm))
}

func (l *limitState) probing() bool { return l.probe != nil }

func (l *limitState) probeSent(c *ticket) {
	l.probe, l.probeOpen = c, false
	l.probeNext = nextProbeTime(c.sent.Add(time.Millisecond)) // one a period at most
}

// probeEnded forgets the probe c: answered, refused or never sent.
func (l *limitState) probeEnded(c *ticket) {
	if l.probe == c {
		l.probe = nil
	}
}

// completed records a success that ran for d.
func (l *limitState) completed(d time.Duration) {
	if l.need > 0 {
		l.need--
	}
	if l.meanRun == 0 {
		l.meanRun = d
		return
	}
	l.meanRun += (d - l.meanRun) / 8
}

// rampFrom starts a ramp on top of base: the limit grows by inc at once,
// then by twice that every doubling time while calls wait.
func (g *gate) rampFrom(base int, inc float64, now time.Time) {
	l := &g.lim
	l.ramping, l.base, l.inc, l.rampAt, l.topAt = true, base, inc, now, time.Time{}
	g.limit = max(base, min(g.capped(base+int(inc)), g.demand()))
}

// demand is how many calls of this client are out or waiting: a ramp grows
// no further. A batch capped at the plan whose ramp passed its cap (a probe
// admitted with one call waiting) left free a session below a limit its
// calls never reach: no gap held, and a single call waited for its end (a
// review, 2026-12-03). g.mu is held.
func (g *gate) demand() int { return g.inFlight + len(g.waiters) }

func (g *gate) capped(n int) int { return min(max(n, 1), g.top()) }

// top is the most the gate lets run at once: WithMaxConcurrency, else the
// largest plan the API sells. Without it, calls that end before the ramp
// can see them held (instant skills, quick 4xx answers, slow dials) would
// let the limit double past any plan, and a batch open thousands of
// connections.
func (g *gate) top() int {
	if g.ceiling > 0 {
		return g.ceiling
	}
	return largestPlan
}

// admit counts c as holding a session: it succeeded, or went unrefused for
// the confirmation time. A probe or a lockout's call admitted means
// sessions are free: ramp into them. g.mu is held.
func (g *gate) admit(c *ticket, now time.Time) {
	c.admitted = true
	g.shutOut, g.lockoutAt = time.Time{}, time.Time{} // a call holds a session: no lockout
	if !c.probe || g.lim.ramping {
		return
	}
	g.lim.probeEnded(c)
	if c.besideGap {
		// It may have taken the session this client left free: that
		// proves nothing.
		return
	}
	l := &g.lim
	l.backoff, l.need, l.refusedInRow, l.refusedSince = 1, 0, 0, time.Time{}
	if g.share && g.recent(l.gaveWay, now) && g.limit > (l.alone+1)/2 && !l.lastProbeOK {
		// It gave way to others lately: one session at a time, so that
		// what it freed goes to them, until a second probe in a row holds.
		l.lastProbeOK = true
		g.limit = g.capped(max(g.limit, g.inFlight))
		return
	}
	l.lastProbeOK = true
	inc := 1.0
	if g.besideOthers(now) && (l.alone == 0 || g.inFlight < (l.alone+1)/2) {
		// The smaller client beside others: what a bigger one gives way
		// grows with what this one holds (twice it), so its ramp starts
		// with a part of that, not at one. From one, at a doubling every
		// three refusal round trips, taking 50 freed sessions behind 300 ms
		// refusals took 5 s, while the giver took half of them back.
		inc = float64(min(max(1, g.inFlight/2), maxTakerJump))
	}
	if len(l.rtts) == 0 {
		// No refusal yet: the limit it started at (WithStartingLimit) is
		// below the plan, by an unknown amount.
		inc = float64(max(1, g.inFlight/8))
	}
	g.rampFrom(g.inFlight, inc, now)
}

// advance moves the gate's timed state to now: admissions by time, the
// ramp, the probe, the sessions left free for other clients. g.mu is held.
func (g *gate) advance(now time.Time) {
	confirm := g.lim.confirm()
	for _, c := range g.calls {
		if now.Sub(c.sent) < confirm {
			break // sent in order
		}
		if !c.admitted {
			g.admit(c, now)
		}
	}
	l := &g.lim
	// Also for a client started at the largest plan (WithStartingLimit):
	// not ramping, it would never say it holds it.
	if (l.ramping || l.plan < g.top()) && g.inFlight >= g.top() {
		if l.topAt.IsZero() {
			l.topAt = now
		}
		if now.Sub(l.topAt) >= topConfirm {
			g.heldLargestPlan(now)
		}
	} else if !l.ramping {
		l.topAt = time.Time{}
	}
	if l.learned && l.probeNext.IsZero() {
		// Started on a limit (WithStartingLimit): the first probe waits for
		// a probe time, so that it does not go out with the calls that
		// fill that limit and miscount what the API held.
		l.probeNext = nextProbeTime(now)
	}
	if l.ramping {
		g.grow(confirm, now)
	}
	if !l.probeNext.IsZero() && now.Sub(g.probeAt(now)) > probeWindow {
		// Probes go at their times only, not whenever a call ends: a
		// call's end frees a session of ours until it is refilled, and a
		// probe then would find it.
		l.probeNext = nextProbeTime(now)
	}
	full := g.backlog() && g.inFlight >= g.limit-g.shr.held
	// In a long lockout its call is the probe: another beside it, sent
	// while its try was on the wire (300 ms refusals), doubled the
	// refusals. Not in its first seconds, where a client starting beside
	// a batch takes its first sessions with both (without it, the second
	// of two batches on 50 sessions held a third a median of 2.6 skill
	// durations after it started behind 100 ms refusals, not 1.5).
	// Long a period early: the lockout's try before the 4 s mark may still
	// be on the wire after it (300 ms refusals).
	longLockout := !g.shutOut.IsZero() && now.Sub(g.shutOut) >= 2*shutOutWaitMax-gridPeriod
	// Nor while a session is left free for others (gateshare.go): the
	// probe would take it (room checks again).
	l.probeOpen = !l.ramping && l.learned && l.probe == nil && g.kept() == 0 && !longLockout && full && g.shr.held == 0 &&
		g.probeDue(now) && !now.Before(g.probeAt(now)) && g.limit < g.top()
	g.shr.advance(g, now)
}

// backlog reports whether calls wait worth a probe: a session more, not
// near a batch's end, where a refused probe would only hold its call back.
// Or, for a batch capped near its limit (it was steady), any call waiting
// while the calls out and waiting are as many as when the last was sent:
// capped at 50 with 4 waiting at a limit of 46 after a service's call (a
// review), it never probed and ran at 46 to its end (1.09x). g.mu is held.
func (g *gate) backlog() bool {
	return len(g.waiters) > max(0, g.limit/8-1) ||
		g.shr.steadyHeld > 0 && len(g.waiters) > 0 && g.demand() >= g.shr.level
}

// grow moves a ramp's limit to now, doubling its increment every doubling
// time while calls wait: not for calls that wait only for a session left
// free for others (steady), which they would take. g.mu is held.
func (g *gate) grow(confirm time.Duration, now time.Time) {
	l := &g.lim
	if len(g.waiters) > g.shr.held && g.limit < g.top() {
		l.inc = min(l.inc*math.Exp2(float64(now.Sub(l.rampAt))/float64(g.doubling(confirm, now))), 1e9)
		g.limit = max(g.limit, min(g.capped(l.base+int(min(l.inc, float64(maxLimit/2)))), g.demand()))
	}
	l.rampAt = now // the ramp pauses while nothing waits
}

// heldLargestPlan ends a ramp that has had the most the gate lets run (the
// largest plan sold, or WithMaxConcurrency) in flight for topConfirm: no
// refusal will come to end it, and a client still ramping neither leaves
// room for the account's other clients nor gives way to them
// (gateshare.go), so they would wait for its batch's end. g.mu is held.
func (g *gate) heldLargestPlan(now time.Time) {
	l := &g.lim
	l.ramping, l.learned, l.topAt = false, true, time.Time{}
	// The plan: a client that took it for unknown would never see the
	// first session another client takes as taken from it, and would not
	// give way.
	g.learnPlan(g.top(), g.top(), now)
	l.probeNext = nextProbeTime(now)
}

// nextStep is when advance next has something to do. g.mu is held.
func (g *gate) nextStep(now time.Time) (time.Time, bool) {
	var at time.Time
	soonest := func(t time.Time) {
		if at.IsZero() || t.Before(at) {
			at = t
		}
	}
	confirm := g.lim.confirm()
	for _, c := range g.calls {
		if !c.admitted {
			soonest(c.sent.Add(confirm))
			break
		}
	}
	l := &g.lim
	if len(g.waiters) > 0 {
		switch {
		case l.ramping && g.limit < g.top():
			// When base + inc*2^(t/doubling) reaches the next slot.
			want := float64(g.limit + 1 - l.base)
			dt := time.Duration(float64(g.doubling(confirm, now)) * math.Log2(want/l.inc))
			soonest(now.Add(max(dt, time.Millisecond)))
		case !l.ramping && l.learned && l.probe == nil && g.kept() == 0 && !l.probeOpen && g.probeAt(now).After(now) && g.probeDue(l.probeNext):
			// One due but not open waits for what holds it (a call
			// ending): that wakes the gate itself.
			soonest(g.probeAt(now))
		}
	}
	if t := l.topAt.Add(topConfirm); !l.topAt.IsZero() && t.After(now) {
		soonest(t) // heldLargestPlan
	}
	if t, ok := g.shr.next(); ok {
		soonest(t)
	}
	if len(g.waiters) > 0 && g.lockoutAt.After(now) {
		soonest(g.lockoutAt)
	}
	return at, !at.IsZero()
}

// heldBefore is how many calls of ours, sent before c, are still
// unanswered: the API held them when it refused c. Calls sent at the same
// instant as c (within sameInstant after it) may have reached the API
// before it or after: all counts them, sure does not. (Calls answered
// while the refusal came back are counted by heldCounts.) g.mu is held.
func (g *gate) heldBefore(c *ticket) (all, sure int) {
	for _, x := range g.calls {
		if x == c || x.sent.Sub(c.sent) >= sameInstant {
			continue
		}
		all++
		if x.sent.Before(c.sent) {
			sure++
		}
	}
	return all, sure
}

// refusalCounts is how many calls of ours the API held when it refused c.
// The calls answered while the refusal came back may have ended at the API
// before it refused c (over a network) or after (a server that decides as
// the call arrives, as the fake does): held and strict count them, so that
// the limit and the plan are not cut far below it with short skills; sure
// does not, so that it never counts a session the API did not hold; counts
// tells which the API does (gatecount.go). held also counts the calls sent
// at the same instant as c. g.mu is held.
func (g *gate) refusalCounts(c *ticket, now time.Time) (counts [countSteps + 1]int, held, strict, sure int) {
	all, sure := g.heldBefore(c)
	counts = g.heldCounts(c, sure, now)
	done := counts[0] - sure
	return counts, all + done, sure + done, sure
}

// learnRefusal updates the limit from a refusal of c, and returns how many
// calls of ours the API held when it refused c. g.mu is held.
func (g *gate) learnRefusal(c *ticket, now time.Time) (held int) {
	if c == nil {
		return 0 // no attempt on the slot: nothing to learn from
	}
	// Counted for c itself, before c stands for a probe out beside it.
	counts, held, strict, sure := g.refusalCounts(c, now)
	l := &g.lim
	if len(l.rtts) == 8 {
		l.rtts = l.rtts[1:]
	}
	l.rtts = append(l.rtts, now.Sub(c.sent))
	// A call sent before the last refusal that told something came back is
	// its echo: sent in the same overshoot, before the gate knew. It says
	// nothing new about the plan.
	echo := c.sent.Before(l.lastSignal)
	if !echo {
		l.lastSignal = now
	}
	first := !l.learned
	if first {
		// The ramp's end: no probe before probeEvery more successes.
		l.learned, l.need = true, probeEvery
		l.probeNext = nextProbeTime(now)
		l.heldSteady(g.shr.steadyHeld, held)
	} else {
		g.rampGainShowsOthers(held, now)
	}
	l.ramping = false
	if p := l.probe; p != nil && p != c {
		// A probe out while another call is refused proves nothing: it
		// may have taken the session that call would have had.
		p.probe = false
		l.probeEnded(p)
		c = p
	}
	if !echo {
		l.signsOfOthers(counts, held, first, now)
	}
	cut := !echo && g.shareRefusal(counts, held, now)
	if c.probe {
		l.lastProbeOK = false
		g.probeRefused(now)
	}
	if cut {
		return held
	}
	if !echo {
		if !g.besideOthers(now) {
			l.drift.saw(counts)
		}
		g.learnPlan(strict, sure, now)
	}
	if c.probe {
		// A probe went past the limit: its refusal says the limit is
		// right, not that it is too high (a count off by a call sent at
		// the same instant would shrink it for good).
		return held
	}
	g.limit = min(g.limit, max(1, held))
	return held
}

// rampGainShowsOthers notes other clients when a refusal ends a ramp from
// an admitted probe that gained much, beside others seen lately: they freed
// sessions for it, and still hold the rest. Without this, the smaller of
// two batches, long past its first signs of the other, ramped as if alone:
// one session more per probe. Never seen beside others, the gain is the
// plan grown or sessions held elsewhere freed: no one left to share with.
// g.mu is held.
func (g *gate) rampGainShowsOthers(held int, now time.Time) {
	l := &g.lim
	gained := held - l.base
	if l.ramping && len(l.rtts) > 1 && gained >= max(minFreedForOthers, l.base/4) && g.seenOthers(now) {
		l.others = now
	}
}

// signsOfOthers notes what a refusal that told something new, with held
// calls of ours at the API (counts: gatecount.go), says of other clients.
// g.mu is held.
func (l *limitState) signsOfOthers(counts [countSteps + 1]int, held int, first bool, now time.Time) {
	if first && held < initialLimit || l.othersAt(counts, held, l.surePlan) > 0 {
		// Others hold sessions: the API held more of ours before, or the
		// ramp ended below the smallest plan (a client starting beside a
		// batch that holds the plan: taking what it got for its plan, it
		// would give way to the batch).
		l.others = now
	}
	if held < initialLimit {
		l.fewer = now // no plan is smaller: others, or sessions held elsewhere
	}
}

// heldSteady takes n, the calls a client held unrefused when it last left
// a session free (steadyHeld: a batch capped at or below the plan,
// gateshare.go), for its plan alone at its first refusal, if it holds fewer
// now: another client took the session it left free, and it gives way as a
// batch past the plan does (shareRefusal). Else it took what it held for its
// plan, and a second batch got one session until it ended (1.5x the ideal
// for both, a review).
func (l *limitState) heldSteady(n, held int) {
	if n > held {
		l.plan, l.surePlan, l.alone, l.sureAlone = max(l.plan, n), max(l.surePlan, n), max(l.alone, n), max(l.sureAlone, n)
	}
}

// learnPlan raises the plan to what the API held when it refused a call:
// strict (a call sent with it may have been refused after it), and sure
// (without the calls answered while the refusal came back). g.mu is held.
func (g *gate) learnPlan(strict, sure int, now time.Time) {
	l := &g.lim
	l.plan, l.surePlan = max(l.plan, strict), max(l.surePlan, sure)
	if !g.besideOthers(now) {
		l.alone, l.sureAlone = max(l.alone, strict), max(l.sureAlone, sure)
	}
}

// probeDue reports whether enough calls succeeded since the last refused
// probe: alone, probeEvery of them; beside other clients, none (the probe
// time paces them). g.mu is held.
func (g *gate) probeDue(now time.Time) bool {
	return g.lim.need == 0 || g.sharing(now) && !g.refusedLong(now)
}

// refusedLong reports whether a client that never held the smallest plan
// had its probes refused beside others for sharingMemory in a row: then it
// probes as if alone. Fewer than 10 held is a sign of others (no plan is
// smaller) that never fades, but a plan made smaller by sessions held
// elsewhere looks the same, and a client on it would be refused twice a
// second for a whole run. A client shut out within a sharing window before
// the streak began (or during it) knows others hold the sessions it lacks,
// and they free them no faster than their calls end: it gives up after a
// sharing window. After 10 s, a second batch of one-minute skills on a
// plan of 10 waited for eight of its calls at a limit of 1 or 2 before it
// probed again, the first batch's whole run (1 run in 200 while the window
// counted back from now: CI, 2026-12-03); a lockout counted however old
// had 20 one-minute calls on a plan of 2 refused 142 times, not 26. g.mu
// is held.
func (g *gate) refusedLong(now time.Time) bool {
	l := &g.lim
	if l.plan >= initialLimit || l.refusedSince.IsZero() {
		return false
	}
	giveUp := sharingMemory
	if !l.lastLockout.IsZero() && l.refusedSince.Sub(l.lastLockout) < g.sharingWindow() {
		giveUp = g.sharingWindow()
	}
	return now.Sub(l.refusedSince) >= giveUp
}

// probeRefused paces the next probe. Alone, after probeEvery more
// successes (twice that after refusals in a row) and a probe period or two,
// so that a client at the plan's limit is refused at most once in
// probeEvery calls. Beside other clients (sharing), at the next probe
// time, to take what they free within half a second. g.mu is held.
func (g *gate) probeRefused(now time.Time) {
	l := &g.lim
	switch {
	case !g.sharing(now):
		l.refusedSince = time.Time{}
	case l.refusedSince.IsZero():
		l.refusedSince = now
	}
	switch {
	case g.sharing(now) && !g.refusedLong(now):
		l.backoff, l.need, l.refusedInRow = min(l.backoff*2, maxSharingBackoff), 0, 0
	case g.sharing(now):
		// Others may still free sessions: probeEvery successes apart, not
		// more as a lone client's refusals in a row make it.
		l.backoff, l.need = min(l.backoff*2, maxBackoff), probeEvery
	default:
		l.backoff = min(l.backoff*2, maxBackoff)
		l.need = min(probeEvery<<l.refusedInRow, maxNeed)
		l.refusedInRow++
	}
	l.probeNext = maxTime(l.probeNext, nextProbeTime(now.Add(time.Duration(l.backoff-1)*gridPeriod)))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
