package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// drained reports whether the reader of w's pipe has taken everything
// written to it, through FIONREAD (TIOCINQ), which Linux answers for either
// end of a pipe.
func drained(t *testing.T, w *os.File) bool {
	t.Helper()
	var n int32
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, w.Fd(), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatalf("FIONREAD on the pipe: %v", errno)
	}
	return n == 0
}

func TestExecute_InterruptWhileReadingParamsFromStdinExits130(t *testing.T) {
	t.Parallel()
	var stdin *os.File
	ready := func(cmd *exec.Cmd) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		stdin = w
		cmd.Stdin = r
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r.Close()
		// Half an object, then nothing: the command waits for the rest, as
		// it would for a user typing. It reads stdin only once its signal
		// handling is in place, so once it has taken these bytes Ctrl-C
		// must reach it.
		if _, err := io.WriteString(w, `{"X": 1,`); err != nil {
			t.Fatal(err)
		}
		for !drained(t, w) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	o := signalled(t, invocation{}, os.Interrupt, ready, "skills", "execute", "--fake", skill, "--params-json", "-")
	stdin.Close()
	o.wantFailure(t, exitInterrupted, "interrupted")
	if strings.Contains(o.stderr, "JSON") {
		t.Errorf("stderr blames the parameters, not the interrupt:\n%s", o.stderr)
	}
}

// Two runs appending to the same --out would each take the other's calls in
// flight for unfinished: the second is refused.
func TestBatch_OutLockedByAnotherRunExits2(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	o := run(t, "skills", "execute", "--fake", skill, "--batch", batchInput(t, 2), "--out", out)
	o.wantFailure(t, exitUsage, "another browseruse run is writing to it")
}

// A Ctrl-C before the producer has written anything exits 130 at once,
// having sent nothing, as for --params-json -.
func TestBatch_InterruptBeforeTheFirstLineExits130(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	var stdout, stderr syncBuffer
	cmd, w := pipedBatch(t, inv, &stdout, &stderr, "skills", "execute", skill, "--base-url", base, "--batch", "-")
	// Half a line, then nothing; once the command has taken it, its signal
	// handling is in place.
	io.WriteString(w, `{"i": 1,`)
	within(t, "the command to read the half line", func() bool { return drained(t, w) })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := wait(t, cmd, &stderr); code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("exit code %d, want %d, and stderr saying so:\n%s", code, exitInterrupted, stderr.String())
	}
	if n := len(srv.Requests()); n != 0 || stdout.String() != "" {
		t.Errorf("%d requests, records %q: want none", n, stdout.String())
	}
}
