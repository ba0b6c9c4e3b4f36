package browseruse

import (
	"slices"
	"sync"
	"time"
)

// The API's 429 means "too many concurrent active sessions": the account has
// a fixed number of browsers (10, 50, 250, 500 or 1,000 by plan, shared by
// every key and process of the account), not a request rate. A refused call
// should wait until a session frees, not back off by a fixed schedule. The
// gate does that for every operation whose spec documents a 429 (routes.go),
// for the whole client.
//
// This file holds the slots: who may send, who waits, and the ticket each
// slot carries for its attempt (slot.go is a call's side of it). How the
// limit is learned is in gatelimit.go (the ramp to the plan's limit,
// refusals, probes); how the plan is shared with the account's other
// clients is in gateshare.go.
//
// A refused call was not executed, so sending it again is safe even for a
// POST. It waits, first in line, for a slot freed by one of this client's
// own calls; when this client has nothing else in flight (the limit is held
// by another process, or by sessions that never ended), nothing will free
// one, and it keeps its slot and waits for the next lockout probe time
// instead (see lockoutWait), so that no other call of this client goes out
// meanwhile.

// GateStats is a snapshot of a client's gate on calls that start a browser
// session, from [Client.GateStats].
type GateStats struct {
	// Limit is how many such calls the client currently lets run at once:
	// the account's limit of sessions as learned so far (or its share of it,
	// beside other clients of the account), never more than
	// WithMaxConcurrency.
	Limit int
	// InFlight is how many are running.
	InFlight int
	// Waiting is how many calls wait for a slot.
	Waiting int
	// Refusals counts the 429 answers the client received so far.
	Refusals int64
	// Plan is how many calls of the client the API held at once when it
	// refused one: the account's limit as learned (with other clients of
	// the account around, its share of it), to remember for
	// [WithStartingLimit]. The calls answered while a refusal came back
	// count as the API counted them once three refusals of the client
	// alone tell how (gatecount.go); before, as held. 0 until a refusal
	// tells, or until the gate has held the largest plan sold (1,000)
	// unrefused for a second: no plan is larger (one that is would be
	// named with WithMaxConcurrency); with [WithMaxConcurrency], that
	// limit.
	Plan int
}

type gate struct {
	ceiling int   // WithMaxConcurrency; 0: none
	share   bool  // leave room for the account's other clients (not WithoutSharing)
	clock   clock // zero: the wall clock; a test's fake

	mu       sync.Mutex
	limit    int
	inFlight int // slots taken: calls being sent, in flight, or backing off shut out
	// lockoutAt is when the call shut out goes again: until then nothing
	// else goes either, even if that call ends (its deadline) meanwhile.
	lockoutAt time.Time
	waiters   []*slotWaiter
	calls     []*ticket // sent and not answered, in the order sent
	free      []*ticket // released, for the next attempts
	seq       uint64
	refusals  int64
	progress  time.Time // when a call last succeeded
	refusedAt time.Time // when the API last refused a call
	shutOut   time.Time // first refusal of a lockout; zero once a call is admitted
	lim       limitState
	shr       shareState
	timer     resetter // wakes the gate for its next timed step (wake)
	timerAt   time.Time
	changed   chan struct{} // closed when the limit moves from watched (watch)
	watched   int
}

// ticket is one attempt holding a slot, from the moment it is sent.
type ticket struct {
	seq      uint64
	sent     time.Time
	admitted bool // completed, or not refused within the confirmation time
	probe    bool // sent past the limit, to find free sessions
	// besideGap: sent while this client left a session free for others
	// (gateshare.go), so an admitted probe may only have taken that one.
	besideGap bool
}

type slotWaiter struct {
	ready   chan struct{}
	granted *ticket
}

func newGate(ceiling, start int, share bool) *gate {
	g := &gate{ceiling: ceiling, share: share}
	g.lim.init(ceiling, start)
	g.limit = g.capped(g.lim.start(ceiling, start))
	return g
}

func (g *gate) stats() GateStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GateStats{Limit: g.limit, InFlight: g.inFlight, Waiting: len(g.waiters), Refusals: g.refusals, Plan: g.lim.learnedPlan()}
}

