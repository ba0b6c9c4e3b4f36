package main

import (
	"strings"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
)

// On an 80-column terminal the status takes its short form and leaves the
// bar room; on a narrower one, where mpb drops the bar, the counts still
// stand apart ("3/20 3 ok", never "3/203 ok"). Wide, it is in full.
func TestProgress_StatusFitsTheLine(t *testing.T) {
	// Counts in the hundreds, no --concurrency: a new user's 80 columns
	// once showed no bar and a line cut short.
	big := &progress{total: 300, start: time.Now().Add(-5 * time.Second),
		tally: func() tally { return tally{ok: 100, billed: 100} },
		stats: func() browseruse.GateStats { return browseruse.GateStats{InFlight: 20, Limit: 20, Refusals: 6} }}
	if avail, got := 80-len("batch "+big.counters()), big.statusFor(80-len("batch "+big.counters())); len(got) > avail-2-minBarWidth {
		t.Errorf("80 columns, 100/300 done: %q (%d) leaves the bar no room in %d", got, len(got), avail)
	}
	p := &progress{total: 20, concurrency: 4, start: time.Now().Add(-time.Second),
		tally: func() tally { return tally{ok: 3, billed: 3} },
		stats: func() browseruse.GateStats { return browseruse.GateStats{InFlight: 4, Limit: 4} }}
	prefix := "batch " + p.counters()
	for _, cols := range []int{200, 80, 40} {
		avail := cols - len(prefix)
		got := p.statusFor(avail)
		switch {
		case cols == 200 && !strings.Contains(got, "learned limit"):
			t.Errorf("%d columns: %q, want the full status", cols, got)
		case cols == 80 && len(got) > avail-2-minBarWidth:
			t.Errorf("%d columns: %q (%d) leaves the bar no room in %d", cols, got, len(got), avail)
		case cols == 40 && !strings.HasPrefix(got, " 3 ok"):
			t.Errorf("%d columns: %q, want a space before the counts", cols, got)
		}
	}
}

// The README's 80-column example: with --concurrency 20 above a learned
// limit of 8, the short form counts the calls in flight out of the 8 the
// batch may run, and leaves the bar its room.
func TestProgress_ShortStatusCountsWhatTheBatchMayRun(t *testing.T) {
	p := &progress{total: 202, concurrency: 20, start: time.Now().Add(-5 * time.Second),
		tally: func() tally { return tally{ok: 40, failed: 1, billed: 40} },
		stats: func() browseruse.GateStats { return browseruse.GateStats{InFlight: 8, Limit: 8, Refusals: 14} }}
	avail := 80 - len("batch "+p.counters()+" ")
	got := p.statusFor(avail)
	if !strings.Contains(got, "8/8 in flight, 14 429s") || strings.Contains(got, "/20") {
		t.Errorf("80 columns: %q, want 8 in flight out of the learned limit 8, not the cap 20", got)
	}
	if len(got) > avail-2-minBarWidth {
		t.Errorf("80 columns: %q (%d) leaves the bar no room in %d", got, len(got), avail)
	}
}
