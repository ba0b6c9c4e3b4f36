// Command browseruse runs Browser Use skills from the command line.
//
//	browseruse skills execute SKILL_ID [-p key=value]... [--params-json FILE|-] [--session UUID] [--json]
//	browseruse skills execute SKILL_ID --batch FILE|- [--out FILE] [--concurrency N]
//
// The result goes to stdout as JSON and nothing else does, so the command can
// feed jq or a script; the reported latency, the skill's own stderr and any
// error go to stderr. The exit status says what happened:
//
//	0    success: the result is on stdout
//	1    the skill ran and failed ("success": false)
//	2    usage error: bad flags or arguments, or no API key
//	3    API error: an error status, or a response the client could not use
//	4    network error or timeout: no answer from the API
//	5    the result could not be written to stdout
//	130  interrupted (SIGINT, Ctrl-C)
//	143  terminated (SIGTERM)
//
// With --batch the skill runs once per line of a JSONL file, and one record
// per finished line is appended to --out (or stdout); rerunning with the
// same --out resumes. The batch starts with the first line: a file is read
// ahead in full, a pipe as it comes. There 0 means every line ok, 1 some
// line failed, 2 also the input could not be read, 3 an API error (401,
// 402, the skill's 400 or 404) stopped the batch, 5 a record could not be
// written.
//
// The key comes from $BROWSER_USE_API_KEY. With --fake the command runs
// against the spec-backed fake API of package browserusetest, in-process, so
// it works offline and without a key:
//
//	go run ./cmd/browseruse skills execute --fake 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10 -p X=10
//
// --fake-latency, --fake-limit and --fake-credits make that fake's skills
// slow, its sessions limited (429) and its credits finite (402), to try a
// batch's progress, waits, stops and resume offline.
//
// (go run reports every failure as exit status 1; build or install the
// command to see the codes above.)
//
// With --otel, or $OTEL_EXPORTER_OTLP_ENDPOINT set, the command exports a
// span per call and the client's metrics over OTLP/HTTP (see skills execute
// --help); without either, nothing.
//
// browseruse completion SHELL prints a completion script for bash, zsh, fish
// or powershell; browseruse version (or --version) prints the command's and
// Go's versions.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, part of the command's interface: scripts branch on them.
const (
	exitOK          = 0
	exitSkillFailed = 1
	exitUsage       = 2
	exitAPIError    = 3
	exitNetwork     = 4
	exitWrite       = 5   // stdout refused the result: a full disk, a closed pipe
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
	exitTerminated  = 143 // 128 + SIGTERM
)

const exitCodesText = `
Exit codes:
  0    success: the result is on stdout
  1    the skill ran and failed ("success": false); its error and stderr are on stderr
  2    usage error: bad flags or arguments, or no API key
  3    API error: an error status (shown with the API's detail), or a response
       the client could not use
  4    network error or timeout: no answer from the API
  5    the result could not be written to stdout
  130  interrupted (SIGINT, Ctrl-C)
  143  terminated (SIGTERM)
With --batch: 0 every line ok, 1 some line failed (its skill, its
parameters, or no answer from the API), 2 also the input could not be read,
3 an API error (401, 402, the skill's 400 or 404) stopped the batch, 5 a
record could not be written; after 2, 3, 130 or 143, rerun the same command
with --out to run the lines left (without --out, save the records and name
that file with --out).
`

// cli is the command's view of its process, so tests and main share run.
type cli struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// interactive means stderr is a terminal, where a spinner helps; in a
	// pipe or a log file it would only be noise.
	interactive bool
	// stdoutOnScreen means stdout is a terminal, or a pipe whose reader may
	// print to one (| jq, | head): a batch's records shown there would be
	// torn by the bar's redraws.
	stdoutOnScreen bool
}

func main() {
	// Without this, Go's runtime ends the process with SIGPIPE (status 141)
	// when stdout is a pipe whose reader has gone (| head, a dead consumer):
	// ignored, the write fails with EPIPE and the command exits 5, as it
	// documents for a result it could not write.
	signal.Ignore(syscall.SIGPIPE)
	ctx, stop := signalContext(context.Background())
	c := &cli{
		stdin:          os.Stdin,
		stdout:         os.Stdout,
		stderr:         os.Stderr,
		getenv:         os.Getenv,
		interactive:    isTerminal(os.Stderr) && os.Getenv("TERM") != "dumb", // dumb terminals lack the erase-line code
		stdoutOnScreen: isTerminalOrPipe(os.Stdout),
	}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// errSignal is the cause of the command's context when a signal stopped it;
// the signal picks the exit code.
type errSignal struct{ sig os.Signal }

func (e errSignal) Error() string { return "received " + e.sig.String() }

// signalContext is cancelled by SIGINT or SIGTERM, with the signal as its
// cause. After the first signal the default handling is restored, so a
// second Ctrl-C ends a command that does not stop at once.
func signalContext(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-ch:
			signal.Stop(ch)
			cancel(errSignal{sig})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(context.Canceled)
	}
}

// stopped reports the exit code and word for a context a signal cancelled,
// ok false when none did.
func stopped(ctx context.Context) (code int, what string, ok bool) {
	var s errSignal
	if !errors.As(context.Cause(ctx), &s) {
		return 0, "", false
	}
	if s.sig == syscall.SIGTERM {
		return exitTerminated, "terminated", true
	}
	return exitInterrupted, "interrupted", true
}

// eraseLine returns a terminal's cursor to the start of its line and erases
// the line.
const eraseLine = "\r\033[K"

// clearLine erases stderr's current line when it is a terminal, where the
// terminal may have echoed ^C (or typed keys) after the bar's last redraw:
// a message then starts on a clean line.
func (c *cli) clearLine() {
	if c.interactive {
		fmt.Fprint(c.stderr, eraseLine)
	}
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func isTerminalOrPipe(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&(os.ModeCharDevice|os.ModeNamedPipe) != 0
}
