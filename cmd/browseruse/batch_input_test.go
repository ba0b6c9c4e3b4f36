package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// failingReader yields its text, then fails.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("input/output error")
	}
	return n, err
}

// A read error on the input stops dispatching like a failed write: the
// calls sent are recorded, and the command exits 2 saying what failed.
func TestBatch_ReadErrorStopsWithExit2(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: &failingReader{strings.NewReader("{\"X\": 1}\n")}, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := c.run(context.Background(), []string{"skills", "execute", "--fake", skill, "--batch", "-"})
	if code != exitUsage || !strings.Contains(stderr.String(), "--batch: read -: input/output error") {
		t.Fatalf("exit code %d, want %d, and stderr saying why:\n%s", code, exitUsage, stderr.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n > 1 {
		t.Errorf("%d records, want at most the one line read", n)
	}
}

// stallingReader yields its text, then waits for fail to close, then fails.
type stallingReader struct {
	r    io.Reader
	fail <-chan struct{}
}

func (s *stallingReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		<-s.fail
		return 0, errors.New("input/output error")
	}
	return n, err
}

// After a read error nothing more is sent, as after a failed write: not
// even the calls already dispatched and waiting for a session slot.
func TestBatch_ReadErrorSendsNoCallWaitingForASlot(t *testing.T) {
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(1)
	// The running call holds the only session this long: the read fails
	// well within it even on a loaded machine, so any later execution
	// is a call sent after the read error.
	srv.SetLatency(time.Second)
	fail := make(chan struct{})
	var notReady error
	go func() {
		defer close(fail)
		// One call runs and one was refused, so waits in the gate (the
		// others wait there too, or were refused). Waiting for 4 refusals
		// hung when the gate, having learned the limit, sent no more.
		deadline := time.Now().Add(30 * time.Second)
		for {
			switch st := srv.Stats(); {
			case st.Executions == 1 && st.Refusals >= 1:
				return
			case st.Executions > 1 || time.Now().After(deadline):
				notReady = fmt.Errorf("stats %+v before the read failed: want one call running and one refused", st)
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: &stallingReader{strings.NewReader(strings.Repeat("{\"X\": 1}\n", 5)), fail},
		stdout: &stdout, stderr: &stderr, getenv: func(k string) string {
			if k == "BROWSER_USE_API_KEY" {
				return browserusetest.APIKey
			}
			return ""
		}}
	code := c.run(context.Background(), []string{"skills", "execute", skill, "--base-url", srv.URL, "--batch", "-", "--concurrency", "5"})
	<-fail
	if notReady != nil {
		t.Fatal(notReady)
	}
	if code != exitUsage {
		t.Fatalf("exit code %d, want %d:\n%s", code, exitUsage, stderr.String())
	}
	if n := srv.Stats().Executions; n != 1 {
		t.Errorf("%d executions, want the one running when the read failed", n)
	}
}

// For each line the batch took, the reader keeps what its record needs, not
// its parameters: a batch fed by a long pipe must not hold all it read.
func TestBatchReader_KeepsNoParametersOfLinesTaken(t *testing.T) {
	in, closeInput, err := openBatchInput(context.Background(), "-", strings.NewReader("{\"X\": 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	defer closeInput()
	in.start(okRuns{}, nil, func(int) {}, func(int, error) {})
	l, ok := in.next(context.Background(), nil)
	if !ok || l.params["X"] == nil {
		t.Fatalf("next = %+v, %v: want the line with its parameters", l, ok)
	}
	if kept := in.job(0); kept.params != nil || kept.n != 1 || kept.sum != l.sum {
		t.Errorf("kept %+v, want line 1 and its hash, without parameters", kept)
	}
}

// linesReader yields lines {"i": k, ...} for k from 1 to n, made as they
// are read, so that the input itself takes no memory.
type linesReader struct {
	k, n int
	buf  []byte
}

func (r *linesReader) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && r.k < r.n {
		r.k++
		r.buf = fmt.Appendf(r.buf, "{\"i\": %d, \"query\": \"desk lamp number %d\"}\n", r.k, r.k)
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[:copy(r.buf, r.buf[n:])]
	return n, nil
}

// A batch's memory is what it has in flight, not what its input held: the
// reader's live heap, read to the end of 4n lines with 64 in flight, is
// that of n lines give or take a little. (Before, it kept about a
// kilobyte a line: the lines read ahead with their parameters, every job
// taken and every hash seen.)
func TestBatchReader_HeapDoesNotGrowWithTheInput(t *testing.T) {
	const inFlight = 64
	heapAfter := func(n int) uint64 {
		in, closeInput, err := openBatchInput(context.Background(), "-", &linesReader{n: n})
		if err != nil {
			t.Fatal(err)
		}
		defer closeInput()
		in.start(okRuns{}, nil, func(int) {}, func(int, error) {})
		taken := 0
		for {
			l, ok := in.next(context.Background(), nil)
			if !ok {
				break
			}
			if l.bad != "" {
				t.Fatalf("line %d is bad: %s", l.n, l.bad)
			}
			if taken >= inFlight { // the call of this job's predecessor ended
				in.job(taken - inFlight)
			}
			taken++
		}
		if taken != n {
			t.Fatalf("%d jobs taken of %d lines", taken, n)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		runtime.KeepAlive(in)
		return m.HeapAlloc
	}
	const n = 25_000
	small, large := heapAfter(n), heapAfter(4*n)
	t.Logf("live heap: %d lines %.2f MB, %d lines %.2f MB", n, float64(small)/1e6, 4*n, float64(large)/1e6)
	if grown := int64(large) - int64(small); grown > 1<<20 {
		t.Errorf("the live heap grew by %d bytes (%.0f a line) for %d more lines: want no growth with the input",
			grown, float64(grown)/(3*n), 3*n)
	}
}
