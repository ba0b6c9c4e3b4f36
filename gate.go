package browseruse

import (
	"math/rand/v2"
	"sync"
	"time"
)

// The API's 429 means "too many concurrent active sessions": the account has
// a fixed number of browsers (10, 50, 250, 500 or 1,000 by plan, shared by
// every key of the project), not a request rate. A fixed backoff with a retry
// count is the wrong tool for that: a refused call should wait until one of
// the calls holding a session ends. The gate does that for every operation
// whose spec documents a 429 (routes.go), for the whole client.
//
// Its limit is learned, AIMD style, from the refusals alone: a skill's
// latency depends on the site it drives, so latency says nothing about
// congestion here.
//   - It starts at the smallest plan's limit and, until the first refusal,
//     grows by one per success while it is full (slow start), so a burst of
//     64 goroutines sends 10 requests, not 64.
//   - A refusal sets it to what the server did accept: the calls still in
//     flight, the refused one excluded (at least 1).
//   - After that it grows by one per limit's worth of successes while full
//     (at least probeMin), to find capacity another process freed or a plan
//     upgrade added. A probe that is refused doubles the successes the next
//     one waits for (up to probeScaleMax), so that at a stable limit probes
//     are rarer; a probe that holds for a window of successes means
//     capacity is being freed (the other client sharing the account
//     finished), and slow start resumes to find it.
//
// A refused call was not executed, so sending it again is safe even for a
// POST. It waits, first in line, for a slot freed by one of this client's
// own calls; when this client has nothing else in flight (the limit is held
// by another process, or by sessions that never ended), nothing will free
// one, and it backs off instead (see shutOutWaitMin), keeping its slot so
// that no other call of this client goes out meanwhile.

const (
	initialLimit  = 10 // the smallest plan
	probeScaleMax = 2
	probeMin      = 8 // successes: at a limit of 1 or 2, a probe per limit would refuse every other call
	// A call shut out (refused with nothing else of this client in flight)
	// waits a quarter of the time it has been shut out so far, at least
	// shutOutWaitMin and at most shutOutWaitMax, jittered between half and
	// all of that. It goes again within a quarter of its lockout once the
	// holder lets go, and sends about 9 refusals in a 3 s lockout and one
	// every 2 to 4 s in a long one. Doubling per refusal, as before, left a
	// client shut out for 1.6 s idle for up to 1.5 s after the other client
	// finished; full jitter's near-zero waits made the refusal count in a
	// lockout vary twice as much.
	shutOutWaitMin = 400 * time.Millisecond
	shutOutWaitMax = 4 * time.Second
	maxLimit       = int(^uint(0) >> 1)
)

// GateStats is a snapshot of a client's gate on calls that start a browser
// session, from [Client.GateStats].
type GateStats struct {
	// Limit is how many such calls the client currently lets run at once.
	Limit int
	// InFlight is how many are running.
	InFlight int
	// Waiting is how many calls wait for a slot.
	Waiting int
	// Refusals counts the 429 answers the client received so far.
	Refusals int64
}

type gate struct {
	ceiling int   // WithMaxConcurrency; 0: none
	clock   clock // zero: the wall clock; a test's fake

	mu         sync.Mutex
	limit      int
	ssthresh   int // slow start while limit < ssthresh
	inFlight   int
	waiters    []*slotWaiter
	grown      int       // successes while full since the limit last changed
	probeScale int       // successes per probe, in limits
	probing    bool      // the limit was raised since the last refusal
	shutOut    time.Time // first refusal with nothing else in flight; zero once a call succeeds
	refusals   int64
	progress   time.Time // when a call last succeeded
	refusedAt  time.Time // when the API last refused a call
}

type slotWaiter struct {
	ready   chan struct{}
	granted bool
}

func newGate(ceiling int) *gate {
	g := &gate{ceiling: ceiling, limit: initialLimit, ssthresh: maxLimit, probeScale: 1}
	if ceiling > 0 {
		// A caller who names the plan's limit knows better than slow start.
		g.limit, g.ssthresh = ceiling, ceiling
	}
	return g
}

func (g *gate) stats() GateStats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return GateStats{Limit: g.limit, InFlight: g.inFlight, Waiting: len(g.waiters), Refusals: g.refusals}
}

// take claims a slot at once if one is free and nobody waits, else returns a
// waiter to wait on. first puts the waiter at the head of the line: a
// refused call has waited longest.
func (g *gate) take(first bool) *slotWaiter {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiters) == 0 && g.inFlight < g.limit {
		g.inFlight++
		return nil
	}
	w := &slotWaiter{ready: make(chan struct{})}
	if first {
		g.waiters = append([]*slotWaiter{w}, g.waiters...)
	} else {
		g.waiters = append(g.waiters, w)
	}
	return w
}

