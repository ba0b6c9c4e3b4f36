package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/browser-use/browseruse-go"
)

// defaultProgressInterval is how often a plain status line is printed when
// stderr is not a terminal: often enough for a log, rarely enough not to
// drown it. $BROWSERUSE_PROGRESS_INTERVAL overrides it.
const defaultProgressInterval = 5 * time.Second

// tally is what a batch has recorded so far. The bar and the summary both
// read it, so they cannot disagree.
type tally struct {
	ok, failed   int // records written
	unrecorded   int // results a failed write lost
	unrecordedOK int // of which ok, so billed
	billed       int // results of calls the API ran the skill for
}

// done is the lines this run has finished with.
func (t tally) done() int { return t.ok + t.failed + t.unrecorded }

// progress shows a batch's state on stderr: on a terminal a live bar drawn
// by mpb, elsewhere a plain status line every few seconds. The drawing runs
// on its own goroutine and reads the counts it shows from tally and stats.
type progress struct {
	tally       func() tally
	stats       func() browseruse.GateStats
	concurrency int // --concurrency
	start       time.Time
	w           io.Writer

	mu      sync.Mutex
	total   int  // lines to run: -1 until the input has been read to its end
	stopped bool // the batch stopped before its end: no ETA

	live *mpb.Progress // nil: plain lines
	bar  *mpb.Bar

	stopOnce sync.Once
	quit     chan struct{}
	exited   chan struct{}
}

