package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// These tests run the built command, as a user or a script would, and check
// what it prints where and the exit code.

var binary string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	dir, err := os.MkdirTemp("", "browseruse-cli-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "browseruse")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the command: %v\n%s", err, out)
		return 1
	}
	// Batches remember the plan in the user's cache directory: the tests'
	// go to this run's, not the user's. Set after the build, which would
	// otherwise start from an empty build cache.
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	return m.Run()
}

const skill = "3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10"

type outcome struct {
	code           int
	stdout, stderr string
}

type invocation struct {
	env   []string // the whole environment: nothing leaks in from the test's
	stdin string
}

func (inv invocation) run(t *testing.T, args ...string) outcome {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Env = inv.env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Stdin = strings.NewReader(inv.stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("running %v: %v", args, err)
	}
	return outcome{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

func run(t *testing.T, args ...string) outcome {
	t.Helper()
	return invocation{}.run(t, args...)
}

// against returns an invocation pointed at srv with the key it accepts.
func against(srv *browserusetest.Server) (invocation, string) {
	return invocation{env: []string{"BROWSER_USE_API_KEY=" + browserusetest.APIKey}}, srv.URL
}

func (o outcome) want(t *testing.T, code int) {
	t.Helper()
	if o.code != code {
		t.Fatalf("exit code %d, want %d\nstdout: %s\nstderr: %s", o.code, code, o.stdout, o.stderr)
	}
}

// wantFailure checks a failed run: the exit code, nothing on stdout (a
// script reading it must not take an error for a result), and stderr saying
// each of says, in a shell user's terms.
func (o outcome) wantFailure(t *testing.T, code int, says ...string) {
	t.Helper()
	o.want(t, code)
	if o.stdout != "" {
		t.Errorf("stdout = %q, want nothing", o.stdout)
	}
	for _, w := range says {
		if !strings.Contains(o.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, o.stderr)
		}
	}
	o.wantShellTerms(t)
}

var goOption = regexp.MustCompile(`\bWith(out)?[A-Z]\w*`)

// wantShellTerms checks that stderr names no Go option, which a shell user
// cannot set, and says "browseruse:" once a line at most.
func (o outcome) wantShellTerms(t *testing.T) {
	t.Helper()
	if m := goOption.FindString(o.stderr); m != "" {
		t.Errorf("stderr names the Go option %s:\n%s", m, o.stderr)
	}
	for line := range strings.Lines(o.stderr) {
		if strings.Count(line, "browseruse: ") > 1 {
			t.Errorf("stderr repeats the prefix: %q", line)
		}
	}
}

func decodeStdout(t *testing.T, o outcome) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(o.stdout))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, o.stdout)
	}
	return v
}

// echoed is what the fake's default reply says the skill received.
func echoed(t *testing.T, o outcome) map[string]any {
	t.Helper()
	p, ok := decodeStdout(t, o)["parameters"].(map[string]any)
	if !ok {
		t.Fatalf("result has no parameters object: %s", o.stdout)
	}
	return p
}

func TestExecute_FakePrintsIndentedResult(t *testing.T) {
	t.Parallel()
	o := run(t, "skills", "execute", "--fake", skill, "-p", "X=10")
	o.want(t, exitOK)
	if want := "{\n  \"parameters\": {\n    \"X\": 10\n  }\n}\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
	if !strings.Contains(o.stderr, "latencyMs: ") {
		t.Errorf("stderr does not report the latency: %q", o.stderr)
	}
	if strings.Contains(o.stderr, "\r") {
		t.Errorf("stderr is not a terminal, yet it got a spinner: %q", o.stderr)
	}
}

func TestExecute_JSONIsOneLine(t *testing.T) {
	t.Parallel()
	o := run(t, "skills", "execute", "--fake", "--json", skill, "-p", "X=10")
	o.want(t, exitOK)
	if want := `{"parameters":{"X":10}}` + "\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
}

