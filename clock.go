package browseruse

import "time"

// clock is the time the gate, the retries and the batches wait by. Its zero
// value is the wall clock; tests give the gate or the retry decision a fake
// one, which records what they would sleep and moves time on at once, so
// behaviour over minutes is checked in microseconds.
type clock struct {
	now       func() time.Time                         // nil: time.Now
	newTimer  func(d time.Duration) waitTimer          // nil: time.NewTimer
	afterFunc func(d time.Duration, f func()) resetter // nil: time.AfterFunc
}

// resetter is a *time.Timer made by AfterFunc, or a fake clock's.
type resetter interface {
	Stop() bool
	Reset(d time.Duration) bool
}

// AfterFunc calls f in its own goroutine after d: the gate's timed steps.
func (c clock) AfterFunc(d time.Duration, f func()) resetter {
	if c.afterFunc == nil {
		return time.AfterFunc(d, f)
	}
	return c.afterFunc(d, f)
}

func (c clock) Now() time.Time {
	if c.now == nil {
		return time.Now()
	}
	return c.now()
}

func (c clock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// NewTimer starts a timer that fires once after d.
func (c clock) NewTimer(d time.Duration) waitTimer {
	if c.newTimer == nil {
		t := time.NewTimer(d)
		return waitTimer{C: t.C, t: t}
	}
	return c.newTimer(d)
}

// waitTimer is a *time.Timer, or a fake clock's channel.
type waitTimer struct {
	C <-chan time.Time
	t *time.Timer // nil for a fake clock's
}

func (t waitTimer) Stop() {
	if t.t != nil {
		t.t.Stop()
	}
}
