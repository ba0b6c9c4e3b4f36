package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"
)

// batchReader reads the --batch input as the batch runs: a goroutine reads
// its lines, sorts each against the records of --out, and queues the bad
// lines and the jobs, in input order, for the batch to take. The queue has
// no bound, so a file is read to its end at once (and the progress total
// known almost at once), while a pipe only holds back the lines its
// producer has not written yet.
type batchReader struct {
	name string // as given to --batch
	r    io.Reader

	mu      sync.Mutex
	pending []inputLine   // read, not yet taken: bad lines and jobs
	taken   []inputLine   // jobs handed to the batch, by their index in it
	jobs    int           // jobs read
	bad     int           // bad lines read: recorded as failed, never sent
	skipped int           // lines ok in an earlier run
	ended   bool          // the input was read to its end, or failed
	err     error         // the read error that ended it; nil at EOF
	notify  chan struct{} // a token after each change: wakes next
}

// openBatchInput opens the --batch file, or takes stdin for "-". It reads
// nothing yet: that waits for start, once --out has been read. ctx ends the
// wait for a FIFO's writer, which opening one does.
func openBatchInput(ctx context.Context, name string, stdin io.Reader) (*batchReader, func(), error) {
	in := &batchReader{name: name, r: stdin, notify: make(chan struct{}, 1)}
	if name == "-" {
		return in, func() {}, nil
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
	return in, func() { f.Close() }, nil
}

// start reads the input in a goroutine of its own; onEnd gets the number
// of lines to run (jobs and bad lines: every line not skipped) once the
// input has ended, and the read error if one ended it. A line is skipped when
// its hash has, in done, as many ok records as lines so far hold it. The
// reading ends at the input's end, at a read error, or once stop closes;
// a read from a pipe cannot be cancelled, so a goroutine waiting on one is
// left blocked: the command exits soon after, which ends it.
func (in *batchReader) start(done okRuns, stop <-chan struct{}, onEnd func(jobs int, err error)) {
	go func() {
		br := bufio.NewReaderSize(in.r, 64<<10)
		seen := map[string]int{} // lines so far with each hash
		for n := 1; ; n++ {
			raw, err := br.ReadBytes('\n')
			if l, ok := parseLine(n, raw); ok {
				seen[l.hash]++
				in.mu.Lock()
				switch {
				case seen[l.hash] <= done[l.hash]:
					in.skipped++
				default:
					if l.bad == "" {
						in.jobs++
					} else {
						in.bad++
					}
					in.pending = append(in.pending, l)
				}
				in.mu.Unlock()
				in.wake()
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				// The total first: once ended is set, the batch may end
				// and stop the progress before a late total could show.
				in.mu.Lock()
				lines := in.jobs + in.bad
				in.mu.Unlock()
				onEnd(lines, err)
				in.mu.Lock()
				in.ended, in.err = true, err
				in.mu.Unlock()
				in.wake()
				return
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
}

func (in *batchReader) wake() {
	select {
	case in.notify <- struct{}{}:
	default:
	}
}

// next takes the next line read: a bad line or a job, which then has the
// next index in the batch. While none is queued it waits, but ok is false
// at once when stop closes or ctx ends, at the end of the input, and once
// reading it failed: a Ctrl-C never waits for a producer's next line.
func (in *batchReader) next(ctx context.Context, stop <-chan struct{}) (l inputLine, ok bool) {
	for {
		select {
		case <-stop:
			return inputLine{}, false
		case <-ctx.Done():
			return inputLine{}, false
		default:
		}
		in.mu.Lock()
		if in.err != nil {
			// As a failed write does: nothing more is sent, and
			// the lines read before the error are not run either.
			in.mu.Unlock()
			return inputLine{}, false
		}
		if len(in.pending) > 0 {
			l = in.pending[0]
			in.pending[0] = inputLine{} // let the params go once done with
			in.pending = in.pending[1:]
			if l.bad == "" {
				// What a record needs: the params go with the call.
				kept := l
				kept.params = nil
				in.taken = append(in.taken, kept)
			}
			in.mu.Unlock()
			return l, true
		}
		ended := in.ended
		in.mu.Unlock()
		if ended {
			return inputLine{}, false
		}
		select {
		case <-in.notify:
		case <-stop:
		case <-ctx.Done():
		}
	}
}

// job is the job the batch got as its i-th input.
func (in *batchReader) job(i int) inputLine {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.taken[i]
}

// counts are the jobs read and the lines skipped so far, the bad lines
// read but never taken (the batch stopped first: they have no record),
// and whether the input was read to its end.
func (in *batchReader) counts() (jobs, skipped, badLeft int, ended bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, l := range in.pending {
		if l.bad != "" {
			badLeft++
		}
	}
	return in.jobs, in.skipped, badLeft, in.ended
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