func TestExecute_FlagsBeforeAndAfterSkillID(t *testing.T) {
	t.Parallel()
	orders := [][]string{
		{"--fake", "--json", "-p", "X=10", "-p", "q=hi", skill},
		{skill, "--fake", "--json", "-p", "X=10", "-p", "q=hi"},
		{"-p", "X=10", skill, "-p", "q=hi", "--json", "--fake"},
		{"--fake", "--json", "-p=X=10", "--param", "q=hi", "--", skill},
	}
	var first string
	for _, args := range orders {
		o := run(t, append([]string{"skills", "execute"}, args...)...)
		o.want(t, exitOK)
		if got := echoed(t, o); !reflect.DeepEqual(got, map[string]any{"X": json.Number("10"), "q": "hi"}) {
			t.Errorf("%v: skill received %v", args, got)
		}
		if first == "" {
			first = o.stdout
		} else if o.stdout != first {
			t.Errorf("%v: stdout %q differs from %q", args, o.stdout, first)
		}
	}
}

func TestExecute_ParamValuesAreJSONWhenTheyParse(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base,
		"-p", "X=10", "-p", "q=hello", "-p", "ok=true", "-p", `tags=["a","b"]`, "-p", "none=null",
		"-p", `quoted="10"`, "-p", "big=12345678901234567890", "-p", "empty=", "-p", "expr=a=b",
		"-p", "pair=1 2", "-p", "X=11") // a repeated key: the last one wins
	o.want(t, exitOK)

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	var body struct {
		Parameters map[string]json.RawMessage `json:"parameters"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"X": "11", "q": `"hello"`, "ok": "true", "tags": `["a","b"]`, "none": "null",
		"quoted": `"10"`, "big": "12345678901234567890", "empty": `""`, "expr": `"a=b"`, "pair": `"1 2"`, // two JSON values are not one: a string
	}
	if len(body.Parameters) != len(want) {
		t.Errorf("sent %d parameters, want %d: %s", len(body.Parameters), len(want), reqs[0].Body)
	}
	for k, v := range want {
		if got := string(body.Parameters[k]); got != v {
			t.Errorf("parameter %s sent as %s, want %s", k, got, v)
		}
	}
}

func TestExecute_ParamsJSONFromFileAndStdin(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "params.json")
	if err := os.WriteFile(file, []byte(`{"X": 1, "q": "from file", "nested": {"a": [1, 2]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	wantMerged := map[string]any{
		"X":      json.Number("2"), // -p overrides the file
		"q":      "from file",
		"nested": map[string]any{"a": []any{json.Number("1"), json.Number("2")}},
	}

	o := run(t, "skills", "execute", "--fake", "-p", "X=2", "--params-json", file, skill)
	o.want(t, exitOK)
	if got := echoed(t, o); !reflect.DeepEqual(got, wantMerged) {
		t.Errorf("from a file: skill received %v, want %v", got, wantMerged)
	}

	o = invocation{stdin: `{"X": 1, "q": "from file", "nested": {"a": [1, 2]}}`}.run(t,
		"skills", "execute", "--fake", skill, "--params-json", "-", "-p", "X=2")
	o.want(t, exitOK)
	if got := echoed(t, o); !reflect.DeepEqual(got, wantMerged) {
		t.Errorf("from stdin: skill received %v, want %v", got, wantMerged)
	}

	// A file an editor started with a UTF-8 byte order mark, as --batch
	// inputs may be (a review found it refused as invalid JSON).
	if err := os.WriteFile(file, []byte("\uFEFF"+`{"X": 1, "q": "from file", "nested": {"a": [1, 2]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	o = run(t, "skills", "execute", "--fake", "-p", "X=2", "--params-json", file, skill)
	o.want(t, exitOK)
	if got := echoed(t, o); !reflect.DeepEqual(got, wantMerged) {
		t.Errorf("with a byte order mark: skill received %v, want %v", got, wantMerged)
	}
}

func TestExecute_SessionIsSent(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	const session = "9b2d1c4e-0f6a-4b8e-8c3d-2a1e5f7b9c0d"
	inv.run(t, "skills", "execute", skill, "--base-url", base, "--session", session).want(t, exitOK)
	var body struct {
		SessionID string `json:"sessionId"`
	}
	if err := json.Unmarshal(srv.Requests()[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.SessionID != session {
		t.Errorf("sessionId sent = %q, want %q", body.SessionID, session)
	}
}

func TestExecute_UsageErrorsExit2(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badJSON := filepath.Join(dir, "bad.json")
	os.WriteFile(badJSON, []byte("{\n  \"X\": 10,\n  \"q\": hello\n}\n"), 0o600)
	array := filepath.Join(dir, "array.json")
	os.WriteFile(array, []byte(`[1, 2]`), 0o600)
	withKey := []string{"BROWSER_USE_API_KEY=bu_some_key"}

	cases := []struct {
		name  string
		env   []string
		stdin string
		args  []string
		want  []string // in stderr
	}{
		{"skill id not a UUID", nil, "", []string{"--fake", "my-skill"}, []string{`"my-skill" is not a UUID`}},
		{"no skill id", nil, "", []string{"--fake", "-p", "X=1"}, []string{"missing SKILL_ID"}},
		{"two skill ids", nil, "", []string{"--fake", skill, "X=1"}, []string{"one SKILL_ID expected", "-p key=value"}},
		{"-p without =", nil, "", []string{"--fake", skill, "-p", "X"}, []string{`-p "X": want key=value`}},
		{"-p with empty key", nil, "", []string{"--fake", skill, "-p", "=1"}, []string{"key before '=' is empty"}},
		{"invalid JSON file", nil, "", []string{"--fake", skill, "--params-json", badJSON}, []string{"not valid JSON", "line 3, column 8"}}, // the h of hello
		{"invalid JSON on stdin", nil, `{"X":`, []string{"--fake", skill, "--params-json", "-"}, []string{"stdin is not valid JSON"}},
		{"JSON that is not an object", nil, "", []string{"--fake", skill, "--params-json", array}, []string{"holds an array", "want a JSON object"}},
		{"missing params file", nil, "", []string{"--fake", skill, "--params-json", filepath.Join(dir, "nope.json")}, []string{"--params-json", "nope.json"}},
		{"session not a UUID", nil, "", []string{"--fake", skill, "--session", "abc"}, []string{`--session "abc" is not a UUID`}},
		{"nil skill id", nil, "", []string{"--fake", "00000000-0000-0000-0000-000000000000"}, []string{"the nil UUID, which names no skill"}},
		{"nil session", nil, "", []string{"--fake", skill, "--session", "00000000-0000-0000-0000-000000000000"}, []string{"names no session"}},
		{"missing key", nil, "", []string{skill, "-p", "X=10"}, []string{"BROWSER_USE_API_KEY is not set", "--fake"}},
		{"unknown flag", nil, "", []string{"--fake", skill, "--nope"}, []string{"-nope"}},
		{"bad timeout", nil, "", []string{"--fake", skill, "--timeout", "soon"}, []string{"-timeout"}},
		{"fake with base URL", nil, "", []string{"--fake", "--base-url", "http://127.0.0.1:1", skill}, []string{"cannot be combined"}},
		{"cleartext base URL", withKey, "", []string{skill, "--base-url", "http://api.example.com"}, []string{"not loopback"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := invocation{env: tc.env, stdin: tc.stdin}.run(t, append([]string{"skills", "execute"}, tc.args...)...)
			o.wantFailure(t, exitUsage, tc.want...)
		})
	}
	// The key pasted into the wrong argument is not quoted back.
	const key = "bu_PastedKey0123456789"
	for _, k := range []string{key, `a"key\with-quotes`} { // redacted before %q spells it otherwise
		// A known word first: cobra's Find stops there.
		for _, topic := range [][]string{{k}, {"skills", k}, {"version", k}, {"completion", k}, {"help", k}} {
			o := invocation{env: []string{"BROWSER_USE_API_KEY=" + k}}.run(t, append([]string{"help"}, topic...)...)
			o.wantFailure(t, exitUsage, "unknown help topic", "[redacted]")
			if strings.Contains(o.stderr+o.stdout, "PastedKey") || strings.Contains(o.stderr+o.stdout, "with-quotes") {
				t.Errorf("help %v prints the key:\n%s%s", topic, o.stdout, o.stderr)
			}
		}
	}
	// Escaped, as it would be copied from a URL or a JSON file, it is the key
	// too (one not shaped like bu_..., which is redacted by its shape).
	const other = "sk-Zq9SECRETxyz77"
	var pct, uesc strings.Builder
	for _, c := range []byte(other) {
		fmt.Fprintf(&pct, "%%%02X", c)
		fmt.Fprintf(&uesc, `\u%04x`, c)
	}
	for _, spelling := range []string{pct.String(), uesc.String()} {
		o := invocation{env: []string{"BROWSER_USE_API_KEY=" + other}}.run(t, "help", spelling)
		o.wantFailure(t, exitUsage, "unknown help topic", "[redacted]")
		if strings.Contains(o.stderr+o.stdout, spelling) {
			t.Errorf("help %s prints the key escaped:\n%s", spelling, o.stderr)
		}
	}
	for _, args := range [][]string{
		{key}, {skill, "--session", key}, {skill, "-p", key}, {skill, "--timeout", key}, {skill, "--concurrency", key},
	} {
		for _, env := range []string{key, "bu_an_older_key_0000"} { // or a new key pasted before it is exported
			o := invocation{env: []string{"BROWSER_USE_API_KEY=" + env}}.run(t, append([]string{"skills", "execute"}, args...)...)
			o.wantFailure(t, exitUsage, "[redacted]", "held an API key")
			if strings.Contains(o.stderr+o.stdout, "PastedKey") {
				t.Errorf("%v: the key is printed:\n%s", args, o.stderr)
			}
		}
	}
}

func TestCommand_UsageErrorsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"skill"}, {"skills"}, {"skills", "run"}} {
		o := run(t, args...)
		o.want(t, exitUsage)
		if o.stdout != "" || o.stderr == "" {
			t.Errorf("%v: stdout %q, stderr %q: want only stderr", args, o.stdout, o.stderr)
		}
	}
}

func TestHelp_DocumentsExitCodes(t *testing.T) {
	t.Parallel()
	// The help command's own forms still work (a review: the unknown-topic
	// check once refused these).
	for _, args := range [][]string{{"help", "help"}, {"help", "-h"}, {"help", "completion", "bash"}} {
		run(t, args...).want(t, exitOK)
	}
	for _, args := range [][]string{{"--help"}, {"help"}, {"skills", "execute", "--help"}, {"skills", "execute", skill, "-h"}} {
		o := run(t, args...)
		o.want(t, exitOK)
		for _, line := range []string{"0 ", "1 ", "2 ", "3 ", "4 "} {
			if !strings.Contains(o.stdout, "\n  "+line) {
				t.Errorf("%v: help does not document exit code %s:\n%s", args, line, o.stdout)
			}
		}
	}
	// Printing a script or a version runs no skill: their help has no table.
	for _, args := range [][]string{{"completion", "--help"}, {"version", "--help"}, {"help", "completion"}} {
		o := run(t, args...)
		o.want(t, exitOK)
		if strings.Contains(o.stdout, "Exit codes") {
			t.Errorf("%v: the help shows the exit codes of skills execute:\n%s", args, o.stdout)
		}
	}
	if o := run(t, "completion", "--help"); !strings.Contains(o.stdout, "bash-completion") {
		t.Errorf("completion --help does not say bash needs bash-completion:\n%s", o.stdout)
	}
}

func TestExecute_SkillFailureExits1(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success": false, "error": "selector #price not found", "stderr": "loading page\ntimeout waiting for #price", "latencyMs": 1234,
	}})
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base)
	o.wantFailure(t, exitSkillFailed, "skill failed: selector #price not found", "latencyMs: 1234", "timeout waiting for #price")
}