// force claims a slot whatever the learned limit: for a client that does not
// wait (WithoutSlotWait), which still keeps the count so that refusals teach
// it. The caller's own ceiling (WithMaxConcurrency) still holds: ok is false
// when that many calls are in flight, and the call must fail unsent.
func (g *gate) force() (ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ceiling > 0 && g.inFlight >= g.ceiling {
		return false
	}
	g.inFlight++
	return true
}

// abandon takes w out of the line, or gives its slot back if it was granted
// meanwhile.
func (g *gate) abandon(w *slotWaiter) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if w.granted {
		g.inFlight--
		g.dispatch()
		return
	}
	for i, x := range g.waiters {
		if x == w {
			g.waiters = append(g.waiters[:i], g.waiters[i+1:]...)
			break
		}
	}
}

// dispatch hands free slots to the head of the line. g.mu is held.
func (g *gate) dispatch() {
	for len(g.waiters) > 0 && g.inFlight < g.limit {
		w := g.waiters[0]
		g.waiters[0] = nil
		g.waiters = g.waiters[1:]
		w.granted = true
		g.inFlight++
		close(w.ready)
	}
}

// done gives back the slot of a call that was not refused. ok says it
// succeeded, which is what lets the limit grow.
func (g *gate) done(ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if ok {
		g.shutOut = time.Time{}
		g.progress = g.clock.Now()
		// Only a full gate learns anything: a client using 3 of its 10 slots
		// has not shown that 11 would be accepted.
		if full := g.inFlight >= g.limit || len(g.waiters) > 0; full && (g.ceiling == 0 || g.limit < g.ceiling) {
			g.grown++
			switch {
			case g.limit < g.ssthresh:
				g.limit++
				g.grown = 0
			case g.probing && g.grown >= g.limit:
				// A full window at the raised limit without a refusal: the
				// probe held, so capacity is being freed (another process
				// finished, the plan grew). Find it fast.
				g.probeScale, g.ssthresh, g.probing = 1, maxLimit, false
				g.limit++
				g.grown = 0
			case !g.probing && g.grown >= max(g.limit*g.probeScale, probeMin):
				g.limit++
				g.grown, g.probing = 0, true
			}
		}
	}
	g.inFlight--
	g.dispatch()
}

// refused records a 429 for a call holding a slot. When other calls of this
// client are in flight, the slot is given back and the call must wait for
// one again (wait is 0); when it is alone, it keeps its slot and must back
// off for wait before sending again. The backoff ignores WithMaxRetryWait:
// that option bounds the wait before retrying a failure, and a short one
// here would re-send a refused call in a loop against a limit held
// elsewhere (issue 9).
func (g *gate) refused() (wait time.Duration, inFlight, limit int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.refusals++
	prev := g.refusedAt
	g.refusedAt = g.clock.Now()
	g.grown = 0
	if g.probing {
		g.probeScale = min(g.probeScale*2, probeScaleMax)
		g.probing = false
	}
	inFlight = g.inFlight
	if inFlight <= 1 {
		// Nothing of ours will end and free a session: the limit is held
		// elsewhere. Probe with one call; once one gets through, the holder
		// is letting go, and slow start finds how much it left. The
		// threshold the refusals that led here set is dropped: they said
		// what the holder left us then, not what it leaves now.
		g.limit, g.ssthresh = 1, maxLimit
		// A lockout lasts while its refusals come at most a backoff apart.
		// One that ended without a success (the call's deadline, a 5xx)
		// leaves shutOut set; timing a later one from it would start that
		// one at the longest wait.
		now := g.refusedAt
		if g.shutOut.IsZero() || now.Sub(prev) > 2*shutOutWaitMax {
			g.shutOut = now
		}
		ceil := min(max(shutOutWaitMin, now.Sub(g.shutOut)/4), shutOutWaitMax)
		return ceil/2 + rand.N(ceil/2) + 1, inFlight, g.limit
	}
	g.limit = min(g.limit, inFlight-1)
	g.ssthresh = g.limit
	g.inFlight--
	g.dispatch()
	return 0, inFlight, g.limit
}

// lastProgress is when a call of this client last succeeded, and when the
// API last refused one.
func (g *gate) lastProgress() (succeeded, refused time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.progress, g.refusedAt
}