// room is how many slots may be taken now: the limit, less a slot left
// free for another client (gateshare.go), plus one for a probe. While
// shut out, only the slot kept by the call that waits for its next try: a
// call whose deadline ends that wait passes its place in the lockout's
// schedule to the next in line, not a try at once.
func (g *gate) room(now time.Time) int {
	n := g.limit - g.shr.held
	// Not while a session is left free: the probe would take it (probeOpen
	// may predate a session left free by the call that just ended).
	if g.lim.probeOpen && !g.lim.probing() && g.shr.held == 0 {
		n++
	}
	if now.Before(g.lockoutAt) {
		n = min(n, g.kept())
	}
	return min(n, g.top())
}

// kept is how many slots are held by calls backing off shut out: every
// other slot carries the ticket of its attempt from the moment it is taken.
// g.mu is held.
func (g *gate) kept() int { return g.inFlight - len(g.calls) }

// send starts an attempt on a slot just taken. g.mu is held.
func (g *gate) send(now time.Time) *ticket {
	g.seq++
	var c *ticket
	if n := len(g.free); n > 0 {
		c, g.free = g.free[n-1], g.free[:n-1]
	} else {
		c = new(ticket)
	}
	*c = ticket{seq: g.seq, sent: now, besideGap: g.shr.held > 0}
	if g.inFlight > g.limit-g.shr.held && g.lim.probeOpen {
		c.probe = true
		g.lim.probeSent(c)
	}
	if !g.shutOut.IsZero() && g.inFlight == 1 {
		// A lockout whose call gave up (its context ended) left the
		// limit at 1: this call goes on probing for it, so that its
		// admission ramps back up (admit). Sent as a plain call, it ran
		// alone until eight succeeded: 9 minutes for 40 one-minute calls.
		c.probe = true
	}
	g.calls = append(g.calls, c)
	g.shr.level = g.demand()
	return c
}

// take claims a slot at once if one is free and nobody waits, else returns a
// waiter to wait on. first puts the waiter at the head of the line: a
// refused call has waited longest.
func (g *gate) take(first bool) (*ticket, *slotWaiter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.advance(now)
	if len(g.waiters) == 0 && g.inFlight < g.room(now) {
		g.inFlight++
		c := g.send(now)
		g.wake(now)
		return c, nil
	}
	w := &slotWaiter{ready: make(chan struct{})}
	if first {
		g.waiters = slices.Insert(g.waiters, 0, w)
	} else {
		g.waiters = append(g.waiters, w)
	}
	g.advance(now) // a waiter may open a probe or resume the ramp
	g.dispatch(now)
	return nil, w
}

// force claims a slot whatever the learned limit: for a client that does not
// wait (WithoutSlotWait), which still keeps the count so that refusals teach
// it. The caller's own ceiling (WithMaxConcurrency) still holds: ok is false
// when that many calls are in flight, and the call must fail unsent.
func (g *gate) force() (*ticket, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ceiling > 0 && g.inFlight >= g.ceiling {
		return nil, false
	}
	now := g.clock.Now()
	g.inFlight++
	c := g.send(now)
	g.wake(now)
	return c, true
}

// abandon takes w out of the line, or gives its slot back if it was granted
// meanwhile (its call never went out).
func (g *gate) abandon(w *slotWaiter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.granted != nil {
		g.release(w.granted)
		g.inFlight--
		g.dispatch(g.clock.Now())
		return
	}
	g.waiters = slices.DeleteFunc(g.waiters, func(x *slotWaiter) bool { return x == w })
}

// dispatch hands free slots to the head of the line. g.mu is held.
func (g *gate) dispatch(now time.Time) {
	for len(g.waiters) > 0 && g.inFlight < g.room(now) {
		w := g.waiters[0]
		g.waiters[0] = nil
		g.waiters = g.waiters[1:]
		g.inFlight++
		w.granted = g.send(now)
		close(w.ready)
	}
	g.wake(now)
	if g.changed != nil && g.limit != g.watched {
		close(g.changed)
		g.changed = nil
	}
}

// watch returns the limit and a channel closed once it changes, for a
// batch that runs as many calls as the gate lets run (batch.go).
func (g *gate) watch() (limit int, changed <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.changed == nil {
		g.changed = make(chan struct{})
		g.watched = g.limit
	}
	return g.limit, g.changed
}