func TestExecute_SkillStderrAndLatencyGoToStderr(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success": true, "result": []any{"a"}, "stderr": "deprecated selector", "latencyMs": 812,
	}})
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--json")
	o.want(t, exitOK)
	if o.stdout != `["a"]`+"\n" {
		t.Errorf("stdout = %q, want only the result", o.stdout)
	}
	for _, w := range []string{"latencyMs: 812", "deprecated selector"} {
		if !strings.Contains(o.stderr, w) {
			t.Errorf("stderr does not say %q:\n%s", w, o.stderr)
		}
	}
}

func TestExecute_APIErrorsExit3(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		reply browserusetest.Reply
		want  []string
	}{
		{"402", browserusetest.Reply{Status: 402, JSON: map[string]any{"detail": "Insufficient credits"}},
			[]string{"402", "Insufficient credits"}},
		{"404", browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}},
			[]string{"404", "Skill not found", "Check the skill id"}},
		{"422", browserusetest.Reply{Status: 422, JSON: map[string]any{"detail": []any{
			map[string]any{"loc": []any{"body", "parameters", "X"}, "msg": "must be a number", "type": "type_error"}}}},
			[]string{"422", "body.parameters.X: must be a number"}},
		{"proxy HTML", browserusetest.Reply{Status: 502, Header: http.Header{"Content-Type": {"text/html"}},
			Body: []byte("<html>Bad Gateway</html>"), OffSpec: true},
			[]string{"502", "<html>Bad Gateway</html>"}},
		{"truncated success", browserusetest.Reply{Body: []byte(`{"success": true, "res`), OffSpec: true},
			[]string{"200"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := browserusetest.New(t)
			srv.Enqueue(tc.reply)
			inv, base := against(srv)
			o := inv.run(t, "skills", "execute", skill, "--base-url", base)
			o.wantFailure(t, exitAPIError, tc.want...)
		})
	}
}

