package browseruse

import (
	"sync"
	"time"
)

// fakeClock is time that moves only when something waits on it: a timer
// fires at once and moves the clock on by its duration. It records each
// wait, so a test asserts what the code would have slept, in microseconds.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Now()} }

func (f *fakeClock) clock() clock { return clock{now: f.now, newTimer: f.newTimer} }

func (f *fakeClock) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) newTimer(d time.Duration) waitTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waits = append(f.waits, d)
	f.t = f.t.Add(d)
	c := make(chan time.Time, 1)
	c <- f.t
	return waitTimer{C: c}
}

func (f *fakeClock) slept() (total time.Duration, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.waits {
		total += d
	}
	return total, len(f.waits)
}
