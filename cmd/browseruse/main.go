// Command browseruse runs Browser Use skills from the command line.
//
//	browseruse skills execute SKILL_ID [-p key=value]... [--params-json FILE|-] [--session UUID] [--json]
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
//	130  interrupted
//
// The key comes from $BROWSER_USE_API_KEY. With --fake the command runs
// against the spec-backed fake API of package browserusetest, in-process, so
// it works offline and without a key:
//
//	go run ./cmd/browseruse skills execute --fake 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10 -p X=10
//
// (go run reports every failure as exit status 1; build or install the
// command to see the codes above.)
package main

import (
	"context"
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
	exitInterrupted = 130 // 128 + SIGINT, as shells report it
)

const usageText = `browseruse runs Browser Use skills from the command line.

Usage:
  browseruse skills execute SKILL_ID [flags]   execute a skill, print its result

Run 'browseruse skills execute --help' for the flags.

Environment:
  BROWSER_USE_API_KEY    the API key (not needed with --fake)
  BROWSER_USE_BASE_URL   the API base URL (default ` + defaultBaseURL + `)
` + exitCodesText

const exitCodesText = `
Exit codes:
  0    success: the result is on stdout
  1    the skill ran and failed ("success": false); its error and stderr are on stderr
  2    usage error: bad flags or arguments, or no API key
  3    API error: an error status (shown with the API's detail), or a response
       the client could not use
  4    network error or timeout: no answer from the API
  130  interrupted
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
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{
		stdin:       os.Stdin,
		stdout:      os.Stdout,
		stderr:      os.Stderr,
		getenv:      os.Getenv,
		interactive: isTerminal(os.Stderr) && os.Getenv("TERM") != "dumb", // dumb terminals lack the erase-line code
	}
	code := c.run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (c *cli) run(ctx context.Context, args []string) int {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, usageText)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, usageText)
		return exitOK
	case "skills":
	default:
		return c.usageError("unknown command %q; the command is 'browseruse skills execute'", args[0])
	}
	if len(args) < 2 {
		return c.usageError("'browseruse skills' needs a subcommand: execute")
	}
	switch args[1] {
	case "execute", "exec":
		return c.skillsExecute(ctx, args[2:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.stdout, usageText)
		return exitOK
	}
	return c.usageError("unknown subcommand 'skills %s'; the subcommand is 'skills execute'", args[1])
}

func (c *cli) usageError(format string, args ...any) int {
	fmt.Fprintf(c.stderr, "browseruse: "+format+"\n", args...)
	fmt.Fprintln(c.stderr, "Run 'browseruse --help' for usage.")
	return exitUsage
}