func TestExecute_WrongKeyExits3WithoutShowingIt(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	const key = "bu_wrong_key_5f2a9c"
	o := invocation{env: []string{"BROWSER_USE_API_KEY=" + key}}.run(t,
		"skills", "execute", skill, "--base-url", srv.URL, "--verbose")
	o.want(t, exitAPIError)
	if !strings.Contains(o.stderr, "401") || !strings.Contains(o.stderr, "BROWSER_USE_API_KEY") {
		t.Errorf("stderr does not explain the 401:\n%s", o.stderr)
	}
	if strings.Contains(o.stdout+o.stderr, key) {
		t.Errorf("the key appears in the output:\n%s\n%s", o.stdout, o.stderr)
	}
}

func TestExecute_NetworkErrorExits4(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	o := invocation{env: []string{"BROWSER_USE_API_KEY=bu_some_key"}}.run(t,
		"skills", "execute", skill, "--base-url", closed, "--timeout", "300ms")
	o.want(t, exitNetwork)
	if o.stdout != "" {
		t.Errorf("stdout = %q, want nothing", o.stdout)
	}
	if !strings.Contains(o.stderr, "connection refused") && !strings.Contains(o.stderr, "--timeout") {
		t.Errorf("stderr does not say what went wrong:\n%s", o.stderr)
	}
}

