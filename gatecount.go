package browseruse

import (
	"math"
	"time"
)

// How many calls of ours the API held when it refused one, for inferring
// other clients (gateshare.go) from refusals (gatelimit.go).
//
// When the API refuses a call c, it holds the calls of ours sent before c
// and still running. Those still unanswered when the refusal comes back
// surely count; those answered while it came back count if they ended at
// the API after it decided. That depends on when in the round trip it
// decides, which nothing tells: as c arrives after the network's way there
// (a server that refuses at once, as the fake does, decides at its very
// start), or at its end (a server that queues first). With short skills the
// difference is many calls (a 250-session plan of half-second skills ends
// 15 in a 30 ms round trip): inferring others from the fewest the API can
// have held misses a newcomer holding that many, and from the most sees one
// beside a lone client.
//
// A lone client is refused only when the plan is full of its own calls, so
// the API's count is the same at each of its refusals. The gate counts as if
// the API decided at each of a few points of the round trip; the point whose
// count stays put from one lone refusal to the next is where the API
// decides, and its count, from then on, tells how many sessions others hold.

const (
	countSteps = 16  // parts of a refusal's round trip
	maxMove    = 0.5 // how much a count that holds still moves, on average, at most
)

// heldCounts is how many calls of ours the API held at a refusal, for each
// point it may have decided at: [k] if it decided k/countSteps of the way
// through the round trip from c being sent to now. sure is how many it held
// for certain (sent before c and still unanswered). g.mu is held.
func (g *gate) heldCounts(c *ticket, sure int, now time.Time) (n [countSteps + 1]int) {
	rtt := now.Sub(c.sent)
	for _, d := range g.shr.done[g.shr.head:] {
		if !d.sent.Before(c.sent) || d.at.Before(c.sent) {
			continue
		}
		k := countSteps
		if rtt > 0 && d.at.Before(now) {
			k = int(countSteps * d.at.Sub(c.sent) / rtt)
		}
		n[k]++ // held if the API decided at any point up to k
	}
	n[countSteps] += sure
	for k := countSteps - 1; k >= 0; k-- {
		n[k] += n[k+1]
	}
	return n
}

// countDrift follows a client's lone refusals: at each point of the round
// trip, the count's mean and how much it moves between refusals.
type countDrift struct {
	refusals int
	last     [countSteps + 1]int
	mean     [countSteps + 1]float64
	move     [countSteps + 1]float64 // mean change between consecutive refusals
}

// saw records a lone refusal's counts.
func (d *countDrift) saw(n [countSteps + 1]int) {
	for k, v := range n {
		if d.refusals == 0 {
			d.mean[k] = float64(v)
			continue
		}
		d.move[k] += (math.Abs(float64(v-d.last[k])) - d.move[k]) / 4
		d.mean[k] += (float64(v) - d.mean[k]) / 4
	}
	d.refusals++
	d.last = n
}

// steady is the point of the round trip whose count held still at this
// client's lone refusals, that count's mean, and how much it still moves.
// ok is false until three refusals tell, and when no count held still
// (moving by half a call or more on average): where the API decides
// between two points, or the scheduler reorders sends, each count moves,
// and a refusal a few calls below the mean would be taken for others.
// Counts below half the most (the calls answered meanwhile were most of
// them: skills shorter than a refusal) hold still near zero whatever the
// API counted, and are not candidates.
func (d *countDrift) steady() (k int, mean, move float64, ok bool) {
	if d.refusals < 3 {
		return 0, 0, 0, false
	}
	for i := range d.move {
		if d.mean[i] >= d.mean[0]/2 && d.move[i] < d.move[k] {
			k = i
		}
	}
	if d.move[k] >= maxMove {
		return 0, 0, 0, false
	}
	return k, d.mean[k], d.move[k], true
}

// countedPlan is the plan's limit as the API counts it: the steady count's
// mean, within what every lone refusal bounds the plan to (the most the
// API surely held, and the most it can have held), so that the counts of
// a start far past the plan, all sent at once, do not drag it down. g.mu
// is held.
func (l *limitState) countedPlan() (plan float64, k int, move float64, ok bool) {
	k, mean, move, ok := l.drift.steady()
	if !ok {
		return 0, 0, 0, false
	}
	return min(max(mean, float64(l.sureAlone)), float64(l.alone)), k, move, true
}

// othersAt is how many sessions other clients held at a refusal with held
// calls of ours at the API (counts: heldCounts): by the steady count once
// lone refusals tell, less twice what it still moves, so that its noise is
// not taken for others; else the fewest they can have held beside a plan
// of sure sessions. g.mu is held.
func (l *limitState) othersAt(counts [countSteps + 1]int, held, sure int) int {
	if plan, k, move, ok := l.countedPlan(); ok {
		return int(math.Floor(plan - float64(counts[k]) - 2*move))
	}
	return sure - held
}
