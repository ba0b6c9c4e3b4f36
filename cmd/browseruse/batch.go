package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/browser-use/browseruse-go"
)

// errOutLocked is a --out another run holds.
var errOutLocked = errors.New("another browseruse run is writing to it")

// batchRun is the state of one skills execute --batch.
type batchRun struct {
	c   *cli
	a   *executeArgs
	out io.Writer
	f   *os.File // --out; nil when the records go to stdout

	stopOnce sync.Once
	stop     chan struct{} // closed: dispatch no more (first Ctrl-C, write failure)
	cancel   context.CancelFunc

	mu       sync.Mutex
	prog     *progress // once started: notices go above its bar
	signal   int       // exit code of the first signal; 0: none
	abandons bool      // calls in flight were cancelled: their results are not recorded

	// wmu guards the writes and the counts of records: bad lines are
	// recorded in the batch's goroutine, results in the caller's.
	wmu      sync.Mutex
	t        tally
	writeErr error

	skipped, notRun, abandoned int
	inputLeft                  bool // stopped before the input's end: the rest was not read
	ran                        int  // lines of jobs with a result
	elapsed                    time.Duration
	refusals                   int64
	readErr                    error // reading the input failed: dispatching stopped
	stopErr                    error // the API error that stopped the batch
	stopLine                   int
}

// executeBatch runs skills execute --batch. Like execute, it returns an
// exitError once it has reported the outcome, or a plain error for a usage
// error.
func (c *cli) executeBatch(ctx context.Context, a *executeArgs) error {
	// Signals are the batch's to handle from here on: the first Ctrl-C stops
	// dispatching but lets the calls in flight finish and be recorded, which
	// the command's context, cancelled by that Ctrl-C, would not.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	// Opened before anything else, so that a missing input is a usage
	// error before --out is touched; read only once --out has been.
	in, closeInput, err := openBatchInput(ctx, a.batch, c.stdin)
	if code, what, ok := stopped(ctx); ok {
		fmt.Fprintln(c.stderr, "browseruse: "+what)
		return exitError{code}
	}
	if err != nil {
		return err
	}
	defer closeInput()
	// Before --out is touched: a missing key is no reason to write records.
	client, closeClient, err := c.newClient(a)
	if err != nil {
		return err
	}
	defer closeClient()

	b := &batchRun{c: c, a: a, out: c.stdout, stop: make(chan struct{})}
	done, err := b.openOut()
	if err != nil {
		return err
	}
	if b.f != nil {
		defer b.f.Close()
	}

	// The calls get a context of their own, which only a second signal
	// (or SIGTERM) cancels.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	b.cancel = cancel
	watched := make(chan struct{})
	defer close(watched)
	// A signal since the start waits in sigs: the first Ctrl-C stops the
	// batch even before it has read a line.
	go b.watchSignals(sigs, watched)

	// The bar, unless --verbose's log lines or records that may be printed
	// on the same terminal would tear it: plain status lines then.
	live := !a.verbose && !(a.out == "" && c.stdoutOnScreen)
	prog := c.startProgress(live, a.concurrency, b.tally, client.GateStats)
	defer prog.stop(true)
	defer a.tel.sayWith(prog.say)()
	b.mu.Lock()
	b.prog = prog
	b.mu.Unlock()
	b.run(runCtx, client, in, done, prog)
	return b.finish()
}