// startProgress asks for the bar with live; --verbose's log lines would
// tear it, so they get plain lines too. The total is not known until the
// input has been read to its end: setTotal gives it.
func (c *cli) startProgress(live bool, concurrency int, t func() tally, stats func() browseruse.GateStats) *progress {
	p := &progress{total: -1, tally: t, stats: stats, concurrency: concurrency, start: time.Now(), w: c.stderr,
		quit: make(chan struct{}), exited: make(chan struct{})}
	if live && c.interactive {
		p.live = mpb.New(mpb.WithConsoleWriter(newLineStartWriter(c.stderr)),
			mpb.WithWidth(24), mpb.WithRefreshRate(200*time.Millisecond))
		// A total of 0 is mpb's "a total to come" (SetTotal).
		p.bar = p.live.AddBar(0,
			mpb.PrependDecorators(decor.Name("batch "), decor.Any(func(decor.Statistics) string { return p.counters() })),
			mpb.AppendDecorators(decor.Any(func(st decor.Statistics) string { return p.statusFor(st.AvailableWidth) })),
		)
		close(p.exited)
		return p
	}
	interval := defaultProgressInterval
	if d, err := time.ParseDuration(os.Getenv("BROWSERUSE_PROGRESS_INTERVAL")); err == nil && d > 0 {
		interval = d
	}
	go func() {
		defer close(p.exited)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				fmt.Fprintf(c.stderr, "browseruse: batch: %s done, %s\n", p.counters(), p.status())
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

// lineStartWriter is mpb's terminal writer, returning to the start of the
// line before each redraw. mpb moves the cursor up to its bar and erases
// from there, and cursor-up keeps the column: after the terminal echoed ^C
// (or anything else was typed) the redraw would start mid-line and leave
// the echo's width of the old bar ("babrowseruse: interrupted").
type lineStartWriter struct {
	*cupwriter.Writer
	out io.Writer
}

func newLineStartWriter(out io.Writer) lineStartWriter {
	// Only for a terminal (c.interactive): cupwriter finds its size through
	// out, when out is the *os.File.
	return lineStartWriter{Writer: cupwriter.New(out, true), out: out}
}

func (w lineStartWriter) Flush(lines int) error {
	if _, err := io.WriteString(w.out, "\r"); err != nil {
		return err
	}
	return w.Writer.Flush(lines)
}

// update moves the bar to the lines done; the batch calls it after each
// record.
func (p *progress) update() {
	if p.bar != nil {
		p.bar.SetCurrent(int64(p.tally().done()))
	}
}

// setTotal gives the total once the input has been read to its end.
func (p *progress) setTotal(total int) {
	p.mu.Lock()
	p.total = total
	p.mu.Unlock()
	if p.bar != nil {
		p.bar.SetTotal(int64(total), false)
		p.bar.EnableTriggerComplete() // full once done reaches it, as with a total known from the start
		p.update()
	}
}

// counters is done/total, with ? for a total not known yet.
func (p *progress) counters() string {
	p.mu.Lock()
	total := p.total
	p.mu.Unlock()
	done := p.tally().done()
	if total < 0 {
		return fmt.Sprintf("%d/?", done)
	}
	return fmt.Sprintf("%d/%d", done, total)
}

// status is everything but done/total: the outcomes as the summary counts
// them, rate and ETA, the calls in flight against --concurrency and the
// limit the client's gate has learned (the account's, from its 429s; the
// smallest plan's until then), the refusals met and the calls billed.
func (p *progress) status() string {
	eta := p.eta()
	t, gs := p.tally(), p.stats()
	rate := float64(t.done()) / time.Since(p.start).Seconds()
	s := fmt.Sprintf("%d ok, %d failed", t.ok, t.failed)
	if t.unrecorded > 0 {
		s += fmt.Sprintf(", %d not recorded", t.unrecorded)
	}
	limit := "no --concurrency"
	if p.concurrency > 0 {
		limit = fmt.Sprintf("--concurrency %d", p.concurrency)
	}
	return s + fmt.Sprintf(", %s, %.1f/s, %d in flight (%s, learned limit %d), %d refusals (429), %d billed calls",
		eta, rate, gs.InFlight, limit, gs.Limit, gs.Refusals, t.billed)
}

// minBarWidth is the narrowest bar worth drawing: below it the status
// takes its short form, so the counts keep their place on the line.
const minBarWidth = 10

// statusFor is the status for a line with avail columns left after the
// counters: in full when the bar still fits beside it, else in short. mpb
// drops the bar on a narrow line and would join the counters to the status
// ("batch 3/203 ok" for 3/20 and 3 ok): then the status brings its own
// space.
func (p *progress) statusFor(avail int) string {
	if full := p.status(); avail-len(full) >= 2+minBarWidth {
		return full
	}
	short := p.shortStatus()
	if avail-len(short) >= 2+minBarWidth {
		return short
	}
	// Counts of hundreds or thousands: only what the bar cannot show.
	tiny := p.tinyStatus()
	if avail-len(tiny) >= 2+minBarWidth {
		return tiny
	}
	return " " + tiny
}

// tinyStatus is the least of the status: the outcomes, the ETA and the
// calls in flight.
func (p *progress) tinyStatus() string {
	t, gs := p.tally(), p.stats()
	return fmt.Sprintf("%d ok, %d failed, %s, %d in flight", t.ok, t.failed, p.eta(), gs.InFlight)
}

// shortStatus is status in fewer columns, for an 80-column terminal: the
// calls in flight out of what the batch may run now, the learned limit or
// --concurrency, whichever is lower (the full status shows both), and no
// billed count (the summary has it).
func (p *progress) shortStatus() string {
	t, gs := p.tally(), p.stats()
	s := fmt.Sprintf("%d ok, %d failed", t.ok, t.failed)
	if t.unrecorded > 0 {
		s += fmt.Sprintf(", %d unrecorded", t.unrecorded)
	}
	may := gs.Limit
	if p.concurrency > 0 {
		may = min(may, p.concurrency)
	}
	return s + fmt.Sprintf(", %s, %d/%d in flight, %d 429s", p.eta(), gs.InFlight, may, gs.Refusals)
}

// eta is the time left at the rate so far, "ETA ?" before the first line
// is done or the total known, "stopped" once the batch has stopped early.
func (p *progress) eta() string {
	p.mu.Lock()
	total, stopped := p.total, p.stopped
	p.mu.Unlock()
	done := p.tally().done()
	rate := float64(done) / time.Since(p.start).Seconds()
	switch {
	case stopped:
		return "stopped"
	case done > 0 && total >= 0:
		return "ETA " + time.Duration(float64(total-done)/rate*float64(time.Second)).Round(time.Second).String()
	}
	return "ETA ?"
}

// say prints msg on stderr, above the bar when there is one. Once the bar
// has stopped, mpb refuses the write, and msg goes to stderr as is.
func (p *progress) say(msg string) {
	if p != nil && p.live != nil {
		if _, err := fmt.Fprintln(p.live, msg); err == nil {
			return
		}
	}
	fmt.Fprintln(p.w, msg)
}

// stop ends the drawing and returns once it has: what follows on stderr
// (the summary) is not overdrawn. stopped says the batch ended before its
// end, so the last state shows that instead of an ETA.
func (p *progress) stop(stopped bool) {
	p.stopOnce.Do(func() {
		p.mu.Lock()
		p.stopped = stopped
		p.mu.Unlock()
		close(p.quit)
		if p.live != nil {
			if !p.bar.Completed() {
				p.bar.Abort(false) // keep the last state on screen
			}
			p.live.Wait()
		}
	})
	<-p.exited
}
