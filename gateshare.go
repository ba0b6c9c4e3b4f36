package browseruse

import (
	"time"
)

// How a client shares the account's plan with the account's other clients,
// without knowing they exist (gate.go holds the slots, gatelimit.go learns
// the limit). A 429 tells a waiting client nothing about when a session
// frees, and a client holding the plan refills each freed session at once:
// left alone, the first client to fill the plan keeps it. So:
//
//   - The wall clock is cut into periods of gridPeriod. A client that holds
//     its whole limit with calls waiting leaves the first session it frees
//     near each period's start unfilled until gapWindow past it. A client
//     shut out (nothing of its own in flight) probes just after a period
//     starts: it lands in such a gap. Both read the same clock (NTP keeps
//     machines within milliseconds of it); nothing is exchanged.
//   - Probes of clients that hold sessions go out mid-period, outside the
//     gaps: they find only sessions really freed.
//   - A refusal while the API held fewer calls of ours than it once did
//     means other clients hold the rest. A client that held more than half
//     of what it ever held then gives way: it cuts its limit by four times
//     what the others hold (at most a third of its limit), never below
//     half of the most it held. A single call of a service costs it four
//     sessions for a moment; a growing batch beside it sees the cuts grow
//     geometrically until the two are even (by twice, or by at most a
//     quarter, the shares of half-second skills moved too slowly for a
//     batch's run: see
//     TestGate_HalfSecondSkillsOn250SessionsShareWithinAFewDurations).
//     A client that never held more (the newcomer) never cuts: it grows
//     into what the other frees.
//
// WithoutSharing turns all of this off for a client that must have the
// whole plan.

const (
	gridPeriod    = 500 * time.Millisecond
	gapWindow     = 100 * time.Millisecond // how long a session is left free past a period's start
	lockoutOffset = 10 * time.Millisecond  // a shut-out client probes this long after a period starts
	probeOffset   = gridPeriod / 2         // other probes, mid-period
	// lateProbeOffset is when a client giving way probes: after the
	// others' probes had a confirmation time or so to take what it freed.
	lateProbeOffset = 400 * time.Millisecond
	maxLead         = gridPeriod / 2 // how early before a period a session may be set aside
	// A call shut out (refused with nothing else of this client in flight)
	// waits for a period start about a quarter of the time it has been
	// shut out so far from now, at most shutOutWaitMax: about six refusals
	// in a 3 s lockout, and one every 2 s in a long one; a client
	// holding the plan leaves a session free longer than that when its calls
	// end seldom (sparseHold), so a shut-out call finds it.
	shutOutWaitMax = 2 * time.Second
	minYieldLimit  = 10 // below it, a client yields only every minYieldLimit/limit periods
	// sparseEvery is how often at most a client whose calls end seldom
	// leaves a session free until the next even second: a sixth of one
	// session's time at most.
	sparseEvery = 4 * time.Second
	// cutCooldown is how long a client that gave way does not probe, so
	// that the sessions it frees go to the others.
	cutCooldown = time.Millisecond
	// sharingMemory is how long after the last sign of other clients a
	// client still probes every period (rather than after probeEvery
	// successes) to take sessions they free; twice the calls' run time if
	// longer, since sessions free no faster than calls end.
	sharingMemory = 10 * time.Second
	// doneMemory is how long at least a call answered is remembered as
	// held, for refusals of calls sent while it ran: above any refusal
	// round trip assumed (30 to 300 ms).
	doneMemory = time.Second
)

type shareState struct {
	held  int       // sessions left free for other clients: 0 or 1
	until time.Time // when the session left free is taken back
	from  time.Time // the next session freed from then is left free; zero: none due
	gap   time.Time // the period start that session serves
	// sparse is when a session was last left free for calls that end
	// seldom.
	sparse time.Time
	// level is how many calls of ours were in flight or waiting when the
	// last one was sent (steady).
	level int
	// steadyHeld is how many calls of ours were in flight when this client
	// last left a session free for being steady; 0: never.
	steadyHeld int
	done       []doneCall // from head on
	head       int
}

