package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

const defaultBaseURL = browseruse.DefaultBaseURL

func (c *cli) executeCommand() *cobra.Command {
	var f executeFlags
	cmd := &cobra.Command{
		Use:     "execute SKILL_ID [flags]",
		Aliases: []string{"exec"},
		Short:   "Execute a skill, print its result",
		Long: `Executes a skill and prints its result as JSON on stdout: indented, or on one
line with --json. The latency the API reports and the skill's own stderr go to
stderr. Flags may come before or after SKILL_ID.

A -p value is sent as JSON when it parses as JSON (X=10 sends the number 10,
ok=true a boolean, 'tags=["a","b"]' a list) and as a string otherwise
(q=hello). For a string that looks like JSON, quote it: 'id="10"'.

With --batch FILE the skill runs once per non-blank line of FILE, each line a
JSON object of parameters, up to --concurrency calls at once. One JSON record
per finished line ({"line":N,"inputSha256":...,"skillId":...,"ok":...,"result":...,
"error":...,"status":...,"latencyMs":...,"attempts":...,"durationMs":...})
is appended to --out, or printed on stdout. Rerunning with the same --out
skips the lines whose input already has an ok record there (matched by
input, not line number; a line repeated N times needs N): after a kill, a
Ctrl-C or an API error that stopped the batch (401, 402, the skill's 400 or
404), run the same command again. An --out of another skill or --session is
refused (exit 2). Progress and a summary go to stderr.

The key is read from $BROWSER_USE_API_KEY.` + telemetryHelp,
		Example: `  browseruse skills execute --fake 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10 -p X=10
  echo '{"query": "shoes"}' | browseruse skills execute "$SKILL" --params-json - --json | jq .
  browseruse skills execute "$SKILL" --batch inputs.jsonl --out results.jsonl --concurrency 50`,
		// SKILL_ID is checked by resolve, which explains what it wants.
		Args: cobra.ArbitraryArgs,
		// A skill id is not a file name; there is nothing to offer.
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(cmd *cobra.Command, args []string) error {
			f.changed = cmd.Flags().Changed
			return c.execute(cmd.Context(), &f, args)
		},
	}
	f.register(cmd.Flags())
	_ = cmd.MarkFlagFilename("params-json", "json")
	_ = cmd.MarkFlagFilename("batch", "jsonl", "json")
	_ = cmd.MarkFlagFilename("out", "jsonl", "json")
	for _, name := range []string{"session", "base-url", "timeout", "param", "concurrency", "fake-latency", "fake-limit", "fake-credits"} {
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.NoFileCompletions)
	}
	return cmd
}

// executeFlags is the skills execute command line as given; resolve checks it
// and turns it into the call to make.
type executeFlags struct {
	params     []string // -p key=value, in order: a repeated key's last value wins
	paramsJSON string
	session    string
	// changed reports whether a flag was given, to tell an explicit value
	// from the default.
	changed func(name string) bool
	runOptions
}

// runOptions are the flags that need no checking: resolve hands them on as
// given.
type runOptions struct {
	compact bool
	baseURL string
	timeout time.Duration
	fake    bool
	verbose bool
	otel    bool
	// --fake's server: how long a skill takes, its limit of sessions at
	// once (0: none) and its credits (< 0: unlimited).
	fakeLatency time.Duration
	fakeLimit   int
	fakeCredits int
	// batch mode: the input, "" for one call
	batch       string
	out         string
	concurrency int
	noShare     bool
	relearn     bool
}

