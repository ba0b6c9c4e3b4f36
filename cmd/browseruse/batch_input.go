package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sync"
	"syscall"
)

// batchReader reads the --batch input as the batch runs: a goroutine reads
// its lines, sorts each against the records of --out, and hands the bad
// lines and the jobs, in input order, to the batch. It reads only a few
// lines ahead of the batch, and keeps of the jobs taken only those the
// batch has not given back (job): what it holds is what is in flight, not
// what the input held, however long the input. For the progress total, a
// regular file is also counted ahead, by a second reading that keeps
// nothing of the lines (countAhead); a pipe is read as its producer writes
// it, and waits for the batch.
type batchReader struct {
	name string // as given to --batch
	r    io.Reader

	lines chan inputLine // read, not yet taken: bad lines and jobs; closed at the end
	quit  chan struct{}  // closed by the close func of openBatchInput

	mu       sync.Mutex
	inFlight map[int]inputLine // jobs taken and not given back (job), by their index in the batch
	jobs     int               // jobs read
	bad      int               // bad lines read: recorded as failed, never sent
	skipped  int               // lines ok in an earlier run
	taken    int               // jobs taken: the index of the next in the batch
	badTaken int               // bad lines taken (and so recorded)
	ahead    *lineCount        // a regular file counted to its end ahead of the batch
	ended    bool              // the input was read to its end, or failed
	err      error             // the read error that ended it; nil at EOF
}

// lineCount is what counting a regular file ahead of the batch found.
type lineCount struct{ lines, skipped int }

// openBatchInput opens the --batch file, or takes stdin for "-". It reads
// nothing yet: that waits for start, once --out has been read. ctx ends the
// wait for a FIFO's writer, which opening one does.
func openBatchInput(ctx context.Context, name string, stdin io.Reader) (*batchReader, func(), error) {
	in := &batchReader{name: name, r: stdin, lines: make(chan inputLine, readAhead),
		quit: make(chan struct{}), inFlight: map[int]inputLine{}}
	if name == "-" {
		return in, func() { close(in.quit) }, nil
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(name)
		ch <- opened{f, err}
	}()
	var o opened
	select {
	case o = <-ch:
	case <-ctx.Done(): // a Ctrl-C while no writer has opened the FIFO
		go func() {
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, nil, ctx.Err()
	}
	f, err := o.f, o.err
	if err != nil {
		return nil, nil, fmt.Errorf("--batch: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		// As reading it would say, but before anything else is done.
		return nil, nil, fmt.Errorf("--batch: %w", &fs.PathError{Op: "read", Path: name, Err: syscall.EISDIR})
	}
	in.r = f
	return in, func() { close(in.quit); f.Close() }, nil
}

// readAhead is how many lines the reader reads ahead of the batch: enough
// that the batch never waits on the parsing of a line, few enough that
// their parameters (up to 10 MiB a line) are no burden.
const readAhead = 16

// start reads the input in a goroutine of its own; onEnd gets the number
// of lines to run (jobs and bad lines: every line not skipped) once the
// input has ended, and the read error if one ended it; onTotal gets it
// earlier for a regular file, counted ahead, unless the reading ends first.
// A line is skipped when its hash has, in done, as many ok records as lines
// so far hold it. The reading ends at the input's end, at a read error, or
// once stop closes; a read from a pipe cannot be cancelled, so a goroutine
// waiting on one is left blocked: the command exits soon after, which ends
// it.
func (in *batchReader) start(done okRuns, stop <-chan struct{}, onTotal func(lines int), onEnd func(lines int, err error)) {
	if f, ok := in.r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := f.Seek(0, io.SeekCurrent); err == nil {
				go in.countAhead(io.NewSectionReader(f, off, math.MaxInt64-off), done, stop, onTotal)
			}
		}
	}
	go in.read(done, stop, onEnd)
}