// run sends the input's lines through the client's batch, records each
// result as it comes, and counts what was left unrun once it ends.
func (b *batchRun) run(ctx context.Context, client *browseruse.Client, in *batchReader, done okRuns, prog *progress) {
	a := b.a
	// The batch starts with the first line read, not the input's end.
	in.start(done, b.stop, prog.setTotal, func(lines int, err error) {
		prog.setTotal(lines)
		if err != nil {
			b.halt() // as a failed write does: calls waiting for a slot are not sent
		}
	})
	opts := browseruse.BatchOptions{Concurrency: a.concurrency, Stop: b.stop, CallTimeout: a.timeout}
	for r := range client.ExecuteSkillBatch(ctx, a.skillID, b.requests(ctx, in), opts) {
		b.take(in.job(r.Index), r)
		prog.update()
	}
	// Stopped, the batch does not take the lines left: count them here,
	// bad lines too, since they have no record yet. Lines neither read
	// nor counted ahead are not counted.
	lines, skipped, badTaken, whole := in.counts()
	b.skipped, b.inputLeft, b.readErr = skipped, !whole, in.readErr()
	b.notRun = lines - b.ran - b.abandoned - badTaken
	prog.stop(b.notRun > 0 || b.abandoned > 0 || b.inputLeft)
	b.elapsed, b.refusals = time.Since(prog.start).Round(10*time.Millisecond), client.GateStats().Refusals
}

// openOut opens --out, if given, for the batch's records, and returns the
// lines it already holds an ok record of.
func (b *batchRun) openOut() (okRuns, error) {
	if b.a.out == "" {
		return okRuns{}, nil
	}
	f, done, torn, err := openOut(b.a.out, b.a.batch, b.c.stdin, b.key())
	if err != nil {
		return okRuns{}, err
	}
	if torn > 0 {
		fmt.Fprintf(b.c.stderr, "browseruse: --out %s: cut a partial last record (%d bytes), left by an interrupted or failed write; that line runs again\n", b.c.withoutKey(b.a.out), torn)
	}
	b.f, b.out = f, f
	return done, nil
}

// requests reads the input's lines as the batch asks for them: a bad line
// is recorded as it comes, never sent.
func (b *batchRun) requests(ctx context.Context, in *batchReader) iter.Seq[browseruse.ExecuteSkillRequest] {
	return func(yield func(browseruse.ExecuteSkillRequest) bool) {
		for {
			l, ok := in.next(ctx, b.stop)
			if !ok {
				return
			}
			if l.bad != "" {
				// Never sent: the failure is the input's, and it is
				// recorded every run until the line is fixed.
				b.record(record{Line: l.n, InputSha256: l.hash(), Error: l.bad}, false)
				continue
			}
			if !yield(browseruse.ExecuteSkillRequest{Parameters: b.c.fakeParams(b.a, l.params), SessionID: b.a.req.SessionID}) {
				return
			}
		}
	}
}

// take records the result r of input line l, and stops the batch on an
// error that must stop it.
func (b *batchRun) take(l inputLine, r browseruse.BatchResult) {
	var notAttempted *browseruse.NotAttemptedError
	if errors.As(r.Err, &notAttempted) {
		return // left unrecorded, so that a rerun sends it
	}
	if r.Err != nil && errors.Is(r.Err, context.Canceled) && b.abandoning() {
		b.abandoned++
		return
	}
	rec := recordFor(l, r)
	if b.a.timeout > 0 && errors.Is(r.Err, context.DeadlineExceeded) {
		rec.Error = fmt.Sprintf("no answer within --timeout %v: %s", b.a.timeout, rec.Error)
	}
	b.ran++
	if browseruse.StopsBatch(r.Err) && b.stopErr == nil {
		b.stopErr, b.stopLine = r.Err, l.n
		// The batch sends nothing more: no need to wait for more input
		// either.
		b.halt()
	}
	// Counted once on disk: a result without its record runs again on
	// resume, so the summary must not call it done.
	b.record(rec, ranSkill(r))
}

// record writes rec and counts it, billed when the API ran the skill for
// it. It runs in the batch's goroutine for a bad line and in the caller's
// for a result, hence the lock.
func (b *batchRun) record(rec record, billed bool) {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	if billed {
		b.t.billed++
	}
	switch {
	case !b.write(rec):
		b.t.unrecorded++
		if rec.OK {
			b.t.unrecordedOK++
		}
	case rec.OK:
		b.t.ok++
	default:
		b.t.failed++
	}
}