func TestExecute_TimeoutExits4(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	// The skill never finishes; the command must give up on its own.
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }})
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--timeout", "200ms")
	o.want(t, exitNetwork)
	if !strings.Contains(o.stderr, "No answer within --timeout 200ms") {
		t.Errorf("stderr does not name the timeout:\n%s", o.stderr)
	}
}

func TestExecute_VerboseLogsAttemptsNotTheKey(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "-v", "--json")
	o.want(t, exitOK)
	for _, w := range []string{"method=POST", "path=/skills/" + skill + "/execute", "status=200", "attempt=1", "duration="} {
		if !strings.Contains(o.stderr, w) {
			t.Errorf("verbose stderr lacks %q:\n%s", w, o.stderr)
		}
	}
	if strings.Contains(o.stderr, browserusetest.APIKey) {
		t.Errorf("verbose output shows the key:\n%s", o.stderr)
	}
	if strings.Contains(o.stdout, "level=") {
		t.Errorf("log lines reached stdout: %q", o.stdout)
	}
}

func TestExecute_InterruptExits130(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	arrived := make(chan struct{})
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}})
	cmd := exec.CommandContext(t.Context(), binary, "skills", "execute", skill, "--base-url", srv.URL)
	cmd.Env = []string{"BROWSER_USE_API_KEY=" + browserusetest.APIKey}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	<-arrived // the command is waiting for the skill: Ctrl-C now
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	o := outcome{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
	o.want(t, exitInterrupted)
	if o.stdout != "" || !strings.Contains(o.stderr, "interrupted") {
		t.Errorf("stdout %q, stderr %q: want only 'interrupted' on stderr", o.stdout, o.stderr)
	}
}

