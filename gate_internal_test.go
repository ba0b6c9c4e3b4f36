package browseruse

import (
	"testing"
	"time"
)

// A lockout that ended without a success (its call reached its deadline)
// must not time the next one, minutes later, from its start: that one would
// begin at the longest wait, and notice the sessions freed seconds late.
func TestGate_ANewLockoutStartsAtTheShortestWait(t *testing.T) {
	g := newGate(0, 0, true)
	now := time.Unix(1_000_000, 0) // a period start
	g.shutOut = now.Add(-time.Minute)
	if wait := g.lockoutWait(now.Add(-30*time.Second), now); wait > gridPeriod {
		t.Errorf("first wait of a new lockout %v, want at most a period (%v)", wait, gridPeriod)
	}
	// Within one lockout, the wait grows with it: a quarter of it, at
	// most shutOutWaitMax, to an even second, where a client holding the
	// plan with long calls leaves a session free now and then.
	g.shutOut = now.Add(-12 * time.Second)
	wait := g.lockoutWait(now.Add(-2*time.Second), now)
	if wait < 2*time.Second || wait > 4*time.Second {
		t.Errorf("wait %v 12 s into a lockout, want 2 s to 4 s", wait)
	}
	if off := time.Duration(now.Add(wait).UnixNano() % int64(2*time.Second)); off != lockoutOffset {
		t.Errorf("probes %v past an even second, want %v", off, lockoutOffset)
	}
}

// A call shut out probes just after a period of the wall clock starts: a
// client of the account that holds the plan leaves a session free then
// (gateshare.go).
func TestGate_ALockoutProbesJustAfterAPeriodStarts(t *testing.T) {
	g := newGate(0, 0, true)
	for _, ms := range []int64{0, 1, 249, 250, 499} {
		now := time.Unix(0, 1_000_000*(1_000_000_000+ms))
		g.shutOut = time.Time{}
		at := now.Add(g.lockoutWait(time.Time{}, now))
		if off := at.UnixNano() % int64(gridPeriod); time.Duration(off) != lockoutOffset || !at.After(now) {
			t.Errorf("refused at +%d ms: probes at %v past a period start, want %v", ms, time.Duration(off), lockoutOffset)
		}
	}
}

// A batch's first calls go out together, and goroutines race to the API:
// the calls it refuses may be the first stamped. Counted by stamp alone,
// the first refusal of a plan of 8 held nothing sent before it, and the
// learned limit fell to 1 (the CLI's bar showed 8 in flight of a limit of
// 1) until probes brought it back a second later. Calls stamped within
// sameInstant of the refused one may have been held: the limit is 8.
func TestGate_CallsSentTogetherCountAsHeldWhicheverArrivedFirst(t *testing.T) {
	g := newGate(0, 0, true)
	start := time.Unix(1_000_000, 0)
	var calls []*ticket
	for i := range initialLimit {
		g.inFlight++
		calls = append(calls, g.send(start.Add(time.Duration(i)*20*time.Microsecond)))
	}
	at := start.Add(30 * time.Millisecond)
	for _, c := range calls[:2] { // the plan holds the other 8
		g.learnRefusal(c, at)
		g.release(c)
		g.inFlight--
		at = at.Add(time.Millisecond)
	}
	if g.limit != 8 {
		t.Errorf("limit %d after the 2 of 10 calls sent together were refused, want the 8 the API held", g.limit)
	}
}