// tally is what the batch has recorded so far.
func (b *batchRun) tally() tally {
	b.wmu.Lock()
	defer b.wmu.Unlock()
	return b.t
}

// ranSkill reports whether the API ran the skill for r, which is what an
// account is billed for: a success, or a skill that ran and failed. The API
// does not say what a call cost, so this counts calls, not credits.
func ranSkill(r browseruse.BatchResult) bool {
	var skillErr *browseruse.SkillError
	return r.Err == nil || errors.As(r.Err, &skillErr)
}

// write appends rec as one write(2) of the whole line. A failed write stops
// the batch: what runs after it could not be recorded.
func (b *batchRun) write(rec record) bool {
	if b.writeErr != nil {
		return false
	}
	k := b.key()
	rec.SkillID, rec.SessionID = k.skill, k.session
	if _, err := b.out.Write(encodeRecord(rec)); err != nil {
		b.writeErr = err
		b.halt()
		return false
	}
	return true
}

func (b *batchRun) key() runKey {
	k := runKey{skill: b.a.skillID.String()}
	if id := b.a.req.SessionID; id != nil {
		k.session = id.String()
	}
	return k
}

func (b *batchRun) halt() { b.stopOnce.Do(func() { close(b.stop) }) }

// watchSignals turns the first Ctrl-C into a gentle stop and a second one,
// or a SIGTERM, into cancelling the calls in flight.
func (b *batchRun) watchSignals(sigs <-chan os.Signal, done <-chan struct{}) {
	for {
		select {
		case sig := <-sigs:
			code := exitInterrupted
			if sig == syscall.SIGTERM {
				code = exitTerminated
			}
			b.onSignal(code)
		case <-done:
			return
		}
	}
}

func (b *batchRun) onSignal(code int) {
	b.mu.Lock()
	first := b.signal == 0
	if first {
		b.signal = code
	}
	hard := !first || code == exitTerminated
	if hard {
		b.abandons = true
	}
	prog := b.prog
	b.mu.Unlock()
	if first && !hard {
		msg := "browseruse: interrupted: sending no more; waiting for the calls in flight (Ctrl-C again to abandon them)"
		if prog != nil {
			prog.say(msg)
		} else {
			fmt.Fprintln(b.c.stderr, msg)
		}
	}
	b.halt()
	if hard {
		b.cancel()
	}
}

func (b *batchRun) abandoning() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.abandons
}

