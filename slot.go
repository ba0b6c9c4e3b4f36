package browseruse

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// slot is one call's place at the gate, from its first wait to its end. A
// call of an operation that documents no 429 gets the zero slot, whose
// methods do nothing: the policy's loop never asks whether a call is gated.
//
// A slot is taken before each attempt (or kept, by a call refused while
// alone: see [gate.refused]) and given back by the attempt's outcome: done
// for an answer, refused for a 429, abandon when the call panics.
//
// It also tracks the call's time in the gate, against WithMaxSlotWait. The
// bound is on waiting without progress while the API refuses: a call
// queued behind this client's own long skills is not failed for it, whether
// they keep succeeding or are all still running, since nothing was refused.
type slot struct {
	g      *gate // nil: the zero slot
	op     *operation
	max    time.Duration // WithMaxSlotWait
	noWait bool          // WithoutSlotWait: a call that finds no slot fails unsent
	guard  *sendGuard    // the batch's say over the call; nil outside a batch
	obs    *Observer     // told of each wait; nil for none

	c     *ticket // the attempt holding the slot (gate.go); nil without one
	held  bool    // a slot to give back
	keep  bool    // refused while alone: the next attempt goes with the slot it kept
	first bool    // refused: the next wait is at the head of the line

	start    time.Time // first wait; zero until there is one
	refusals int
	last     error // the last 429
}

// acquire takes a slot for the next attempt, waiting in line for one unless
// the call kept its own.
func (s *slot) acquire(ctx context.Context) error {
	switch {
	case s.g == nil:
		return nil
	case s.keep:
		// It kept its slot through the backoff: a new attempt on it.
		s.keep = false
		s.c = s.g.resend()
		return nil
	case s.noWait:
		c, ok := s.g.force()
		if !ok {
			return fmt.Errorf("browseruse: %s: %d calls already in flight (WithMaxConcurrency), not sent (WithoutSlotWait): %w",
				s.op.String(), s.g.ceiling, ErrTooManyRequests)
		}
		s.c = c
	default:
		if err := s.wait(ctx); err != nil {
			return err
		}
	}
	s.held = true
	return nil
}

// done gives the slot back after an attempt the server answered, or after
// a call ended before its attempt was sent. ok says the attempt succeeded,
// which is what lets the gate's limit grow.
func (s *slot) done(ok bool) {
	s.first = false
	if s.held {
		s.held = false
		s.g.done(s.c, ok)
		s.c = nil
	}
}

// refused records a 429 for the attempt that held the slot, and says how
// long to back off before the next one (0: wait in line, at its head).
// Only a call refused while alone keeps its slot meanwhile.
func (s *slot) refused(apiErr *APIError) (wait time.Duration, inFlight, limit int) {
	s.refusals++
	s.last = apiErr
	wait, inFlight, limit = s.g.refused(s.c)
	s.keep = wait > 0
	s.held = s.keep // a call not backing off alone gave its slot back
	s.c = nil       // released by the gate; a kept slot gets a new one (acquire)
	s.first = true
	return wait, inFlight, limit
}

// abandon gives back a slot still held when the call ends without
// returning: a panic (a WithHTTPClient transport may panic) or
// runtime.Goexit. Every return gives the slot back first, so it is a no-op
// then. The batch stops before the slot goes back, or a call of the batch
// waiting for it would be sent.
func (s *slot) abandon() {
	if s.held {
		s.guard.stop(errPanicked)
		s.done(false)
	}
}

// outlasts reports whether a server's Retry-After of d ends past
// WithMaxSlotWait or the context's deadline: sleeping would only lead to a
// certain failure.
func (s *slot) outlasts(ctx context.Context, d time.Duration) bool {
	dl, has := ctx.Deadline()
	return d > s.max || has && dl.Sub(s.g.clock.Now()) < d
}