// doneCall is a call of ours answered recently, for heldCounts: the API
// still counted it when it refused a call sent before it was answered.
type doneCall struct {
	sent, at time.Time
}

// gridStart is the first period start at or after t.
func gridStart(t time.Time) time.Time {
	n := t.UnixNano()
	p := int64(gridPeriod)
	k := (n + p - 1) / p
	return time.Unix(0, k*p).In(t.Location())
}

func nextProbeTime(t time.Time) time.Time {
	s := gridStart(t.Add(-probeOffset)).Add(probeOffset)
	return s
}

// probeAt is when the next probe may go: at the probe time, or, for a
// client giving way to others, later in the same period, so that what it
// freed goes first to the others, whose probes went out at the probe time.
// g.mu is held.
func (g *gate) probeAt(now time.Time) time.Time {
	l := &g.lim
	if g.share && g.recent(l.gaveWay, now) && g.limit > (l.alone+1)/2 {
		return l.probeNext.Add(lateProbeOffset - probeOffset)
	}
	return l.probeNext
}

// yields reports whether this client leaves a session free for others now:
// it shares and keeps the sessions it may hold busy, either past a limit a
// refusal taught (calls wait; not ramping), or, with no call waiting, by
// retaking each one freed at once, as a batch capped at or below the plan
// does (steady): the API never refuses such a client, and it may be the
// one keeping the plan full (a batch capped at a plan of 10 kept a single
// call out until it ended: 4.3 to 5.9 s beside half-second skills, a
// review, 2026-12-03). g.mu is held.
func (g *gate) yields(now time.Time) bool {
	if !g.share || g.limit < 2 {
		return false
	}
	if !g.pastLimit() && !g.steady() {
		return false
	}
	// A small share beside others costs more to leave free than it helps:
	// the bigger clients leave the gaps.
	return g.limit >= minYieldLimit || !g.besideOthers(now)
}

// pastLimit reports whether calls of this client wait at a limit a refusal
// taught, beyond those that wait for a session it left free. g.mu is held.
func (g *gate) pastLimit() bool {
	return g.lim.learned && !g.lim.ramping && len(g.waiters) > g.shr.held
}

// steady reports whether this client's calls, none waiting (but for a
// session left free), hold at least the smallest plan's sessions, as many
// as when its last call was sent, and one has ended: each slot freed is
// retaken at once. Of calls that end together (skills of even length), the
// first sees it. g.mu is held.
func (g *gate) steady() bool {
	return len(g.waiters) <= g.shr.held && g.lim.meanRun > 0 && g.shr.level >= minYieldLimit && g.demand() >= g.shr.level
}

// gapEvery is every how many periods this client leaves a session free.
// A small limit pays more for each: every few. So does a client that no
// refusal told it holds the plan (steady): a batch capped below it pays for
// gaps nobody takes, so every whole second, where shut-out clients probe
// too (lockoutWait), for skills under 2 s. g.mu is held.
func (g *gate) gapEvery() int64 {
	every := int64((minYieldLimit + g.limit - 1) / g.limit)
	if g.pastLimit() || g.lim.meanRun >= 2*time.Second {
		// Calls that end seldom end near few periods anyway, and skills of
		// even length end in waves that may all fall on odd seconds (3 s
		// skills: a gap every 6 s at even seconds, a single call waited
		// 7.5 s, bound 6.5 s).
		return every
	}
	return max(every, 2) // the whole seconds
}