// signalled runs the command until ready says it is where the test wants
// it, sends sig, and returns what it did. A command that ignores the signal
// is killed after a minute, failing the test rather than hanging it.
func signalled(t *testing.T, inv invocation, sig os.Signal, ready func(*exec.Cmd), args ...string) outcome {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = inv.env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ready(cmd)
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	code := wait(t, cmd, &stderr)
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// whileWaitingForTheSkill starts cmd against srv and returns once the skill
// call has reached srv, which the command makes only after its signal
// handling is in place.
func whileWaitingForTheSkill(t *testing.T, srv *browserusetest.Server) func(*exec.Cmd) {
	arrived := make(chan struct{})
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done()
	}})
	return func(cmd *exec.Cmd) {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-arrived:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Fatal("waited 30s for the command's skill call to reach the fake")
		}
	}
}

func TestExecute_TerminateExits143(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	o := signalled(t, inv, syscall.SIGTERM, whileWaitingForTheSkill(t, srv), "skills", "execute", skill, "--base-url", base)
	o.wantFailure(t, exitTerminated, "terminated")
}

func TestExecute_WriteFailureExits5(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0) // every write fails: no space left on device
	if err != nil {
		t.Skipf("needs /dev/full: %v", err)
	}
	defer full.Close()
	cmd := exec.Command(binary, "skills", "execute", "--fake", skill, "-p", "X=10")
	cmd.Env = []string{}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = full, &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitWrite {
		t.Fatalf("exit code %d, want %d (the result could not be written)\nstderr: %s", code, exitWrite, stderr.String())
	}
	if !strings.Contains(stderr.String(), "writing the result") {
		t.Errorf("stderr does not say the result could not be written:\n%s", stderr.String())
	}
}

func TestExecute_ClosedPipeExits5(t *testing.T) {
	t.Parallel()
	// A consumer that has gone (| head -0): the result cannot be written.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	defer w.Close()
	cmd := exec.Command(binary, "skills", "execute", "--fake", skill, "-p", "X=10")
	cmd.Env = []string{}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitWrite {
		t.Fatalf("exit code %d (%v), want %d (the result could not be written)\nstderr: %s", code, cmd.ProcessState, exitWrite, stderr.String())
	}
}

func TestExecute_ServerTextIsEscapedOnStderr(t *testing.T) {
	t.Parallel()
	// What a hostile skill or server sends: a window title (OSC), a screen
	// clear (CSI, in 7-bit and C1 form), a carriage return over the line, a
	// bell, a right-to-left override, and a byte that is not UTF-8.
	const (
		osc      = "\x1b]0;pwned\x07"
		clear    = "\x1b[2J"
		c1       = "\u009b2J"
		rlo      = "\u202e"
		escOSC   = `\x1b]0;pwned\x07`
		escClear = `\x1b[2J`
		escC1    = `\u009b2J`
		escRLO   = `\u202e`
	)
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success": false, "error": "failed" + osc + rlo + "txt.exe", "latencyMs": 5,
		"stderr": "line one\r" + clear + "\n\tline two" + c1,
	}})
	srv.Enqueue(browserusetest.Reply{Status: 502, Header: http.Header{"Content-Type": {"text/html"}},
		Body: []byte("<html>" + clear + "bad\xffgateway</html>"), OffSpec: true})
	inv, base := against(srv)

	o := inv.run(t, "skills", "execute", skill, "--base-url", base)
	o.wantFailure(t, exitSkillFailed, "failed"+escOSC+escRLO+"txt.exe", `line one\r`+escClear, "\n  \tline two"+escC1)
	o2 := inv.run(t, "skills", "execute", skill, "--base-url", base)
	o2.wantFailure(t, exitAPIError, "502", escClear+"bad")

	for _, stderr := range []string{o.stderr, o2.stderr} {
		for _, raw := range []string{"\x1b", "\x07", "\r", "\u009b", rlo, "\xff"} {
			if strings.Contains(stderr, raw) {
				t.Errorf("stderr holds %q raw:\n%q", raw, stderr)
			}
		}
	}
}

