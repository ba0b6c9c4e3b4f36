package main

import (
	"fmt"
	"io"
	"time"
)

// spinner redraws one status line with the elapsed time, so a skill that
// runs for minutes does not look hung. Only for terminals: it relies on \r.
type spinner struct {
	w    io.Writer
	msgs chan string // lines to print above the spinner: see say
	stop chan struct{}
	done chan struct{}
}

var spinnerFrames = []rune("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")

func startSpinner(w io.Writer, label string) *spinner {
	t := time.NewTicker(100 * time.Millisecond)
	start := time.Now()
	s := runSpinner(w, label, t.C, func() time.Duration { return time.Since(start) })
	go func() { <-s.done; t.Stop() }()
	return s
}

// runSpinner draws a frame on every tick; tests drive it with their own
// ticks and clock.
func runSpinner(w io.Writer, label string, ticks <-chan time.Time, elapsed func() time.Duration) *spinner {
	s := &spinner{w: w, msgs: make(chan string), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		drawn := false
		for i := 0; ; i++ {
			select {
			case <-s.stop:
				if drawn {
					fmt.Fprint(w, eraseLine) // leave the line clean for what follows
				}
				return
			case msg := <-s.msgs:
				// On a line of its own, not appended to the frame; the
				// next tick draws the spinner again below it.
				if drawn {
					fmt.Fprint(w, eraseLine)
				}
				fmt.Fprintln(w, msg)
				drawn = false
			case <-ticks:
				// Erased to its end after each frame: a frame shorter than
				// the last ("5s" after "4.9s") would leave the old tail.
				fmt.Fprintf(w, "\r%c %s… %v\033[K", spinnerFrames[i%len(spinnerFrames)], label,
					elapsed().Truncate(100*time.Millisecond))
				drawn = true
			}
		}
	}()
	return s
}

// Stop erases the spinner and returns once it has; a nil spinner is a no-op,
// so callers need not check whether one was started.
func (s *spinner) Stop() {
	if s == nil {
		return
	}
	close(s.stop)
	<-s.done
}

// say prints msg on a line of its own while the spinner runs: the spinner's
// goroutine erases its frame first, so the two never share a line. Once the
// spinner has stopped, msg goes to the writer as is.
func (s *spinner) say(msg string) {
	select {
	case s.msgs <- msg:
	case <-s.done:
		fmt.Fprintln(s.w, msg)
	}
}
