package browseruse

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

var gatedOp = &operation{Method: "POST", Template: "/skills/{skill_id}/execute", gated: true}

// newTestSlot is a slot at a fresh gate on a fake clock.
func newTestSlot(ceiling int, maxWait time.Duration) (*slot, *gate, *fakeClock) {
	fc := newFakeClock()
	g := newGate(ceiling, 0, false)
	g.clock = fc.clock()
	return &slot{g: g, op: gatedOp, max: maxWait}, g, fc
}

// The zero slot, for operations without a documented 429, does nothing at
// every step, so the loop never asks whether a call is gated.
func TestSlot_ZeroDoesNothing(t *testing.T) {
	t.Parallel()
	var s slot
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.done(true)
	s.done(false)
	s.abandon()
	if s.held {
		t.Error("the zero slot holds something")
	}
}

// Each outcome gives the slot back once, by what happened: a call ends
// with the gate as it found it, whatever path it took.
func TestSlot_ReleaseByOutcome(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		run  func(*slot)
	}{
		{"success", func(s *slot) { s.done(true) }},
		{"failure", func(s *slot) { s.done(false) }},
		{"released_twice", func(s *slot) { s.done(false); s.done(true) }},
		{"panic", func(s *slot) { s.abandon() }},
		{"after_done_a_panic_gives_nothing_back", func(s *slot) { s.done(true); s.abandon() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, g, _ := newTestSlot(0, time.Minute)
			if err := s.acquire(context.Background()); err != nil {
				t.Fatal(err)
			}
			if st := g.stats(); st.InFlight != 1 {
				t.Fatalf("in flight %d after acquire, want 1", st.InFlight)
			}
			tt.run(s)
			if st := g.stats(); st.InFlight != 0 || s.held {
				t.Errorf("in flight %d, held %v after the call; want 0, false", st.InFlight, s.held)
			}
		})
	}
}

// A call refused while alone keeps its slot through its backoff and goes
// again with it; one refused while others are in flight gives it back and
// waits at the head of the line.
func TestSlot_Refused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("alone_keeps_the_slot", func(t *testing.T) {
		s, g, _ := newTestSlot(0, time.Minute)
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		wait, _, _ := s.refused(&APIError{StatusCode: 429})
		if wait <= 0 || !s.held {
			t.Fatalf("alone: wait %v, held %v; want a backoff with the slot kept", wait, s.held)
		}
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		if st := g.stats(); st.InFlight != 1 {
			t.Errorf("in flight %d after going again, want the one kept slot", st.InFlight)
		}
		s.done(true)
		if st := g.stats(); st.InFlight != 0 {
			t.Errorf("in flight %d at the end, want 0", st.InFlight)
		}
	})
	t.Run("with_others_goes_to_the_head_of_the_line", func(t *testing.T) {
		s, g, _ := newTestSlot(0, time.Minute)
		// The wall clock: a fake one would run the waits in line out to
		// WithMaxSlotWait at once, since the API refused.
		g.clock = clock{}
		other, queued := *s, *s // more calls at the same gate
		if err := other.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.acquire(ctx); err != nil {
			t.Fatal(err)
		}
		wait, inFlight, limit := s.refused(&APIError{StatusCode: 429})
		if wait != 0 || s.held || inFlight != 2 || limit != 1 {
			t.Fatalf("wait %v, held %v, in flight %d, limit %d; want 0, false, 2, 1", wait, s.held, inFlight, limit)
		}
		// A call that came later queues behind the refused one.
		queuedDone := make(chan error, 1)
		go func() { queuedDone <- queued.acquire(ctx) }()
		for g.stats().Waiting != 1 {
			time.Sleep(time.Millisecond)
		}
		refusedDone := make(chan error, 1)
		go func() { refusedDone <- s.acquire(ctx) }()
		for g.stats().Waiting != 2 {
			time.Sleep(time.Millisecond)
		}
		other.done(true)
		if err := <-refusedDone; err != nil {
			t.Fatal(err)
		}
		s.done(true)
		if err := <-queuedDone; err != nil {
			t.Fatal(err)
		}
		queued.done(true)
		if st := g.stats(); st.InFlight != 0 || st.Waiting != 0 {
			t.Errorf("gate %+v at the end, want empty", st)
		}
	})
}

// WithoutSlotWait: a call that finds the ceiling reached fails unsent,
// holding nothing.
func TestSlot_NoWaitAtTheCeiling(t *testing.T) {
	t.Parallel()
	s, _, _ := newTestSlot(1, time.Minute)
	s.noWait = true
	other := *s
	if err := other.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	err := s.acquire(context.Background())
	if !errors.Is(err, ErrTooManyRequests) || s.held {
		t.Errorf("acquire at the ceiling: %v, held %v; want ErrTooManyRequests, nothing held", err, s.held)
	}
}