func (in *batchReader) read(done okRuns, stop <-chan struct{}, onEnd func(lines int, err error)) {
	br := bufio.NewReaderSize(in.r, 64<<10)
	left := done.left()
	for n := 1; ; n++ {
		raw, err := br.ReadBytes('\n')
		if l, ok := parseLine(n, raw); ok {
			if !in.add(l, left.take(l.sum), stop) {
				return
			}
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			// The total first: once ended is set, the batch may end
			// and stop the progress before a late total could show.
			// The error before it: onEnd halts the batch for one, and
			// the batch, ended, reports readErr.
			in.mu.Lock()
			lines := in.jobs + in.bad
			in.err = err
			in.mu.Unlock()
			onEnd(lines, err)
			in.mu.Lock()
			in.ended = true
			in.mu.Unlock()
			close(in.lines)
			return
		}
		select {
		case <-stop:
			return
		default:
		}
	}
}

// add counts line l, read, and hands it to the batch unless it is
// skipped; it waits while the batch has readAhead lines to take, and
// returns false if stop closed or the input was closed meanwhile.
func (in *batchReader) add(l inputLine, skip bool, stop <-chan struct{}) bool {
	in.mu.Lock()
	switch {
	case skip:
		in.skipped++
	case l.bad == "":
		in.jobs++
	default:
		in.bad++
	}
	in.mu.Unlock()
	if skip {
		return true
	}
	select {
	case in.lines <- l:
		return true
	case <-stop:
	case <-in.quit:
	}
	return false
}

// countAhead counts the lines of a regular file to run, as read does but
// without parsing or keeping them, so that the progress has its total
// while the batch has just started; onTotal gets it unless the reading
// ended first. A read error here says nothing: read meets it or not.
func (in *batchReader) countAhead(r io.Reader, done okRuns, stop <-chan struct{}, onTotal func(lines int)) {
	br := bufio.NewReaderSize(r, 64<<10)
	left := done.left()
	var c lineCount
	for n := 1; ; n++ {
		raw, err := br.ReadBytes('\n')
		if text, ok := lineText(n, raw); ok {
			if left.take(sha256.Sum256(text)) {
				c.skipped++
			} else {
				c.lines++
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			in.mu.Lock()
			defer in.mu.Unlock()
			if !in.ended {
				// Under the lock: the batch cannot end, and stop the
				// progress, before the total shows.
				in.ahead = &c
				onTotal(c.lines)
			}
			return
		}
		select {
		case <-stop:
			return
		case <-in.quit:
			return
		default:
		}
	}
}

// next takes the next line read: a bad line or a job, which then has the
// next index in the batch. While none is queued it waits, but ok is false
// at once when stop closes or ctx ends, at the end of the input, and once
// reading it failed: a Ctrl-C never waits for a producer's next line.
func (in *batchReader) next(ctx context.Context, stop <-chan struct{}) (l inputLine, ok bool) {
	select {
	case <-stop:
		return inputLine{}, false
	case <-ctx.Done():
		return inputLine{}, false
	case l, ok = <-in.lines:
	}
	if !ok {
		return inputLine{}, false // the end of the input, or a read error
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	switch {
	case in.err != nil:
		// As a failed write does: nothing more is sent, and
		// the lines read before the error are not run either.
		return inputLine{}, false
	case l.bad != "":
		in.badTaken++
	default:
		// What its record needs: the params go with the call.
		kept := l
		kept.params = nil
		in.inFlight[in.taken] = kept
		in.taken++
	}
	return l, true
}

// job gives back the job the batch got as its i-th input, which the reader
// then forgets: the batch asks for each once, with its result.
func (in *batchReader) job(i int) inputLine {
	in.mu.Lock()
	defer in.mu.Unlock()
	l := in.inFlight[i]
	delete(in.inFlight, i)
	return l
}

// counts are the lines to run (jobs and bad lines: every line not
// skipped), the lines skipped and the bad lines taken (so recorded), and
// whether the first two cover the whole input: it was read, or counted
// ahead, to its end. Otherwise they cover the lines read.
func (in *batchReader) counts() (lines, skipped, badTaken int, whole bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if !in.ended && in.ahead != nil {
		return in.ahead.lines, in.ahead.skipped, in.badTaken, true
	}
	return in.jobs + in.bad, in.skipped, in.badTaken, in.ended
}

// readErr is the error that ended the reading, as the command reports it;
// nil if none did.
func (in *batchReader) readErr() error {
	in.mu.Lock()
	err := in.err
	in.mu.Unlock()
	if err == nil {
		return nil
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("--batch: %w", err)
	}
	return fmt.Errorf("--batch: read %s: %w", in.name, err)
}
