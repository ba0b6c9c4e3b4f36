package main

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer lets the test read what the spinner goroutine wrote.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestSpinner_ShowsElapsedTimeAndCleansUp(t *testing.T) {
	var out syncBuffer
	ticks := make(chan time.Time) // unbuffered: a send returns once the spinner has the tick
	elapsed := []time.Duration{1500 * time.Millisecond, 65*time.Second + 420*time.Millisecond}
	i := 0
	sp := runSpinner(&out, "executing skill", ticks, func() time.Duration { i++; return elapsed[i-1] })
	ticks <- time.Time{}
	ticks <- time.Time{}
	sp.Stop()

	got := out.String()
	for _, want := range []string{"\r⠋ executing skill… 1.5s", "\r⠙ executing skill… 1m5.4s"} {
		if !strings.Contains(got, want) {
			t.Errorf("spinner output %q lacks %q", got, want)
		}
	}
	if !strings.HasSuffix(got, "\r\033[K") {
		t.Errorf("spinner output %q does not end by clearing its line", got)
	}
}

func TestSpinner_StoppedBeforeFirstFrameWritesNothing(t *testing.T) {
	var out syncBuffer
	sp := runSpinner(&out, "executing skill", make(chan time.Time), func() time.Duration { return 0 })
	sp.Stop()
	if out.String() != "" {
		t.Errorf("a spinner that never drew wrote %q", out.String())
	}
	var none *spinner
	none.Stop() // callers stop the spinner whether or not stderr was a terminal
}

// A warning while the spinner runs (the telemetry's, say) gets a line of
// its own: the frame is erased first, not written after, and the warning
// stays on screen when the spinner stops.
func TestSpinner_SayPrintsALineOfItsOwn(t *testing.T) {
	var out syncBuffer
	ticks := make(chan time.Time)
	sp := runSpinner(&out, "executing skill", ticks, func() time.Duration { return 900 * time.Millisecond })
	ticks <- time.Time{}
	sp.say("browseruse: telemetry: down")
	ticks <- time.Time{}
	sp.Stop()
	sp.say("after")
	want := "\r⠋ executing skill… 900ms\033[K" + eraseLine + "browseruse: telemetry: down\n" +
		"\r⠹ executing skill… 900ms\033[K" + eraseLine + "after\n"
	if got := out.String(); got != want {
		t.Errorf("spinner output\n%q, want\n%q", got, want)
	}
}

// The telemetry warning goes through the bar's or spinner's say while one
// is live, on one line whatever the number of errors joined.
func TestTelemetry_WarningIsRoutedOnOneLine(t *testing.T) {
	var direct, routed []string
	tel := &telemetry{say: func(m string) { direct = append(direct, m) }}
	restore := tel.sayWith(func(m string) { routed = append(routed, m) })
	tel.warn("browseruse: telemetry: " + oneLine(errors.Join(errors.New("traces export: refused"), errors.New("context deadline exceeded")).Error()))
	restore()
	tel.warn("after")
	if len(routed) != 1 || routed[0] != "browseruse: telemetry: traces export: refused; context deadline exceeded" {
		t.Errorf("routed %q", routed)
	}
	if len(direct) != 1 || direct[0] != "after" {
		t.Errorf("direct %q", direct)
	}
	var none *telemetry
	none.sayWith(nil)()
}