func TestVersion_PrintsCommandAndGoVersions(t *testing.T) {
	t.Parallel()
	// The test and the command are built by the same toolchain.
	goLine := runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	var first string
	for _, args := range [][]string{{"--version"}, {"version"}} {
		o := run(t, args...)
		o.want(t, exitOK)
		lines := strings.Split(strings.TrimSuffix(o.stdout, "\n"), "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "browseruse ") || len(lines[0]) == len("browseruse ") || lines[1] != goLine {
			t.Errorf("%v printed %q, want \"browseruse VERSION\\n%s\\n\"", args, o.stdout, goLine)
		}
		if o.stderr != "" {
			t.Errorf("%v: stderr %q, want nothing", args, o.stderr)
		}
		if first == "" {
			first = o.stdout
		} else if o.stdout != first {
			t.Errorf("%v printed %q, --version %q", args, o.stdout, first)
		}
	}
}

func TestCompletion_PrintsAScriptForEachShell(t *testing.T) {
	t.Parallel()
	// What each shell's completion script must contain to hook in.
	hooks := map[string]string{
		"bash":       "complete -o default -F __start_browseruse browseruse",
		"zsh":        "#compdef browseruse",
		"fish":       "complete -c browseruse",
		"powershell": "Register-ArgumentCompleter",
	}
	for shell, hook := range hooks {
		o := run(t, "completion", shell)
		o.want(t, exitOK)
		if !strings.Contains(o.stdout, hook) {
			t.Errorf("completion %s: the script lacks %q", shell, hook)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		run(t, args...).wantFailure(t, exitUsage, "one of: bash, zsh, fish, powershell")
	}
	// The scripts call the command back for candidates: it must offer the
	// subcommand and the flags.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"sk"}, "skills"},
		{[]string{"skills", "ex"}, "execute"},
		{[]string{"skills", "execute", "--par"}, "--params-json"},
		{[]string{"skills", "execute", skill, "--f"}, "--fake"},
		{[]string{"completion", "p"}, "powershell"},
	} {
		args, want := tc.args, tc.want
		o := run(t, append([]string{"__complete"}, args...)...)
		o.want(t, exitOK)
		if !strings.Contains(o.stdout, want) {
			t.Errorf("completing %q offers %q, want %q among them", args, o.stdout, want)
		}
		// The shells show the descriptions as given.
		if strings.Contains(o.stdout, "`") {
			t.Errorf("completing %q: descriptions hold backticks: %q", args, o.stdout)
		}
	}
}

func TestExecute_SingleDashLongFlagsStillWork(t *testing.T) {
	t.Parallel()
	// The command parsed its flags with package flag before, which takes
	// -json as well as --json; scripts written then keep working.
	o := invocation{stdin: `{"q": "from stdin"}`}.run(t, "skills", "execute", "-fake", "-json", skill,
		"-param", "X=10", "-params-json", "-", "-timeout=1m")
	o.want(t, exitOK)
	if want := `{"parameters":{"X":10,"q":"from stdin"}}` + "\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
}

func TestExecute_ResultIsEscapedOnStdoutKeepingItsMeaning(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success": true, "result": map[string]any{"title": "csi \u009b2J, rlo \u202etxt.exe"}, "latencyMs": 1,
	}})
	inv, base := against(srv)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--json")
	o.want(t, exitOK)
	if want := `{"title":"csi \u009b2J, rlo \u202etxt.exe"}` + "\n"; o.stdout != want {
		t.Errorf("stdout = %q, want %q", o.stdout, want)
	}
	if got := decodeStdout(t, o)["title"]; got != "csi \u009b2J, rlo \u202etxt.exe" {
		t.Errorf("the result decodes to title %q, not what the skill returned", got)
	}
}