func (f *executeFlags) register(fs *pflag.FlagSet) {
	fs.SortFlags = false // the help lists them in this order: the common ones first
	// StringArray, not StringSlice: a value may hold commas ('tags=["a","b"]').
	fs.StringArrayVarP(&f.params, "param", "p", nil, "a `key=value` parameter; repeat for more")
	fs.StringVar(&f.paramsJSON, "params-json", "", "read the parameters from `FILE` (- for stdin): one JSON object\nof at most "+maxParamsText+"; -p entries are merged on top")
	fs.StringVar(&f.session, "session", "", "reuse the session `UUID`, for IP persistence")
	fs.BoolVar(&f.compact, "json", false, "print the result as compact JSON on one line")
	fs.StringVar(&f.baseURL, "base-url", "", "the API base `URL` (default $BROWSER_USE_BASE_URL,\nelse "+defaultBaseURL+")")
	fs.DurationVar(&f.timeout, "timeout", 0, "give up on a call after `DURATION`, retries included, e.g. 30s or 5m;\nwith --batch, on each line's call, from its dispatch (default 0:\nno limit but the client's own on each attempt, "+browseruse.DefaultTimeout.String()+")")
	fs.BoolVar(&f.fake, "fake", false, "run against a built-in fake of the API (no key, no network),\nwhich checks requests against the spec and echoes the parameters")
	fs.DurationVar(&f.fakeLatency, "fake-latency", 0, "with --fake: each skill takes `DURATION`, e.g. 2s, holding a session")
	fs.IntVar(&f.fakeLimit, "fake-limit", 0, "with --fake: allow `N` sessions at once, as a plan does (429 past them)\n(default 0: no limit)")
	fs.IntVar(&f.fakeCredits, "fake-credits", 0, "with --fake: run `N` skills, then answer 402 (out of credits)\n(default: unlimited)")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "log every HTTP attempt to stderr (never the key)")
	fs.BoolVar(&f.otel, "otel", false, "export traces and metrics over OTLP/HTTP to $OTEL_EXPORTER_OTLP_ENDPOINT\n(default http://localhost:4318); see OpenTelemetry above")
	fs.StringVar(&f.batch, "batch", "", "run the skill once per line of `FILE` (- for stdin), each line a JSON\nobject of parameters; records go to stdout, or to --out")
	fs.StringVar(&f.out, "out", "", "with --batch: append the records to `FILE`; rerunning with the\nsame FILE skips the lines already ok in it")
	fs.IntVar(&f.concurrency, "concurrency", 0, "with --batch: run at most `N` calls at once (by default as many as\nthe account's plan allows: the client learns it from the API's 429s)")
	fs.BoolVar(&f.noShare, "no-share", false, "with --batch: keep every session of the plan the batch can get, leaving\nnone free for the account's other clients (default: share)")
	fs.BoolVar(&f.relearn, "relearn", false, "with --batch: learn the account's plan again from the API's 429s rather\nthan start from the one remembered from the last batch (default: start\nfrom it; see $BROWSER_USE_CACHE_DIR)")
}

// executeArgs is a checked skills execute command line.
type executeArgs struct {
	skillID uuid.UUID
	req     browseruse.ExecuteSkillRequest
	runOptions
	tel *telemetry // nil without telemetry
}

