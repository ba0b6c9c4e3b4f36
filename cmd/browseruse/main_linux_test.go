package main

import (
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
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