// finish makes the records durable, says how the batch went on stderr and
// picks the exit code.
func (b *batchRun) finish() error {
	if b.f != nil && b.writeErr == nil {
		if err := b.f.Sync(); err != nil {
			b.writeErr = err
		}
	}
	c := b.c
	c.clearLine()
	fmt.Fprintln(c.stderr, "browseruse: "+b.summary())
	b.mu.Lock()
	sig := b.signal
	b.mu.Unlock()
	resume := "Rerun the same command to run the lines left: the lines already ok in " + c.withoutKey(b.a.out) + " are skipped."
	if b.a.out == "" {
		// A rerun with a new --out would run (and bill) every line again.
		resume = "Without --out nothing skips the lines done: rerun with --out naming a file that holds this run's records (its stdout), and the lines ok in it are skipped; a rerun as it is runs and bills every line again."
	}
	switch {
	case b.writeErr != nil:
		fmt.Fprintln(c.stderr, "browseruse: writing the records:", b.writeErr)
		if b.t.unrecorded > 0 {
			fmt.Fprintf(c.stderr, "%d results could not be recorded (%d of them ok, so billed): their lines run again on resume.\n", b.t.unrecorded, b.t.unrecordedOK)
		}
		fmt.Fprintln(c.stderr, "Sent no more calls. "+resume)
		return exitError{exitWrite}
	case sig != 0:
		what := "interrupted"
		if sig == exitTerminated {
			what = "terminated"
		}
		fmt.Fprintln(c.stderr, "browseruse: "+what)
		if b.abandoned > 0 {
			fmt.Fprintf(c.stderr, "Abandoned %d calls in flight or waiting for a slot: they have no record, and run again on resume.\n", b.abandoned)
		}
		fmt.Fprintln(c.stderr, resume)
		return exitError{sig}
	case b.readErr != nil:
		fmt.Fprintln(c.stderr, "browseruse: "+b.readErr.Error())
		fmt.Fprintln(c.stderr, "Sent no more calls. "+resume)
		return exitError{exitUsage}
	case b.stopErr != nil:
		fmt.Fprintf(c.stderr, "browseruse: stopped at line %d: %s\n", b.stopLine, errText(b.stopErr))
		var apiErr *browseruse.APIError
		errors.As(b.stopErr, &apiErr)
		switch apiErr.StatusCode {
		case http.StatusPaymentRequired:
			fmt.Fprintln(c.stderr, "The account is out of credits: no other line could run. Add credits, then:")
		case http.StatusUnauthorized:
			fmt.Fprintln(c.stderr, "The API rejected the key: check BROWSER_USE_API_KEY (and --base-url), then:")
		default:
			fmt.Fprintln(c.stderr, "The skill cannot run: check the skill id and that the skill is finished and enabled, then:")
		}
		fmt.Fprintln(c.stderr, resume)
		return exitError{exitAPIError}
	case b.t.failed > 0:
		return exitError{exitSkillFailed}
	}
	return nil
}

func (b *batchRun) summary() string {
	s := fmt.Sprintf("batch: %d ok, %d failed", b.t.ok, b.t.failed)
	if b.skipped > 0 {
		s += fmt.Sprintf(", %d skipped (ok in an earlier run)", b.skipped)
	}
	if b.t.unrecorded > 0 {
		s += fmt.Sprintf(", %d not recorded", b.t.unrecorded)
	}
	if b.notRun > 0 {
		s += fmt.Sprintf(", %d not run", b.notRun)
	}
	if b.abandoned > 0 {
		s += fmt.Sprintf(", %d abandoned", b.abandoned)
	}
	if b.inputLeft {
		s += ", the rest of the input not read"
	}
	if b.elapsed > 0 {
		s += fmt.Sprintf("; %v, %d refusals (429) waited out", b.elapsed, b.refusals)
	}
	return s
}

// openOut opens --out for appending, locked against other runs, and reads
// the records already in it. The input file may not be the output: the
// records would be appended to the input.
func openOut(name, input string, stdin io.Reader, key runKey) (*os.File, okRuns, int64, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, okRuns{}, 0, fmt.Errorf("--out: %w", err)
	}
	fail := func(err error) (*os.File, okRuns, int64, error) {
		f.Close()
		return nil, okRuns{}, 0, err
	}
	out, err := f.Stat()
	if err != nil {
		return fail(fmt.Errorf("--out: %w", err))
	}
	if !out.Mode().IsRegular() {
		// Resume reads it back and may cut its last line: a pipe or a
		// device would not keep the records.
		return fail(fmt.Errorf("--out %s is not a regular file; leave --out out to write the records to stdout", name))
	}
	var in os.FileInfo
	switch stdinFile, isFile := stdin.(*os.File); {
	case input != "-":
		in, err = os.Stat(input)
	case isFile:
		in, err = stdinFile.Stat() // --batch - < out.jsonl
	}
	if in != nil && err == nil && os.SameFile(in, out) {
		return fail(fmt.Errorf("--out %s is the --batch input: the records would be appended to it", name))
	}
	if err := lockOut(f); err != nil {
		return fail(fmt.Errorf("--out %s: %w", name, err))
	}
	ok, torn, err := scanRecords(f, key)
	if err != nil {
		return fail(fmt.Errorf("--out %s: %w", name, err))
	}
	return f, ok, torn, nil
}
