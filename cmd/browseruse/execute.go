package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

const defaultBaseURL = browseruse.DefaultBaseURL

const executeUsage = `Usage: browseruse skills execute SKILL_ID [flags]

Executes a skill and prints its result as JSON on stdout: indented, or on one
line with --json. The latency the API reports and the skill's own stderr go to
stderr. Flags may come before or after SKILL_ID.

Flags:
  -p, --param key=value   a parameter; repeat for more. The value is sent as
                          JSON when it parses as JSON (X=10 sends the number
                          10, ok=true a boolean, 'tags=["a","b"]' a list) and
                          as a string otherwise (q=hello). For a string that
                          looks like JSON, quote it: 'id="10"'.
  --params-json FILE      the parameters as one JSON object, read from FILE
                          (- for stdin); -p entries are merged on top
  --session UUID          reuse this session, for IP persistence
  --json                  print the result as compact JSON on one line
  --base-url URL          the API base URL (default $BROWSER_USE_BASE_URL,
                          else ` + defaultBaseURL + `)
  --timeout DURATION      give up after this long, retries included, e.g. 30s
                          or 5m (default 0: no limit but the client's own
                          per-attempt limit)
  --fake                  run against a built-in fake of the API that checks
                          requests against the spec and echoes the parameters;
                          needs no key and no network
  -v, --verbose           log every HTTP attempt to stderr (never the key)
  -h, --help              show this help

The key is read from $BROWSER_USE_API_KEY.

Examples:
  browseruse skills execute --fake 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10 -p X=10
  echo '{"query": "shoes"}' | browseruse skills execute "$SKILL" --params-json - --json | jq .
` + exitCodesText

// executeArgs is a checked skills execute command line.
type executeArgs struct {
	skillID uuid.UUID
	req     browseruse.ExecuteSkillRequest
	compact bool
	baseURL string
	timeout time.Duration
	fake    bool
	verbose bool
}

// errHelp asks for the help text on stdout and exit 0.
var errHelp = errors.New("help requested")