// completed is told of a success; its session may be the one left free.
func (s *shareState) completed(g *gate, c *ticket, now time.Time) {
	s.done = append(s.done, doneCall{sent: c.sent, at: now})
	if s.held > 0 || s.from.IsZero() || now.Before(s.from) || !g.yields(now) {
		return
	}
	// Left free until the window of the first period start whose shut-out
	// probes have not gone out (the API may take them at once, however long
	// their refusals take): the gap's own, or, for a session freed after
	// them, the next. Calls that end in waves (a batch of even skills
	// started together) end after the probes period after period.
	next := gridStart(now.Add(-lockoutOffset))
	until := next.Add(gapWindow)
	// Now and then, when freed late (next is past the gap) and calls end
	// seldom (long skills), until the next even second, where every
	// shut-out client probes however long it has been shut out
	// (lockoutWait), or there may be no gap for a long time; when they end
	// in waves over shutOutWaitMax apart, until the next whole second, where
	// clients shut out for up to 8 s probe (an even second cost a lone
	// batch of even 5 s skills 1.07x to 1.09x).
	seldom := g.lim.meanRun >= maxLead*time.Duration(max(g.inFlight, 1))/2
	waves := now.Sub(s.gap.Add(gapWindow)) >= shutOutWaitMax
	if (seldom || waves) && next.After(s.gap) && now.Sub(s.sparse) >= sparseEvery {
		stride := shutOutWaitMax
		if !seldom {
			stride = 2 * gridPeriod
		}
		until = strideStart(now.Add(-lockoutOffset), stride).Add(gapWindow)
		s.sparse = now
	}
	s.held, s.until, s.from, s.gap = 1, until, time.Time{}, next
	if !g.pastLimit() {
		s.steadyHeld = g.inFlight
	}
}

// strideStart is the first period start at or after t that is a multiple
// of stride (a multiple of gridPeriod).
func strideStart(t time.Time, stride time.Duration) time.Time {
	n, p := t.UnixNano(), int64(stride)
	return time.Unix(0, (n+p-1)/p*p).In(t.Location())
}

// advance takes back a session left free once its window has passed, and
// sets the next one due. g.mu is held.
func (s *shareState) advance(g *gate, now time.Time) {
	if s.held > 0 && !now.Before(s.until) {
		s.held = 0
	}
	if s.held == 0 && s.from.IsZero() && g.yields(now) {
		s.gap = gridStart(now)
		if every := g.gapEvery(); every > 1 {
			k := s.gap.UnixNano() / int64(gridPeriod)
			s.gap = s.gap.Add(time.Duration((every-k%every)%every) * gridPeriod)
		}
		lead := maxLead
		if g.lim.meanRun > 0 {
			// Early enough that one of our calls likely ends in time.
			lead = min(lead, 2*g.lim.meanRun/time.Duration(max(g.inFlight, 1)))
		}
		s.from = s.gap.Add(-lead)
	}
	// Kept for the slowest refusal that may still come back for a call sent
	// while they ran: before the first refusal the gate does not know how
	// slow that is, and a refusal that counted too few calls held would cut
	// the limit to 1.
	s.prune(now, max(g.lim.confirm(), doneMemory))
}

// next is when advance must run to take back a session left free.
func (s *shareState) next() (time.Time, bool) {
	return s.until, s.held > 0
}

// prune forgets the calls answered more than keep ago. It runs on every
// call: the window moves by an offset, and is copied down only once what
// it dropped is half of it, so each entry is copied a few times at most
// rather than the whole window on every call (44% of a small call's CPU).
func (s *shareState) prune(now time.Time, keep time.Duration) {
	i := s.head
	for i < len(s.done) && now.Sub(s.done[i].at) > keep {
		i++
	}
	s.head = i
	if s.head > 0 && s.head >= len(s.done)/2 {
		n := copy(s.done, s.done[s.head:]) // keeps the capacity: no allocation per call
		s.done, s.head = s.done[:n], 0
	}
}