// expired reports whether the call has waited maxSlotWait since it started
// waiting or since the client last made progress, whichever is later, with
// the API refusing a call in that window, and how long until it may have if
// not. Without a refusal the wait is for the client's own calls to end:
// queueing, not a lockout.
func (s *slot) expired() (bool, time.Duration) {
	if s.start.IsZero() {
		s.start = s.g.clock.Now()
	}
	from := s.start
	succeeded, refused := s.g.lastProgress()
	if succeeded.After(from) {
		from = succeeded
	}
	left := s.max - s.g.clock.Since(from)
	if refused.Before(from) {
		// Look again once the window is full, or soon after, in case a
		// refusal comes.
		return false, max(left, min(s.max, time.Second))
	}
	return left <= 0, left
}

// wait waits in line for a slot; at the head of it if the call was refused.
func (s *slot) wait(ctx context.Context) error {
	c, w := s.g.take(s.first)
	if w == nil {
		s.c = c
		return nil
	}
	defer s.obs.gateWait(ctx, s.obs.waitStart())
	for {
		exp, left := s.expired()
		if exp {
			s.g.abandon(w)
			return s.err(nil)
		}
		t := s.g.clock.NewTimer(left)
		select {
		case <-w.ready:
			t.Stop()
			s.c = w.granted
			return nil
		case <-ctx.Done():
			t.Stop()
			s.g.abandon(w)
			return s.err(ctx.Err())
		case <-s.guard.stopped(): // nil outside a batch: never
			t.Stop()
			s.g.abandon(w)
			return s.guard.err()
		case <-t.C:
		}
	}
}

// sleep backs off for d after a refusal, holding the slot if the call was
// alone. A wait that runs past WithMaxSlotWait is cut there, and the call
// ends.
func (s *slot) sleep(ctx context.Context, d time.Duration) error {
	defer s.obs.gateWait(ctx, s.obs.waitStart())
	exp, left := s.expired()
	if exp {
		return s.err(nil)
	}
	t := s.g.clock.NewTimer(min(d, left))
	defer t.Stop()
	select {
	case <-t.C:
		if exp, _ := s.expired(); exp {
			return s.err(nil)
		}
		return nil
	case <-ctx.Done():
		return s.err(ctx.Err())
	case <-s.guard.stopped():
		return s.guard.err()
	}
}

func (s *slot) err(cause error) error {
	var waited time.Duration
	refused := s.refusals > 0
	if !s.start.IsZero() { // a refused call may have found a slot free at once
		waited = s.g.clock.Since(s.start)
		// A call held back while another of the client's was refused (a
		// lockout's next try goes alone) waited on the account's limit
		// too, refused or not itself; so did one that gives up while the
		// client is shut out (a Retry-After slept out, the lockout's try
		// on the wire, or its call gone). Not one queued behind the
		// client's own calls after an old refusal.
		_, last := s.g.lastProgress()
		refused = refused || !last.Before(s.start) || s.g.shutOutNow()
	}
	return &slotError{op: s.op.String(), waited: waited, refusals: s.refusals, refused: refused, max: s.max, last: s.last, cause: cause}
}

// slotError ends a call that never got a slot. It matches
// [ErrTooManyRequests] once the API refused the call or another of the
// client's while it waited (or the wait ran out), and the context's error
// when that is what ended it.
type slotError struct {
	op       string
	waited   time.Duration
	refusals int
	refused  bool // the API refused this call, or another of the client's while it waited
	max      time.Duration
	last     error
	cause    error
}

func (e *slotError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "browseruse: %s: ", e.op)
	if e.cause != nil {
		fmt.Fprintf(&b, "gave up waiting for a session slot after %v", e.waited.Round(time.Millisecond))
	} else {
		fmt.Fprintf(&b, "no session slot after waiting %v, %v of them without progress (see WithMaxSlotWait)",
			e.waited.Round(time.Millisecond), e.max)
	}
	fmt.Fprintf(&b, "; %d refusal", e.refusals)
	if e.refusals != 1 {
		b.WriteString("s")
	}
	if e.last != nil {
		b.WriteString(" (429); last: ")
		b.WriteString(e.last.Error())
	}
	if e.cause != nil {
		b.WriteString(": ")
		b.WriteString(e.cause.Error())
	}
	return b.String()
}

func (e *slotError) Is(target error) bool {
	return target == ErrTooManyRequests && (e.refused || e.cause == nil)
}

func (e *slotError) Unwrap() []error {
	var errs []error
	if e.last != nil {
		errs = append(errs, e.last)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}