func parseExecute(args []string, stdin io.Reader) (*executeArgs, error) {
	var (
		a          executeArgs
		params     = map[string]any{}
		paramsFile string
		session    string
	)
	fs := flag.NewFlagSet("skills execute", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	addParam := func(s string) error {
		k, v, err := parseParam(s)
		if err != nil {
			return err
		}
		params[k] = v
		return nil
	}
	fs.Func("p", "", addParam)
	fs.Func("param", "", addParam)
	fs.StringVar(&paramsFile, "params-json", "", "")
	fs.StringVar(&session, "session", "", "")
	fs.BoolVar(&a.compact, "json", false, "")
	fs.StringVar(&a.baseURL, "base-url", "", "")
	fs.DurationVar(&a.timeout, "timeout", 0, "")
	fs.BoolVar(&a.fake, "fake", false, "")
	fs.BoolVar(&a.verbose, "v", false, "")
	fs.BoolVar(&a.verbose, "verbose", false, "")

	positional, err := parseInterspersed(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, errHelp
	}
	if err != nil {
		// The flag package says "invalid value "x" for flag -p: <why>";
		// for -p the why is the whole story.
		var why string
		if _, rest, ok := strings.Cut(err.Error(), "for flag -p: "); ok {
			why = rest
		} else if _, rest, ok := strings.Cut(err.Error(), "for flag -param: "); ok {
			why = rest
		}
		if why != "" {
			return nil, errors.New(why)
		}
		return nil, err
	}

	switch len(positional) {
	case 0:
		return nil, errors.New("missing SKILL_ID: the skill to execute, a UUID")
	case 1:
	default:
		return nil, fmt.Errorf("one SKILL_ID expected, got %d arguments: %s (parameters go in -p key=value)",
			len(positional), strings.Join(positional, " "))
	}
	if a.skillID, err = uuid.Parse(positional[0]); err != nil {
		return nil, fmt.Errorf("skill id %q is not a UUID (like 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10)", positional[0])
	}
	if session != "" {
		id, err := uuid.Parse(session)
		if err != nil {
			return nil, fmt.Errorf("--session %q is not a UUID", session)
		}
		a.req.SessionID = &id
	}
	if a.timeout < 0 {
		return nil, fmt.Errorf("--timeout %v is negative", a.timeout)
	}
	if a.fake && a.baseURL != "" {
		return nil, errors.New("--fake and --base-url cannot be combined: --fake runs its own server")
	}
	if paramsFile != "" {
		all, err := readParamsJSON(paramsFile, stdin)
		if err != nil {
			return nil, err
		}
		maps.Copy(all, params) // -p wins over the file
		params = all
	}
	if len(params) > 0 {
		a.req.Parameters = params
	}
	return &a, nil
}

// parseInterspersed parses flags wherever they appear among the positional
// arguments: the flag package stops at the first positional, and people
// write the skill id first as often as last. A "--" ends the flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if used := len(args) - len(rest); used > 0 && args[used-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

func (c *cli) skillsExecute(ctx context.Context, args []string) int {
	a, err := parseExecute(args, c.stdin)
	if errors.Is(err, errHelp) {
		fmt.Fprint(c.stdout, executeUsage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "browseruse: "+err.Error())
		fmt.Fprintln(c.stderr, "Run 'browseruse skills execute --help' for usage.")
		return exitUsage
	}

	var opts []browseruse.Option
	if a.verbose {
		h := slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		opts = append(opts, browseruse.WithLogger(slog.New(h)))
	}
	var client *browseruse.Client
	if a.fake {
		srv := browserusetest.NewServer()
		defer srv.Close()
		client, err = srv.Client(opts...)
	} else {
		key := c.getenv("BROWSER_USE_API_KEY")
		if key == "" {
			fmt.Fprintln(c.stderr, "browseruse: BROWSER_USE_API_KEY is not set: export your Browser Use API key,")
			fmt.Fprintln(c.stderr, "or add --fake to run against the built-in fake API.")
			return exitUsage
		}
		opts = append(opts, browseruse.WithAPIKey(key))
		base := a.baseURL
		if base == "" {
			base = c.getenv("BROWSER_USE_BASE_URL")
		}
		if base != "" {
			opts = append(opts, browseruse.WithBaseURL(base))
		}
		client, err = browseruse.New(opts...)
	}
	if err != nil {
		fmt.Fprintln(c.stderr, err) // a bad --base-url or key: the user's to fix
		return exitUsage
	}

	callCtx := ctx
	if a.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	var sp *spinner
	if c.interactive && !a.verbose {
		sp = startSpinner(c.stderr, "executing skill")
	}
	res, err := client.ExecuteSkill(callCtx, a.skillID, a.req)
	sp.Stop()
	if err != nil {
		return c.reportError(ctx, a, err)
	}

	var out bytes.Buffer
	raw := res.Result
	if len(raw) == 0 {
		raw = json.RawMessage("null")
	}
	if a.compact {
		err = json.Compact(&out, raw)
	} else {
		err = json.Indent(&out, raw, "", "  ")
	}
	if err != nil { // the client checked the body; this would be a bug
		fmt.Fprintln(c.stderr, "browseruse: printing the result:", err)
		return exitAPIError
	}
	out.WriteByte('\n')
	if _, err := c.stdout.Write(out.Bytes()); err != nil {
		fmt.Fprintln(c.stderr, "browseruse: writing the result:", err)
		return exitUsage
	}
	c.printRun(res.LatencyMs, res.Stderr)
	return exitOK
}

// printRun reports what the API said about the execution, on stderr.
func (c *cli) printRun(latencyMs int, skillStderr string) {
	fmt.Fprintf(c.stderr, "latencyMs: %d\n", latencyMs)
	if skillStderr == "" {
		return
	}
	fmt.Fprintln(c.stderr, "stderr:")
	for line := range strings.Lines(skillStderr) {
		fmt.Fprint(c.stderr, "  ", strings.TrimSuffix(line, "\n"), "\n")
	}
}

// reportError explains err on stderr and picks the exit code. ctx is the
// command's own context, to tell an interrupt from a --timeout.
func (c *cli) reportError(ctx context.Context, a *executeArgs, err error) int {
	var (
		skillErr *browseruse.SkillError
		apiErr   *browseruse.APIError
	)
	switch {
	case errors.As(err, &skillErr):
		fmt.Fprintln(c.stderr, err)
		if len(skillErr.Result) > 0 && string(skillErr.Result) != "null" {
			var b bytes.Buffer
			if json.Compact(&b, skillErr.Result) == nil {
				fmt.Fprintln(c.stderr, "result:", b.String())
			}
		}
		c.printRun(skillErr.LatencyMs, skillErr.Stderr)
		return exitSkillFailed
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		// Checked before API errors: an interrupt during the wait before a
		// retry returns the last API error too, but the user asked to stop.
		fmt.Fprintln(c.stderr, "browseruse: interrupted")
		return exitInterrupted
	case errors.As(err, &apiErr):
		fmt.Fprintln(c.stderr, err)
		if apiErr.Detail == "" && apiErr.Body != "" {
			// A proxy's HTML page or a cut-off body: its start says who answered.
			fmt.Fprintln(c.stderr, "body:", apiErr.Body)
		}
		switch apiErr.StatusCode {
		case http.StatusUnauthorized:
			fmt.Fprintln(c.stderr, "Check BROWSER_USE_API_KEY (and --base-url, if you set it).")
		case http.StatusNotFound:
			fmt.Fprintln(c.stderr, "Check the skill id.")
		}
		return exitAPIError
	case errors.Is(err, browseruse.ErrResponseTooLarge), errors.Is(err, browseruse.ErrCrossOriginRedirect):
		// The API answered, but with nothing the client will use.
		fmt.Fprintln(c.stderr, err)
		return exitAPIError
	case errors.Is(err, context.DeadlineExceeded) && a.timeout > 0:
		fmt.Fprintln(c.stderr, err)
		fmt.Fprintf(c.stderr, "No answer within --timeout %v.\n", a.timeout)
		return exitNetwork
	}
	fmt.Fprintln(c.stderr, err)
	return exitNetwork
}