// shareRefusal gives way to other clients when a refusal shows them
// holding sessions: the API held held calls of ours (counts:
// gatecount.go), fewer than when it refused this client alone. It reports
// whether it set the limit. g.mu is held.
func (g *gate) shareRefusal(counts [countSteps + 1]int, held int, now time.Time) bool {
	l := &g.lim
	others := l.othersAt(counts, held, l.sureAlone)
	if !g.share || l.alone == 0 || others <= 0 {
		return false
	}
	floor := (l.alone + 1) / 2
	if g.limit <= floor {
		return false
	}
	cut := min((g.limit+2)/3, 4*others)
	g.limit = max(floor, min(held, g.limit-cut))
	l.gaveWay = now
	// Let the others take what this frees before probing for it again.
	l.probeNext = maxTime(l.probeNext, nextProbeTime(now.Add(cutCooldown)))
	return true
}

// sharing reports whether other clients of the account may hold sessions:
// then a client probes every period, to find what they free (whether or
// not it shares: that is in its own interest). Holding fewer than the
// smallest plan is a sign of them too. g.mu is held.
func (g *gate) sharing(now time.Time) bool {
	return g.besideOthers(now) || g.recent(g.lim.fewer, now)
}

// besideOthers reports whether other clients were seen holding sessions
// (it was shut out, its ramp ended below the smallest plan, or the API held
// fewer of its calls than it once did): then it does not take what it
// holds for its plan. Fewer than 10 held later does not tell that: a plan
// made smaller by sessions held elsewhere for good looks the same, and a
// client on it that never learned its plan would never give way. g.mu is
// held.
func (g *gate) besideOthers(now time.Time) bool { return g.recent(g.lim.others, now) }

// seenOthers reports whether other clients were seen within twice
// sharingMemory: a client that gives way only now and then (a bigger batch
// beside a smaller one) keeps them in sight. Not twice the skills' run
// times: a service call three minutes before a lone batch's plan grows
// (sessions held elsewhere freed) would have it take the gain for others
// and probe every half second for minutes more. g.mu is held.
func (g *gate) seenOthers(now time.Time) bool {
	return !g.lim.others.IsZero() && now.Sub(g.lim.others) < 2*sharingMemory
}

// recent reports whether a sign of other clients seen at t is fresh:
// within sharingMemory, or two of the calls' run times, since sessions
// free no faster than calls end.
func (g *gate) recent(t, now time.Time) bool {
	return !t.IsZero() && now.Sub(t) < g.sharingWindow()
}

// sharingWindow is how long a sign of other clients stays fresh (recent).
func (g *gate) sharingWindow() time.Duration { return max(sharingMemory, 2*g.lim.meanRun) }

// lockoutWait is how long a call refused with nothing else of ours in
// flight waits before it is sent again: to the next start of a stride of
// periods (one, two or four: the most within a quarter of the lockout),
// where a client holding the plan leaves a session free. prev is the
// refusal before this one. g.mu is held.
func (g *gate) lockoutWait(prev, now time.Time) time.Duration {
	// A lockout lasts while its refusals come at most a backoff apart. One
	// that ended without a success (the call's deadline, a 5xx) leaves
	// shutOut set; timing a later one from it would start that one at the
	// longest wait.
	if g.shutOut.IsZero() || now.Sub(prev) > 2*shutOutWaitMax {
		g.shutOut = now
	}
	g.lim.others, g.lim.lastLockout = now, now
	backoff := min(now.Sub(g.shutOut)/4, shutOutWaitMax)
	// At period starts, fewer of them as the lockout goes on: every one,
	// then whole seconds, then even ones, where a client holding the plan
	// whose calls end seldom leaves a session free (completed).
	stride := gridPeriod
	for stride*2 <= backoff {
		stride *= 2
	}
	// Each stride start, not the first one a backoff from now: a client
	// whose calls end in waves leaves a session free at the period start
	// after a wave (or the even second, completed), and a probe that
	// skipped stride starts missed wave after wave (five-second skills of
	// even length kept a single call out for 14 to 20 s, a review,
	// 2026-12-03). Past a period, a quarter of a stride from now at least,
	// for a refusal that came back late.
	from := now
	if stride > gridPeriod {
		from = now.Add(stride / 4)
	}
	at := strideStart(from, stride).Add(lockoutOffset)
	return max(at.Sub(now), time.Millisecond)
}