// resolve checks the command line and reads the parameters, from stdin for
// --params-json -, which ctx can interrupt.
func (f *executeFlags) resolve(ctx context.Context, args []string, stdin io.Reader) (*executeArgs, error) {
	a := executeArgs{runOptions: f.runOptions}
	switch len(args) {
	case 0:
		return nil, errors.New("missing SKILL_ID: the skill to execute, a UUID")
	case 1:
	default:
		return nil, fmt.Errorf("one SKILL_ID expected, got %d arguments: %s (parameters go in -p key=value)",
			len(args), strings.Join(args, " "))
	}
	var err error
	if a.skillID, err = uuid.Parse(args[0]); err != nil {
		return nil, fmt.Errorf("skill id %q is not a UUID (like 3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10)", args[0])
	}
	if a.skillID == uuid.Nil {
		return nil, fmt.Errorf("skill id %s is the nil UUID, which names no skill", args[0])
	}
	params := make(map[string]any, len(f.params))
	for _, p := range f.params {
		k, v, err := parseParam(p)
		if err != nil {
			return nil, err
		}
		params[k] = v
	}
	if f.session != "" {
		id, err := uuid.Parse(f.session)
		if err != nil {
			return nil, fmt.Errorf("--session %q is not a UUID", f.session)
		}
		if id == uuid.Nil {
			return nil, fmt.Errorf("--session %s is the nil UUID, which names no session: leave --session out for none", f.session)
		}
		a.req.SessionID = &id
	}
	if a.timeout < 0 {
		return nil, fmt.Errorf("--timeout %v is negative", a.timeout)
	}
	if err := f.checkBatch(); err != nil {
		return nil, err
	}
	if err := f.checkFake(&a); err != nil {
		return nil, err
	}
	if f.paramsJSON != "" {
		all, err := readParamsJSON(ctx, f.paramsJSON, stdin)
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

// checkBatch checks the flags of batch mode, and that one call's flags are
// not mixed in: their parameters would apply to every line.
func (f *executeFlags) checkBatch() error {
	if f.batch == "" {
		for _, name := range []string{"out", "concurrency", "no-share", "relearn"} {
			if f.changed(name) {
				return fmt.Errorf("--%s needs --batch FILE", name)
			}
		}
		return nil
	}
	switch {
	case len(f.params) > 0 || f.paramsJSON != "":
		return errors.New("--batch takes the parameters from its lines: drop -p and --params-json")
	case f.concurrency < 0:
		return fmt.Errorf("--concurrency %d: want at least 1 call at once (or 0, the default: as many as the plan allows)", f.concurrency)
	case f.out == "-":
		return errors.New("--out -: leave --out out to write the records to stdout")
	case f.out != "" && f.out == f.batch:
		return fmt.Errorf("--out %s is the --batch input: the records would overwrite it", f.out)
	}
	return nil
}

// checkFake checks --fake and the flags that shape its server, and sets
// a's credits: unlimited unless --fake-credits is given.
func (f *executeFlags) checkFake(a *executeArgs) error {
	a.fakeCredits = -1
	if f.changed("fake-credits") {
		a.fakeCredits = f.fakeCredits
	}
	for _, name := range []string{"fake-latency", "fake-limit", "fake-credits"} {
		if f.changed(name) && !f.fake {
			return fmt.Errorf("--%s needs --fake", name)
		}
	}
	switch {
	case f.fake && f.baseURL != "":
		return errors.New("--fake and --base-url cannot be combined: --fake runs its own server")
	case f.fakeLatency < 0:
		return fmt.Errorf("--fake-latency %v is negative", f.fakeLatency)
	case f.fakeLimit < 0:
		return fmt.Errorf("--fake-limit %d is negative", f.fakeLimit)
	case a.fakeCredits < 0 && f.changed("fake-credits"):
		return fmt.Errorf("--fake-credits %d is negative", f.fakeCredits)
	}
	return nil
}

// execute runs skills execute. It returns an exitError once it has reported
// the outcome on stderr, or a plain error for a usage error.
func (c *cli) execute(ctx context.Context, f *executeFlags, args []string) (err error) {
	a, err := f.resolve(ctx, args, c.stdin)
	if code, what, ok := stopped(ctx); ok {
		fmt.Fprintln(c.stderr, "browseruse: "+what)
		return exitError{code}
	}
	if err != nil {
		return err
	}
	tel, ctx, err := c.startTelemetry(ctx, a.otel, "browseruse skills execute")
	if err != nil {
		return err
	}
	defer func() { tel.end(exitCode(err)) }()
	a.tel = tel
	if a.batch != "" {
		return c.executeBatch(ctx, a)
	}
	client, closeClient, err := c.newClient(a)
	if err != nil {
		return err
	}
	defer closeClient()

	callCtx := ctx
	if a.timeout > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(ctx, a.timeout)
		defer cancel()
	}
	var sp *spinner
	if c.interactive && !a.verbose {
		sp = startSpinner(c.stderr, "executing skill")
		defer tel.sayWith(sp.say)()
	}
	req := a.req
	req.Parameters = c.fakeParams(a, req.Parameters)
	res, err := client.ExecuteSkill(callCtx, a.skillID, req)
	sp.Stop()
	if err != nil {
		return exitError{c.reportError(ctx, a, err)}
	}
	return c.printResult(a, res)
}

// printResult writes a skill's result to stdout as JSON, indented unless
// --json, and its latency and stderr to stderr.
func (c *cli) printResult(a *executeArgs, res *browseruse.SkillResult) error {
	var out bytes.Buffer
	var err error
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
		return exitError{exitAPIError}
	}
	out.WriteByte('\n')
	// stdout may be a terminal too; the escapes leave the JSON's meaning as is.
	if _, err := c.stdout.Write(escapeJSON(out.Bytes())); err != nil {
		fmt.Fprintln(c.stderr, "browseruse: writing the result:", err)
		return exitError{exitWrite}
	}
	c.printRun(res.LatencyMs, res.Stderr)
	return nil
}

// newClient makes the client the command line asks for: against the
// built-in fake for --fake (close shuts it down), else the API with the key
// from the environment. It reports a failure on stderr itself.
func (c *cli) newClient(a *executeArgs) (client *browseruse.Client, closeFn func(), err error) {
	var opts []browseruse.Option
	if a.verbose {
		h := slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelDebug})
		opts = append(opts, browseruse.WithLogger(slog.New(h)))
	}
	if a.tel != nil {
		opts = append(opts, a.tel.option)
	}
	if a.noShare {
		opts = append(opts, browseruse.WithoutSharing())
	}
	if a.fake {
		client, closeFn, err = fakeClient(a, opts)
	} else {
		client, closeFn, err = c.apiClient(a, opts)
	}
	if _, usage := err.(exitError); usage {
		return nil, nil, err // said already
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "browseruse: "+errText(err)) // a bad --base-url or key: the user's to fix
		return nil, nil, exitError{exitUsage}
	}
	if a.tel != nil {
		a.tel.clients = append(a.tel.clients, client)
	}
	return client, closeFn, nil
}

// fakeClient is a client of the built-in fake (--fake); closeFn shuts the
// fake down.
func fakeClient(a *executeArgs, opts []browseruse.Option) (*browseruse.Client, func(), error) {
	srv := browserusetest.NewServer()
	srv.SetRequestLog(0) // nobody reads it, and a batch may send millions
	srv.SetLatency(a.fakeLatency)
	srv.SetConcurrencyLimit(a.fakeLimit)
	srv.SetCredits(a.fakeCredits)
	client, err := srv.Client(opts...)
	if err != nil {
		srv.Close()
		return nil, nil, err
	}
	return client, srv.Close, nil
}

