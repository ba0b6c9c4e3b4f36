package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
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
		t.Cleanup(func() { _ = cmd.Process.Kill() }) // if it never reads them
		within(t, "the command to read the half object", func() bool { return drained(t, w) })
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

// Opening a FIFO waits for its writer; a Ctrl-C meanwhile must still end
// the command with 130, having sent nothing: for --batch, and for
// --params-json, which a review found waiting through two Ctrl-Cs.
func TestBatch_InterruptWhileAFIFOHasNoWriterExits130(t *testing.T) {
	t.Parallel()
	for _, flag := range []string{"--batch", "--params-json"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			interruptWhileAFIFOHasNoWriter(t, flag)
		})
	}
}

func interruptWhileAFIFOHasNoWriter(t *testing.T, flag string) {
	srv := browserusetest.New(t)
	inv, base := against(srv)
	fifo := filepath.Join(t.TempDir(), "in.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ready := func(cmd *exec.Cmd) {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Its signal handling is in place before it opens the input.
		within(t, "the command to wait for the FIFO's writer", func() bool {
			tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/wchan", cmd.Process.Pid))
			for _, task := range tasks {
				if b, _ := os.ReadFile(task); string(b) == "wait_for_partner" {
					return true
				}
			}
			return false
		})
	}
	o := signalled(t, inv, os.Interrupt, ready, "skills", "execute", skill, "--base-url", base, flag, fifo)
	o.wantFailure(t, exitInterrupted, "interrupted")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}

// --batch - with stdin redirected from --out would send the records as
// inputs and append to what it reads: refused, like --batch naming --out.
func TestBatch_StdinFromOutIsRefused(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--out", out}
	inv.run(t, append(args, "--batch", batchInput(t, 2))...).want(t, exitOK)
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(binary, append(args, "--batch", "-")...)
	var stderr strings.Builder
	cmd.Env, cmd.Stdin, cmd.Stderr = inv.env, f, &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitUsage || !strings.Contains(stderr.String(), "is the --batch input") {
		t.Errorf("exit code %d, want %d, and stderr saying why:\n%s", code, exitUsage, stderr.String())
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want the first run's 2", n)
	}
}
