package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// These tests run the command with stderr on a pseudo-terminal, as in a
// user's shell: the bar is live, Ctrl-C is a ^C typed at the terminal (which
// echoes it), and what the command wrote is replayed on a screen to check
// what the user sees.

// openPTY opens a pseudo-terminal of 160 columns; the test owns both ends.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	ioctl := func(fd uintptr, req uint, arg unsafe.Pointer) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(arg)); errno != 0 {
			t.Fatalf("ioctl %#x: %v", req, errno)
		}
	}
	var n, unlock uint32
	ioctl(master.Fd(), syscall.TIOCGPTN, unsafe.Pointer(&n))
	ioctl(master.Fd(), syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	size := [4]uint16{40, 160, 0, 0} // rows, columns
	ioctl(tty.Fd(), syscall.TIOCSWINSZ, unsafe.Pointer(&size))
	return master, tty
}

// terminal is a command running on a pseudo-terminal.
type terminal struct {
	cmd    *exec.Cmd
	keys   io.Writer // what the user types
	out    syncBuffer
	copied chan struct{}
}

// onTerminal starts the command in a session of its own whose controlling
// terminal holds its stdin and stderr; stdout is discarded.
func onTerminal(t *testing.T, args ...string) *terminal {
	t.Helper()
	return startOnTerminal(t, false, nil, args...)
}

// startOnTerminal is onTerminal, with stdout on the terminal too if
// withStdout, else on stdout if not nil.
func startOnTerminal(t *testing.T, withStdout bool, stdout io.Writer, args ...string) *terminal {
	t.Helper()
	master, tty := openPTY(t)
	cmd := exec.Command(binary, args...)
	cmd.Env = []string{"TERM=xterm"}
	cmd.Stdin, cmd.Stderr, cmd.Stdout = tty, tty, stdout
	if withStdout {
		cmd.Stdout = tty
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close() // the command's copy is all that is left: the output ends when it exits
	term := &terminal{cmd: cmd, keys: master, copied: make(chan struct{})}
	go func() {
		defer close(term.copied)
		io.Copy(&term.out, master) // ends with EIO once the command has exited
	}()
	return term
}

// screen waits for the command to exit and returns its exit code and the
// screen as it left it.
func (term *terminal) screen(t *testing.T) (int, []string) {
	t.Helper()
	code := wait(t, term.cmd, &term.out)
	<-term.copied
	scr := newScreen(t)
	scr.Write([]byte(term.out.String()))
	return code, scr.text()
}

// Ctrl-C typed during a batch: the notice starts on a clean line above the
// bar, whatever the terminal echoed, and the bar's last state counts what
// the summary counts, with no ETA.
func TestTerminal_InterruptedBarIsCleanAndAgreesWithTheSummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	lines := "[1]\n" + strings.Repeat(`{"i": 1}`+"\n", 60) + "nope\n"
	if err := os.WriteFile(in, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	term := onTerminal(t, "skills", "execute", "--fake", skill, "--batch", in, "--out", out,
		"--fake-latency", "300ms", "--fake-limit", "4", "--concurrency", "6")
	within(t, "8 records", func() bool {
		b, _ := os.ReadFile(out)
		return strings.Count(string(b), "\n") >= 8
	})
	io.WriteString(term.keys, "\x03") // Ctrl-C: the terminal echoes ^C and signals the command
	code, text := term.screen(t)
	shown := strings.Join(text, "\n")
	if code != exitInterrupted {
		t.Fatalf("exit code %d, want %d\nscreen:\n%s", code, exitInterrupted, shown)
	}
	var notice, bar, summary string
	for _, l := range text {
		switch {
		case strings.Contains(l, "interrupted: sending no more"):
			notice = l
		case strings.HasPrefix(l, "batch "):
			bar = l
		case strings.HasPrefix(l, "browseruse: batch: "):
			summary = l
		}
	}
	if !strings.HasPrefix(notice, "browseruse: interrupted") {
		t.Errorf("the notice does not start its line: %q\nscreen:\n%s", notice, shown)
	}
	counts := regexp.MustCompile(`(\d+) ok, (\d+) failed`)
	b, s := counts.FindStringSubmatch(bar), counts.FindStringSubmatch(summary)
	if b == nil || s == nil || b[0] != s[0] {
		t.Fatalf("the bar counts %q, the summary %q: want the same\nscreen:\n%s", b, s, shown)
	}
	var done, total, ok, failed int
	fmt.Sscanf(bar, "batch %d/%d", &done, &total)
	fmt.Sscanf(s[0], "%d ok, %d failed", &ok, &failed)
	if done != ok+failed || total != 62 {
		t.Errorf("the bar shows %d/%d for %d ok and %d failed of 62 lines\nscreen:\n%s", done, total, ok, failed, shown)
	}
	if strings.Contains(bar, "ETA") || !strings.Contains(bar, "stopped") {
		t.Errorf("the stopped bar still shows an ETA, or not that it stopped: %q", bar)
	}
}

// A batch without --out prints its records on stdout; on the terminal that
// shows the bar, the bar's redraws tore them (a new user's first try). The
// command then prints plain status lines instead, between whole records.
func TestTerminal_RecordsOnTheTerminalAreNotTornByTheBar(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte(strings.Repeat(`{"i": 1}`+"\n", 24)), 0o644); err != nil {
		t.Fatal(err)
	}
	term := startOnTerminal(t, true, nil, "skills", "execute", "--fake", skill, "--batch", in,
		"--fake-latency", "200ms", "--fake-limit", "4")
	code, text := term.screen(t)
	shown := strings.Join(text, "\n")
	if code != 0 {
		t.Fatalf("exit code %d\nscreen:\n%s", code, shown)
	}
	records := 0
	for _, l := range text {
		l = strings.TrimSpace(strings.ReplaceAll(l, "\r", ""))
		if !strings.HasPrefix(l, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Errorf("a torn record: %q", l)
			continue
		}
		records++
	}
	if records != 24 {
		t.Errorf("%d whole records on the screen, want 24\nscreen:\n%s", records, shown)
	}
}

// Piped into a command that prints to the same terminal (| jq, | head),
// the records were torn just the same (a new-user review): with stdout a
// pipe and no --out, the command draws no bar either. exec gives the
// command a pipe for a Writer that is not a file.
func TestTerminal_RecordsPipedOnDrawNoBar(t *testing.T) {
	t.Parallel()
	in := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(in, []byte(strings.Repeat(`{"i": 1}`+"\n", 24)), 0o644); err != nil {
		t.Fatal(err)
	}
	var records syncBuffer
	term := startOnTerminal(t, false, &records, "skills", "execute", "--fake", skill, "--batch", in,
		"--fake-latency", "200ms", "--fake-limit", "4")
	code, _ := term.screen(t)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, term.out.String())
	}
	if strings.Contains(term.out.String(), "\x1b[J") || strings.Count(records.String(), "\n") != 24 {
		t.Errorf("the bar was drawn, or not 24 records came through the pipe:\n%q", term.out.String())
	}
}