// apiClient is a client of the API with the key from the environment. A
// batch's starts at the plan the last batch on the account learned, and
// closeFn remembers what this one learned.
func (c *cli) apiClient(a *executeArgs, opts []browseruse.Option) (*browseruse.Client, func(), error) {
	key := c.getenv("BROWSER_USE_API_KEY")
	if key == "" {
		fmt.Fprintln(c.stderr, "browseruse: BROWSER_USE_API_KEY is not set: export your Browser Use API key,")
		fmt.Fprintln(c.stderr, "or add --fake to run against the built-in fake API.")
		return nil, nil, exitError{exitUsage}
	}
	opts = append(opts, browseruse.WithAPIKey(key))
	base := cmp.Or(a.baseURL, c.getenv("BROWSER_USE_BASE_URL"))
	if base != "" {
		opts = append(opts, browseruse.WithBaseURL(base))
	}
	if a.batch == "" {
		client, err := browseruse.New(opts...)
		return client, func() {}, err
	}
	// One account whatever its base URL's last slash.
	plans := planMemoryFor(c.getenv("BROWSER_USE_CACHE_DIR"), strings.TrimRight(cmp.Or(base, defaultBaseURL), "/"), key)
	start := plans.load(time.Now())
	if start > 0 && !a.relearn {
		// Never above --concurrency: a limit its calls never reach would
		// make the session the batch leaves free for the account's other
		// clients no gap at all (a single call waited 41.9 s for its end).
		opts = append(opts, browseruse.WithStartingLimit(capAt(start, a.concurrency)))
	}
	client, err := browseruse.New(opts...)
	if err != nil {
		return nil, nil, err
	}
	if start > 0 && !a.relearn {
		fmt.Fprintf(c.stderr, "browseruse: starting at the plan of %d sessions the last batch on this account learned (--relearn learns it again)\n", start)
	}
	return client, func() { plans.save(client.GateStats().Plan, time.Now()) }, nil
}

// printRun reports what the API said about the execution, on stderr.
func (c *cli) printRun(latencyMs int, skillStderr string) {
	fmt.Fprintf(c.stderr, "latencyMs: %d\n", latencyMs)
	if skillStderr == "" {
		return
	}
	fmt.Fprintln(c.stderr, "stderr:")
	for line := range strings.Lines(escapeText(skillStderr)) {
		fmt.Fprint(c.stderr, "  ", strings.TrimSuffix(line, "\n"), "\n")
	}
}

// reportError explains err on stderr and picks the exit code. ctx is the
// command's own context, to tell a signal from a --timeout. Every text the
// server supplied (the skill's error, the API's detail, a body) is escaped:
// stderr is often a terminal.
func (c *cli) reportError(ctx context.Context, a *executeArgs, err error) int {
	var (
		skillErr *browseruse.SkillError
		apiErr   *browseruse.APIError
	)
	msg := "browseruse: " + errText(err)
	if code, what, ok := stopped(ctx); ok && errors.Is(err, context.Canceled) {
		// Checked before API errors: a signal during the wait before a retry
		// returns the last API error too, but the user asked to stop.
		fmt.Fprintln(c.stderr, "browseruse: "+what)
		return code
	}
	switch {
	case errors.As(err, &skillErr):
		fmt.Fprintln(c.stderr, msg)
		if len(skillErr.Result) > 0 && string(skillErr.Result) != "null" {
			var b bytes.Buffer
			if json.Compact(&b, skillErr.Result) == nil {
				fmt.Fprintln(c.stderr, "result:", string(escapeJSON(b.Bytes())))
			}
		}
		c.printRun(skillErr.LatencyMs, skillErr.Stderr)
		return exitSkillFailed
	case errors.As(err, &apiErr):
		fmt.Fprintln(c.stderr, msg)
		if apiErr.Detail == "" && apiErr.Body != "" {
			// A proxy's HTML page or a cut-off body: its start says who answered.
			fmt.Fprintln(c.stderr, "body:", escapeText(apiErr.Body))
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
		fmt.Fprintln(c.stderr, msg)
		return exitAPIError
	case errors.Is(err, context.DeadlineExceeded) && a.timeout > 0:
		fmt.Fprintln(c.stderr, msg)
		fmt.Fprintf(c.stderr, "No answer within --timeout %v.\n", a.timeout)
		return exitNetwork
	}
	fmt.Fprintln(c.stderr, msg)
	return exitNetwork
}

// capAt is n, at most limit when limit is set (above 0).
func capAt(n, limit int) int {
	if limit > 0 {
		return min(n, limit)
	}
	return n
}
