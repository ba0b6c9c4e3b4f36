package browseruse

import (
	"testing"
	"time"
)

// A lockout that ended without a success (its call reached its deadline)
// must not time the next one, minutes later, from its start: that one would
// begin at the longest wait, and notice the sessions freed seconds late.
func TestGate_ANewLockoutStartsAtTheShortestWait(t *testing.T) {
	g := newGate(0)
	g.inFlight = 1
	g.shutOut = time.Now().Add(-time.Minute) // a lockout of a minute ago
	g.refusedAt = time.Now().Add(-30 * time.Second)
	if wait, _, _ := g.refused(); wait > shutOutWaitMin {
		t.Errorf("first wait of a new lockout %v, want at most %v", wait, shutOutWaitMin)
	}
	// Within one lockout, the wait grows with it.
	g.shutOut = time.Now().Add(-12 * time.Second)
	g.refusedAt = time.Now().Add(-2 * time.Second)
	if wait, _, _ := g.refused(); wait < 12*time.Second/4/2 {
		t.Errorf("wait %v 12 s into a lockout, want at least %v", wait, 12*time.Second/4/2)
	}
}
