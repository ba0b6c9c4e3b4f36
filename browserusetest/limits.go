package browserusetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// The API limits each account to a number of concurrent browser sessions
// (10 to 1,000 by plan) and answers 429 to a call that would start one too
// many; it answers 402 once the credits run out. These knobs make the fake
// do the same for every operation whose spec documents a 429 (Execute Skill
// among them), so code that runs many skills can be tested against it.

// Stats counts what the fake saw of calls that start a session.
type Stats struct {
	// Requests is how many such calls passed validation.
	Requests int
	// Refusals is how many of them got a 429 for the concurrency limit.
	Refusals int
	// InsufficientCredits is how many got a 402 because credits ran out.
	InsufficientCredits int
	// Executions is how many were admitted and answered.
	Executions int
	// MaxConcurrent is the most that ran at once, held sessions included.
	MaxConcurrent int
}

// TooManySessionsDetail and InsufficientCreditsDetail are the details of the
// fake's 429 and 402, the spec's defaults for those errors.
const (
	TooManySessionsDetail     = "Too many concurrent active sessions. Please wait for one to finish, kill one, or upgrade your plan."
	InsufficientCreditsDetail = "Insufficient credits"
)

type limits struct {
	limit   int // 0: none
	latency time.Duration
	jitter  time.Duration // SetLatencyJitter
	refusal time.Duration // SetRefusalLatency
	queue   bool          // SetRefusalQueue
	credits int           // < 0: unlimited
	active  int           // admitted calls running
	held    int           // sessions held by HoldSessions
	queued  []*queuedCall // calls waiting for a session (SetRefusalQueue)
	stats   Stats
}

// queuedCall is a call waiting for a session; ready is closed once one is
// handed to it. Each call makes its own channel in its own goroutine, so a
// test that drives the fake under testing/synctest can wait on it.
type queuedCall struct {
	ready   chan struct{}
	granted bool
}

// SetConcurrencyLimit makes the fake refuse, with the spec's 429, a call that
// starts a session while n are running (held ones included), as a plan's
// limit does. 0 removes the limit.
func (s *Server) SetConcurrencyLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.limit = max(n, 0)
}

// SetLatency makes every admitted call that starts a session take d before
// it is answered, as a skill driving a website does. The session counts
// against the limit for that time, and the reply's latencyMs reports it.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.latency = d
}

// SetLatencyJitter makes each admitted call take up to d more than
// SetLatency's, uniformly at random, as skills on real sites do: a batch's
// calls then end spread out rather than all at once. 0, the default, adds
// nothing.
func (s *Server) SetLatencyJitter(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.jitter = max(d, 0)
}

// SetRefusalLatency makes a call refused for the concurrency limit get its
// 429 d after it arrived instead of at once: the API's round trip to a
// refusal (assume 30 to 300 ms), as distinct from a skill's latency. The
// refusal is decided when the call arrives, unless [Server.SetRefusalQueue]
// says otherwise. 0, the default, answers at once.
func (s *Server) SetRefusalLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.refusal = max(d, 0)
}

// SetRefusalQueue makes the fake hold a call that finds every session taken
// for up to the refusal latency, as a server that waits before it refuses
// would: a call handed a freed session in that time runs (first come, first
// served), the others get the 429 when the time runs out. Off, the default,
// the refusal is decided on arrival.
func (s *Server) SetRefusalQueue(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.queue = on
}

// SetCredits lets n more calls that start a session be admitted; after that
// each gets the spec's 402. A negative n means unlimited, the default.
func (s *Server) SetCredits(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lim.credits = n
}

// HoldSessions occupies n sessions of the limit, as another process or the
// web app using the same account would, until release is called. It panics
// if n is negative: that would raise the limit and make Stats misreport.
func (s *Server) HoldSessions(n int) (release func()) {
	if n < 0 {
		panic(fmt.Sprintf("browserusetest: HoldSessions(%d): n is negative", n))
	}
	s.mu.Lock()
	s.lim.held += n
	s.lim.stats.MaxConcurrent = max(s.lim.stats.MaxConcurrent, s.lim.active+s.lim.held)
	s.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.lim.held -= n
			s.handOff()
			s.mu.Unlock()
		})
	}
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lim.stats
}

// startsSession reports whether op is limited: the spec documents a 429 for it.
func startsSession(op *v3.Operation) bool {
	return op.Responses != nil && op.Responses.Codes.GetOrZero("429") != nil
}

// admit applies the limit and the credits to a call that starts a session.
// It returns the refusal to send, or the latency to wait and a release to
// call before answering: the session ends before its answer leaves, as the
// client sees it, so a client that sends its next call on an answer never
// finds its own previous call still counted. A 429 is returned once the
// refusal latency has passed, or ctx has ended.
func (s *Server) admit(ctx context.Context) (refusal int, latency time.Duration, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := &s.lim
	l.stats.Requests++
	if l.limit > 0 && l.active+l.held >= l.limit {
		if !s.awaitSession(ctx) {
			l.stats.Refusals++
			return http.StatusTooManyRequests, 0, nil
		}
	} else {
		l.active++
	}
	if l.credits == 0 {
		l.active--
		s.handOff()
		l.stats.InsufficientCredits++
		return http.StatusPaymentRequired, 0, nil
	}
	if l.credits > 0 {
		l.credits--
	}
	l.stats.Executions++
	l.stats.MaxConcurrent = max(l.stats.MaxConcurrent, l.active+l.held)
	latency = l.latency
	if l.jitter > 0 {
		latency += rand.N(l.jitter)
	}
	return 0, latency, func() {
		s.mu.Lock()
		l.active--
		s.handOff()
		s.mu.Unlock()
	}
}

// awaitSession spends the refusal latency of a call that found every
// session taken, with s.mu held on entry and on return (not in between).
// It reports whether a session was handed to the call meanwhile, which
// only a queueing fake does (SetRefusalQueue).
func (s *Server) awaitSession(ctx context.Context) bool {
	l := &s.lim
	if l.refusal <= 0 {
		return false
	}
	var q *queuedCall
	var ready chan struct{} // nil, never ready, unless queued
	if l.queue {
		q = &queuedCall{ready: make(chan struct{})}
		l.queued = append(l.queued, q)
		ready = q.ready
	}
	t := time.NewTimer(l.refusal)
	s.mu.Unlock()
	select {
	case <-ready:
	case <-t.C:
	case <-ctx.Done():
	}
	t.Stop()
	s.mu.Lock()
	if q == nil {
		return false
	}
	if !q.granted {
		l.queued = slices.DeleteFunc(l.queued, func(x *queuedCall) bool { return x == q })
	}
	return q.granted
}

// handOff gives freed sessions to queued calls, in order. s.mu is held.
func (s *Server) handOff() {
	l := &s.lim
	for len(l.queued) > 0 && (l.limit == 0 || l.active+l.held < l.limit) {
		q := l.queued[0]
		l.queued = l.queued[1:]
		q.granted = true
		l.active++
		close(q.ready)
	}
}