// release forgets c: it was answered, or never sent. g.mu is held.
// The ticket is kept for a later attempt: no allocation per call. c may be
// nil (a call that kept its slot without an attempt on it).
func (g *gate) release(c *ticket) {
	if c == nil {
		return
	}
	i := slices.Index(g.calls, c)
	if i < 0 {
		return // released already
	}
	g.calls = slices.Delete(g.calls, i, i+1)
	if c.probe {
		g.lim.probeEnded(c)
	}
	g.free = append(g.free, c)
}

// done gives back the slot of a call that was not refused. ok says it
// succeeded: the API ran it, so it held a session.
func (g *gate) done(c *ticket, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.advance(now)
	if ok && c != nil {
		g.shutOut, g.lockoutAt = time.Time{}, time.Time{}
		g.progress = now
		if !c.admitted {
			g.admit(c, now)
		}
		g.lim.completed(now.Sub(c.sent))
		g.shr.completed(g, c, now)
	}
	g.release(c)
	g.inFlight--
	g.dispatch(now)
}

// refused records a 429 for c. When other calls of this client are in
// flight, the slot is given back and the call must wait for one again
// (wait is 0); when it is alone, it keeps its slot and must wait for the
// next lockout probe, wait from now. The wait ignores WithMaxRetryWait:
// that option bounds the wait before retrying a failure, and a short one
// here would re-send a refused call in a loop against a limit held
// elsewhere (issue 9).
func (g *gate) refused(c *ticket) (wait time.Duration, inFlight, limit int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.advance(now)
	g.refusals++
	prev := g.refusedAt
	g.refusedAt = now
	held := g.learnRefusal(c, now)
	g.release(c)
	inFlight = g.inFlight
	if g.inFlight <= 1 && held == 0 {
		// Nothing of ours held a session when it was sent, and nothing of
		// ours will end and free one: the limit is held elsewhere. Probe
		// with this one call, at the times other clients leave a session
		// free (gateshare.go). (Calls of ours that held the sessions and
		// have ended since, skills shorter than a refusal's round trip,
		// freed them: the call goes again at once.)
		g.limit = 1
		wait = g.lockoutWait(prev, now)
		g.lockoutAt = now.Add(wait)
		g.wake(now)
		return wait, inFlight, g.limit
	}
	g.inFlight--
	g.dispatch(now)
	return 0, inFlight, g.limit
}

// resend stamps a slot with a new ticket, for a call that kept its slot
// while shut out and is now sent again.
func (g *gate) resend() *ticket {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.advance(now)
	c := g.send(now)
	c.probe = true // it probes for a session another client left free
	g.wake(now)
	return c
}

// shutOutNow reports whether the client is shut out: refused with nothing
// of its own held, no call of it admitted since, and the lockout still
// going (its refusals come at most a backoff apart, lockoutWait), or a
// call backing off it holding its slot. A lockout whose call gave up
// minutes ago holds nothing back.
func (g *gate) shutOutNow() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	going := !g.shutOut.IsZero() && g.clock.Since(g.refusedAt) <= 2*shutOutWaitMax
	return going || g.kept() > 0
}

// lastProgress is when a call of this client last succeeded, and when the
// API last refused one.
func (g *gate) lastProgress() (succeeded, refused time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.progress, g.refusedAt
}

// wake schedules the gate's next timed step (a call's admission, the next
// slot of a ramp, a probe, a session left free or given back), if any.
// g.mu is held.
func (g *gate) wake(now time.Time) {
	at, ok := g.nextStep(now)
	if !ok {
		if g.timer != nil {
			g.timer.Stop()
			g.timerAt = time.Time{}
		}
		return
	}
	if at.Equal(g.timerAt) {
		return
	}
	g.timerAt = at
	d := max(at.Sub(now), 0)
	if g.timer == nil {
		g.timer = g.clock.AfterFunc(d, g.tick)
		return
	}
	g.timer.Reset(d)
}

func (g *gate) tick() {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.clock.Now()
	g.timerAt = time.Time{}
	g.advance(now)
	g.dispatch(now)
}