// A call waiting in line while the API refuses gives up after
// WithMaxSlotWait without progress: a lockout of minutes, checked without
// waiting for it.
func TestSlot_WaitEndsAfterMaxSlotWaitOfRefusals(t *testing.T) {
	t.Parallel()
	s, g, fc := newTestSlot(1, 3*time.Minute)
	holder := *s
	if err := holder.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	holder.refused(&APIError{StatusCode: 429}) // the holder backs off with its slot: a lockout
	err := s.acquire(context.Background())
	var se *slotError
	if !errors.As(err, &se) || !errors.Is(err, ErrTooManyRequests) {
		t.Fatalf("acquire: %v; want a *slotError matching ErrTooManyRequests", err)
	}
	if total, _ := fc.slept(); total < 3*time.Minute || total > 3*time.Minute+time.Second {
		t.Errorf("waited %v; want about WithMaxSlotWait (3m)", total)
	}
	if st := g.stats(); st.Waiting != 0 || s.held {
		t.Errorf("gate %+v, held %v after giving up; want out of the line", st, s.held)
	}
	holder.done(true)
}

// Queueing behind this client's own calls is not a lockout: without a
// refusal the wait goes on past WithMaxSlotWait, looking again as it goes.
func TestSlot_QueueingIsNotALockout(t *testing.T) {
	t.Parallel()
	s, g, fc := newTestSlot(1, time.Minute)
	holder := *s
	if err := holder.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.acquire(ctx) }()
	for {
		if total, _ := fc.slept(); total > 10*time.Minute {
			break
		}
		time.Sleep(time.Millisecond)
	}
	holder.done(true)
	if err := <-done; err != nil {
		cancel()
		t.Fatalf("a call queued behind the client's own for 10 minutes failed: %v", err)
	}
	cancel()
	s.done(true)
	if st := g.stats(); st.InFlight != 0 {
		t.Errorf("in flight %d at the end, want 0", st.InFlight)
	}
}

// A backoff after a refusal is cut at WithMaxSlotWait, and the call ends.
func TestSlot_SleepIsCutAtMaxSlotWait(t *testing.T) {
	t.Parallel()
	s, _, fc := newTestSlot(0, 10*time.Second)
	if err := s.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.refused(&APIError{StatusCode: 429})
	err := s.sleep(context.Background(), time.Hour)
	if !errors.Is(err, ErrTooManyRequests) {
		t.Errorf("sleep of an hour under a 10 s bound: %v; want ErrTooManyRequests", err)
	}
	if total, _ := fc.slept(); total != 10*time.Second {
		t.Errorf("slept %v; want the 10 s left", total)
	}
	s.done(false)
}

// A Retry-After past WithMaxSlotWait or the deadline is not slept.
func TestSlot_Outlasts(t *testing.T) {
	t.Parallel()
	s, _, fc := newTestSlot(0, time.Minute)
	bg := context.Background()
	soon, cancel := context.WithDeadline(bg, fc.now().Add(5*time.Second))
	defer cancel()
	for _, tt := range []struct {
		ctx  context.Context
		d    time.Duration
		want bool
	}{
		{bg, 30 * time.Second, false},
		{bg, 2 * time.Minute, true},
		{soon, 3 * time.Second, false},
		{soon, 10 * time.Second, true},
	} {
		if got := s.outlasts(tt.ctx, tt.d); got != tt.want {
			t.Errorf("outlasts(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

// A batch that stops takes a call out of the line, unsent, and a panic
// stops the batch before the slot goes back.
func TestSlot_BatchGuard(t *testing.T) {
	t.Parallel()
	s, g, _ := newTestSlot(1, time.Minute)
	b := &batch[json.RawMessage]{stopped: make(chan struct{})}
	s.guard = &sendGuard{done: b.stopped, check: b.guard, halt: b.stop}
	holder := *s
	if err := holder.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.acquire(context.Background()) }()
	for g.stats().Waiting != 1 {
		time.Sleep(time.Millisecond)
	}
	holder.abandon() // the holder panicked
	if !errors.Is(b.cause, errPanicked) {
		t.Errorf("the batch stopped for %v; want the panic", b.cause)
	}
	err := <-done
	if s.held && err == nil {
		// The freed slot may reach the waiter before it sees the stop;
		// then the guard check before sending stops it.
		s.done(false)
		err = s.guard.err()
	}
	if !errors.Is(err, ErrNotAttempted) {
		t.Errorf("the waiting call: %v; want not attempted", err)
	}
	if st := g.stats(); st.InFlight != 0 || st.Waiting != 0 {
		t.Errorf("gate %+v at the end, want empty", st)
	}
}
