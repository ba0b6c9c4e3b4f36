package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// These tests run skills execute --batch, built, against a fake with a
// plan's limit of sessions and skills that take a while, as a user's batch
// would meet the API.

// batchInput writes n lines {"i": k}, k from 1, and returns the file.
func batchInput(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for k := 1; k <= n; k++ {
		fmt.Fprintf(&b, "{\"i\": %d}\n", k)
	}
	name := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// limitedFake is a fake that admits 8 sessions at once, each taking latency.
func limitedFake(t *testing.T, latency time.Duration) *browserusetest.Server {
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(8)
	srv.SetLatency(latency)
	return srv
}

// readRecords reads --out, failing the test on any line that is not a
// whole JSON record.
func readRecords(t *testing.T, name string) []record {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	var recs []record
	for i, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var r record
		if line[len(line)-1] != '\n' || json.Unmarshal(line, &r) != nil {
			t.Fatalf("--out line %d is not a whole JSON record: %q", i+1, line)
		}
		recs = append(recs, r)
	}
	return recs
}

// okLines counts the ok records of each input line.
func okLines(recs []record) map[int]int {
	ok := map[int]int{}
	for _, r := range recs {
		if r.OK {
			ok[r.Line]++
		}
	}
	return ok
}

// wantEveryLineOKOnce checks that each of lines 1..n has exactly one ok
// record.
func wantEveryLineOKOnce(t *testing.T, recs []record, n int) {
	t.Helper()
	ok := okLines(recs)
	for line := 1; line <= n; line++ {
		if ok[line] != 1 {
			t.Errorf("line %d has %d ok records, want 1", line, ok[line])
		}
	}
	if len(ok) != n {
		t.Errorf("ok records for %d lines, want %d", len(ok), n)
	}
}

// untilRecords starts cmd and returns once --out holds at least n records.
func untilRecords(t *testing.T, out string, n int) func(*exec.Cmd) {
	return func(cmd *exec.Cmd) {
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill() }) // if it never gets there
		within(t, fmt.Sprintf("%d records in --out", n), func() bool {
			b, _ := os.ReadFile(out)
			return bytes.Count(b, []byte("\n")) >= n
		})
	}
}

// settledStats returns the fake's counts once they have not changed for
// longer than a refusal or a skill takes here, so that calls sent by a
// process that is gone have all been counted.
func settledStats(srv *browserusetest.Server) browserusetest.Stats {
	last := srv.Stats()
	for {
		time.Sleep(250 * time.Millisecond)
		now := srv.Stats()
		if now == last {
			return now
		}
		last = now
	}
}

// A run killed with SIGKILL loses no finished record; its resume runs only
// the lines that were in flight at the kill and the ones never sent, and a
// new process does not relearn the limit by flooding the API.
func TestBatch_KilledRunResumesRunningOnlyWhatWasInFlight(t *testing.T) {
	t.Parallel()
	const lines = 256
	srv := limitedFake(t, 100*time.Millisecond)
	inv, base := against(srv)
	in, out := batchInput(t, lines), filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out, "--concurrency", "64"}

	start := time.Now()
	killed := signalled(t, inv, syscall.SIGKILL, untilRecords(t, out, lines/2), args...)
	if killed.code != -1 {
		t.Fatalf("exit code %d, want killed", killed.code)
	}
	// A request the killed process wrote just before the kill can still be
	// on its way to the fake's handler: count executions once they settle.
	atKill := settledStats(srv)
	recorded := len(okLines(readRecords(t, out)))
	inFlight := atKill.Executions - recorded
	if inFlight < 0 || inFlight > 64 {
		t.Fatalf("%d executions but %d lines recorded ok", atKill.Executions, recorded)
	}
	// A kill in the middle of a write tears the last record; resume cuts it.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"line":1,"inputSha256":"c3b8ae9299fe16ecf`)
	f.Close()

	o := inv.run(t, args...)
	o.want(t, exitOK)
	elapsed := time.Since(start)
	if !strings.Contains(o.stderr, "cut a partial last record (") || strings.Contains(o.stderr, "killed") {
		t.Errorf("stderr does not report the partial record cut, neutrally:\n%s", o.stderr)
	}
	wantEveryLineOKOnce(t, readRecords(t, out), lines)
	total := srv.Stats()
	if resumed := total.Executions - atKill.Executions; resumed != lines-recorded {
		t.Errorf("the resume ran %d skills, want %d: the %d lines not recorded ok at the kill", resumed, lines-recorded, lines-recorded)
	}
	if total.Refusals*4 >= total.Executions {
		t.Errorf("%d refusals for %d executions across the kill and the resume: want under one in four", total.Refusals, total.Executions)
	}
	t.Logf("%d lines, limit 8, 100 ms: killed after %d recorded with %d in flight; total %d executions, %d refusals, %v (ideal %v for the lines alone)",
		lines, recorded, inFlight, total.Executions, total.Refusals, elapsed.Round(10*time.Millisecond), lines/8*100*time.Millisecond)
}

// Credits running out stop the batch: the calls in flight finish and are
// recorded, nothing more is sent, and once topped up a rerun completes.
func TestBatch_CreditsOutStopsWithExit3AndARerunCompletes(t *testing.T) {
	t.Parallel()
	const lines, credits = 64, 20
	srv := limitedFake(t, 50*time.Millisecond)
	srv.SetCredits(credits)
	inv, base := against(srv)
	in, out := batchInput(t, lines), filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out}

	o := inv.run(t, args...)
	o.want(t, exitAPIError)
	for _, says := range []string{"out of credits", "Rerun the same command", "not run"} {
		if !strings.Contains(o.stderr, says) {
			t.Errorf("stderr does not say %q:\n%s", says, o.stderr)
		}
	}
	st := srv.Stats()
	recs := readRecords(t, out)
	ok, refused := okLines(recs), 0
	for _, r := range recs {
		if !r.OK && r.Status == 402 {
			refused++
		}
	}
	if len(ok) != credits || st.Executions != credits {
		t.Errorf("%d lines recorded ok, %d executions; want %d of each: every skill that ran is recorded", len(ok), st.Executions, credits)
	}
	if refused != st.InsufficientCredits {
		t.Errorf("%d records of a 402, the fake sent %d", refused, st.InsufficientCredits)
	}
	// Only the calls in flight at the first 402 can have been sent after
	// it: without --concurrency, what the gate lets out (the plan's 8, a
	// probe, and beside others a ramp's first step of up to half of what
	// it holds): 16 seen on a loaded machine. A batch that went on after
	// the first would send the 44 lines left.
	if st.InsufficientCredits < 1 || st.InsufficientCredits > 24 {
		t.Errorf("%d calls got a 402, want 1 to 24: nothing is sent after the first", st.InsufficientCredits)
	}

	srv.SetCredits(-1)
	o = inv.run(t, args...)
	o.want(t, exitOK)
	wantEveryLineOKOnce(t, readRecords(t, out), lines)
	if got := srv.Stats().Executions; got != lines {
		t.Errorf("%d executions over both runs, want %d: one per line", got, lines)
	}
}

// Without --out the records went to stdout: the advice after a stop is to
// name a file holding them with --out, and following it runs only the lines
// left. Before, it said "rerun with --out FILE", which runs (and bills)
// every line again (a new-user review).
func TestBatch_StoppedWithoutOutSaysHowNotToPayTwice(t *testing.T) {
	t.Parallel()
	const lines, credits = 32, 10
	srv := limitedFake(t, 50*time.Millisecond)
	srv.SetCredits(credits)
	inv, base := against(srv)
	in := batchInput(t, lines)
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", in)
	o.want(t, exitAPIError)
	if !strings.Contains(o.stderr, "rerun with --out naming a file that holds this run's records") {
		t.Errorf("stderr does not say how to resume without running the ok lines again:\n%s", o.stderr)
	}
	saved := filepath.Join(t.TempDir(), "saved.jsonl")
	if err := os.WriteFile(saved, []byte(o.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	srv.SetCredits(-1)
	o = inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", in, "--out", saved)
	o.want(t, exitOK)
	wantEveryLineOKOnce(t, readRecords(t, saved), lines)
	if got := srv.Stats().Executions; got != lines {
		t.Errorf("%d executions over both runs, want %d: one per line", got, lines)
	}
}

// The first Ctrl-C stops sending but lets the calls in flight finish: every
// skill that ran has its record.
func TestBatch_InterruptRecordsEveryFinishedCallAndExits130(t *testing.T) {
	t.Parallel()
	srv := limitedFake(t, 200*time.Millisecond)
	inv, base := against(srv)
	in, out := batchInput(t, 64), filepath.Join(t.TempDir(), "out.jsonl")
	o := signalled(t, inv, os.Interrupt, untilRecords(t, out, 8),
		"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out)
	o.want(t, exitInterrupted)
	if !strings.Contains(o.stderr, "interrupted") || !strings.Contains(o.stderr, "Rerun the same command") {
		t.Errorf("stderr does not say it was interrupted and how to resume:\n%s", o.stderr)
	}
	ok := okLines(readRecords(t, out))
	if st := srv.Stats(); len(ok) != st.Executions || st.Executions >= 64 {
		t.Errorf("%d lines recorded ok, %d executions of 64: want every execution recorded, and the batch stopped",
			len(ok), st.Executions)
	}
}

// A line that is not a JSON object is recorded as failed and never sent;
// the others run.
func TestBatch_BadLinesAreRecordedAndNeverSent(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	input := "{\"X\": 1}\n[1, 2]\n\n   \nnot json\n\"a string\"\n{\"X\": 2}\r\n{\"X\": 3\n"
	if err := os.WriteFile(in, []byte(input), 0o644); err != nil {
		t.Fatal(err)
	}
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out)
	o.want(t, exitSkillFailed)

	byLine := map[int]record{}
	for _, r := range readRecords(t, out) {
		byLine[r.Line] = r
	}
	for line, why := range map[int]string{2: "an array", 5: "not valid JSON", 6: "a string", 8: "not valid JSON"} {
		r, ok := byLine[line]
		switch {
		case !ok:
			t.Errorf("line %d has no record", line)
		case r.OK || r.Attempts != 0 || !strings.Contains(r.Error, "not sent") || !strings.Contains(r.Error, why):
			t.Errorf("line %d: record %+v, want a failure saying 'not sent' and %q", line, r, why)
		}
	}
	for _, line := range []int{1, 7} {
		if !byLine[line].OK {
			t.Errorf("line %d: record %+v, want ok", line, byLine[line])
		}
	}
	if len(byLine) != 6 {
		t.Errorf("records for lines %v, want 6 (blank lines get none)", byLine)
	}
	var sent []string
	for _, r := range srv.Requests() {
		sent = append(sent, string(r.Body))
	}
	if len(sent) != 2 {
		t.Errorf("sent %q, want the two valid lines only", sent)
	}
}

// An input line edited since its ok record is run again; the others are not.
func TestBatch_EditedLineRunsAgain(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out}
	if err := os.WriteFile(in, []byte("{\"X\": 1}\n{\"X\": 2}\n{\"X\": 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv.run(t, args...).want(t, exitOK)
	if err := os.WriteFile(in, []byte("{\"X\": 1}\n{\"X\": 20}\n{\"X\": 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv.run(t, args...).want(t, exitOK)

	reqs := srv.Requests()
	if len(reqs) != 4 || !strings.Contains(string(reqs[3].Body), `"X":20`) {
		t.Fatalf("%d requests, the last %q: want 4, the last the edited line", len(reqs), reqs[len(reqs)-1].Body)
	}
	recs := readRecords(t, out)
	if len(recs) != 4 || recs[3].Line != 2 || !recs[3].OK || recs[3].InputSha256 == recs[1].InputSha256 {
		t.Errorf("records %+v: want a fourth, ok, for line 2 with the new input's hash", recs)
	}
}

// Resume matches records by input, not by line number: a line edited and
// then edited back, or moved down by a line inserted above it, is not run
// (and billed) again, and no input gets more ok records than it has lines.
func TestBatch_ResumeMatchesRecordsByInputNotLineNumber(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out}
	for _, step := range []struct {
		input string
		code  int
		sent  int // requests sent in all so far
	}{
		{"{\"X\": 1}\n{\"X\": 2}\n", exitOK, 2},
		{"{\"X\": 1}\n[2]\n", exitSkillFailed, 2},                       // a typo: recorded, not sent
		{"{\"X\": 1}\n{\"X\": 2}\n", exitOK, 2},                         // reverted: line 2 is already ok
		{"{\"X\": 0}\n{\"X\": 1}\n{\"X\": 2}\n", exitOK, 3},             // inserted above: only it runs
		{"{\"X\": 0}\n{\"X\": 1}\n{\"X\": 2}\n{\"X\": 1}\n", exitOK, 4}, // a second {"X": 1} runs once
		{"{\"X\": 1}\n{\"X\": 1}\n{\"X\": 0}\n{\"X\": 2}\n", exitOK, 4}, // shuffled: nothing runs
	} {
		if err := os.WriteFile(in, []byte(step.input), 0o644); err != nil {
			t.Fatal(err)
		}
		inv.run(t, args...).want(t, step.code)
		if n := len(srv.Requests()); n != step.sent {
			t.Fatalf("after running %q: %d requests in all, want %d", step.input, n, step.sent)
		}
	}
	perHash := map[string]int{}
	for _, r := range readRecords(t, out) {
		if r.OK {
			perHash[r.InputSha256]++
		}
	}
	want := map[string]int{sha(`{"X": 0}`): 1, sha(`{"X": 1}`): 2, sha(`{"X": 2}`): 1}
	if fmt.Sprint(perHash) != fmt.Sprint(want) {
		t.Errorf("ok records per input hash %v, want %v", perHash, want)
	}
}

// An --out holds one batch's records: reused for another skill, or with
// another --session, it is refused before anything is sent, since its ok
// records would pass this run's lines off as done.
func TestBatch_OutOfAnotherSkillOrSessionIsRefused(t *testing.T) {
	t.Parallel()
	const other, session = "00000000-0000-4000-8000-000000000001", "5a1e7c3b-2f4d-4e6a-9b8c-0d1e2f3a4b5c"
	srv := browserusetest.New(t)
	inv, base := against(srv)
	in, out := batchInput(t, 2), filepath.Join(t.TempDir(), "out.jsonl")
	batch := func(args ...string) outcome {
		return inv.run(t, append([]string{"skills", "execute", "--base-url", base, "--batch", in, "--out", out}, args...)...)
	}
	batch(skill).want(t, exitOK)
	for _, r := range readRecords(t, out) {
		if r.SkillID != skill || r.SessionID != "" {
			t.Errorf("record %+v: want skillId %s and no sessionId", r, skill)
		}
	}
	before, _ := os.ReadFile(out)
	for _, args := range [][]string{{other}, {skill, "--session", session}} {
		batch(args...).wantFailure(t, exitUsage, "another batch", "skill "+skill+" without --session", "another --out")
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Errorf("--out changed by refused runs:\n%s", after)
	}
	if n := len(srv.Requests()); n != 2 {
		t.Errorf("%d requests, want the first run's 2: a refused run sends nothing", n)
	}
}

// A UTF-8 byte order mark at the start of the input, as some Windows
// editors write, is no part of line 1: it runs, hashed without the mark.
func TestBatch_ByteOrderMarkIsNotPartOfLine1(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.jsonl"), filepath.Join(dir, "out.jsonl")
	if err := os.WriteFile(in, []byte("\uFEFF{\"X\": 1}\r\n{\"X\": 2}\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out).want(t, exitOK)
	recs := readRecords(t, out)
	hashes := map[string]bool{}
	for _, r := range recs {
		hashes[r.InputSha256] = r.OK
	}
	if len(recs) != 2 || !hashes[sha(`{"X": 1}`)] || !hashes[sha(`{"X": 2}`)] {
		t.Errorf("records %+v: want both lines ok, line 1 hashed without the mark", recs)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestBatch_UsageErrorsExit2(t *testing.T) {
	t.Parallel()
	in := batchInput(t, 2)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	link := filepath.Join(t.TempDir(), "link.jsonl")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		says string
	}{
		{[]string{"--batch", in, "-p", "X=1"}, "drop -p"},
		{[]string{"--batch", in, "--params-json", in}, "drop -p and --params-json"},
		{[]string{"--batch", in, "--out", in}, "is the --batch input"},
		{[]string{"--batch", in, "--out", link}, "is the --batch input"}, // the same file by another name
		{[]string{"--out", out}, "--out needs --batch"},
		{[]string{"--concurrency", "4"}, "--concurrency needs --batch"},
		{[]string{"--concurrency", "0"}, "--concurrency needs --batch"}, // the default, but given
		{[]string{"--no-share"}, "--no-share needs --batch"},
		{[]string{"--batch", in, "--concurrency", "-1"}, "--concurrency -1: want at least 1"},
		{[]string{"--batch", filepath.Join(t.TempDir(), "missing")}, "--batch"},
		{[]string{"--batch", in, "--out", os.DevNull}, "not a regular file"},
	}
	for _, tc := range cases {
		o := run(t, append([]string{"skills", "execute", "--fake", skill}, tc.args...)...)
		o.wantFailure(t, exitUsage, tc.says)
	}
	if b, _ := os.ReadFile(in); !bytes.HasPrefix(b, []byte(`{"i": 1}`)) {
		t.Errorf("the input was changed: %q", b)
	}
	// No key: nothing to run, so --out is not even created.
	run(t, "skills", "execute", skill, "--batch", in, "--out", out).wantFailure(t, exitUsage, "BROWSER_USE_API_KEY")
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("--out was created without a key: %v", err)
	}
}

// A second Ctrl-C, or a SIGTERM, abandons the calls in flight: the command
// ends at once, records none of them, so a rerun sends them again.
func TestBatch_SecondInterruptOrTerminateAbandonsCallsInFlight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		signals []os.Signal
		code    int
	}{
		{"second Ctrl-C", []os.Signal{os.Interrupt, os.Interrupt}, exitInterrupted},
		{"SIGTERM", []os.Signal{syscall.SIGTERM}, exitTerminated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := limitedFake(t, time.Minute) // nothing finishes on its own
			inv, base := against(srv)
			in, out := batchInput(t, 32), filepath.Join(t.TempDir(), "out.jsonl")
			cmd := exec.Command(binary, "skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out)
			cmd.Env = inv.env
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			within(t, "8 calls running", func() bool { return srv.Stats().Executions >= 8 })
			for i, sig := range tc.signals {
				if i > 0 { // the first was taken: the command said so
					within(t, "the command to say Ctrl-C again", func() bool { return strings.Contains(stderr.String(), "Ctrl-C again") })
				}
				if err := cmd.Process.Signal(sig); err != nil {
					t.Fatal(err)
				}
			}
			_ = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", code, tc.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), "calls in flight or waiting for a slot") {
				t.Errorf("stderr does not say the calls in flight were abandoned:\n%s", stderr.String())
			}
			if recs := readRecords(t, out); len(recs) != 0 {
				t.Errorf("records %+v: an abandoned call has none, so that a rerun sends it", recs)
			}
		})
	}
}

// Records that cannot be written stop the batch: what ran after would be
// lost.
func TestBatch_WriteFailureExits5(t *testing.T) {
	t.Parallel()
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0) // every write fails: no space left on device
	if err != nil {
		t.Skip("no /dev/full here:", err)
	}
	defer full.Close()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	cmd := exec.Command(binary, "skills", "execute", skill, "--base-url", base, "--batch", batchInput(t, 64), "--concurrency", "1")
	cmd.Env = inv.env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = full, &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitWrite || !strings.Contains(stderr.String(), "writing the records") {
		t.Fatalf("exit code %d, want %d, and stderr saying why:\n%s", code, exitWrite, stderr.String())
	}
	n := srv.Stats().Executions
	if n > 2 {
		t.Errorf("%d skills ran, want at most 2 with --concurrency 1: none after the write failed", n)
	}
	// Nothing reached stdout: the summary may not count those calls done.
	for _, says := range []string{fmt.Sprintf("batch: 0 ok, 0 failed, %d not recorded, ", n), fmt.Sprintf("%d results could not be recorded", n)} {
		if !strings.Contains(stderr.String(), says) {
			t.Errorf("stderr does not say %q:\n%s", says, stderr.String())
		}
	}
}

// A write that fails part-way (the file size limit here, a full disk in
// life) stops the batch; the summary counts only the records on disk, and
// the resume cuts the partial record without blaming a kill, then runs
// every line not recorded ok, once.
func TestBatch_FailedWriteCountsOnlyRecordsOnDiskAndResumes(t *testing.T) {
	t.Parallel()
	const lines = 32
	srv := browserusetest.New(t)
	inv, base := against(srv)
	in, out := batchInput(t, lines), filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out, "--concurrency", "1"}
	// A 1-block limit (512 or 1024 bytes) fits a few records of ~250 bytes.
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -f 1 && exec "$@"`, "sh", binary}, args...)...)
	cmd.Env = inv.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	if code := cmd.ProcessState.ExitCode(); code != exitWrite {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", code, exitWrite, stderr.String())
	}
	b, _ := os.ReadFile(out)
	whole := bytes.Count(b, []byte("\n"))
	if whole == 0 || whole == lines || b[len(b)-1] == '\n' {
		t.Fatalf("--out holds %d whole records and %q at its end: want a few, then a partial one", whole, b[bytes.LastIndexByte(b, '\n')+1:])
	}
	if says := fmt.Sprintf("batch: %d ok, 0 failed, ", whole); !strings.Contains(stderr.String(), says) {
		t.Errorf("stderr does not say %q, the records on disk:\n%s", says, stderr.String())
	}
	o := inv.run(t, args...)
	o.want(t, exitOK)
	if !strings.Contains(o.stderr, "cut a partial last record (") || strings.Contains(o.stderr, "killed") {
		t.Errorf("stderr does not report the partial record cut, neutrally:\n%s", o.stderr)
	}
	wantEveryLineOKOnce(t, readRecords(t, out), lines)
	if says := fmt.Sprintf("batch: %d ok, 0 failed, %d skipped", lines-whole, whole); !strings.Contains(o.stderr, says) {
		t.Errorf("stderr does not say %q:\n%s", says, o.stderr)
	}
}

// Not on a terminal, progress is a plain status line every few seconds
// (here every 20 ms), and the run ends with a summary line.
func TestBatch_PlainProgressLinesAndASummary(t *testing.T) {
	t.Parallel()
	srv := limitedFake(t, 100*time.Millisecond)
	inv, base := against(srv)
	inv.env = append(inv.env, "BROWSERUSE_PROGRESS_INTERVAL=20ms")
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", batchInput(t, 32))
	o.want(t, exitOK)
	if n := strings.Count(o.stdout, "\n"); n != 32 {
		t.Errorf("%d records on stdout, want 32", n)
	}
	for _, says := range []string{"/32 done, ", " in flight (no --concurrency, learned limit ", " refusals (429), ", "ETA ", "batch: 32 ok, 0 failed; "} {
		if !strings.Contains(o.stderr, says) {
			t.Errorf("stderr does not say %q:\n%s", says, o.stderr)
		}
	}
	if strings.Contains(o.stderr, "\r") || strings.Contains(o.stderr, "\x1b") {
		t.Errorf("stderr is not a terminal, yet it got terminal controls: %q", o.stderr)
	}
}

// A key the API rejects stops the batch at the first answer: exit 3, and
// the message says what to fix, never the key.
func TestBatch_RejectedKeyStopsWithExit3(t *testing.T) {
	t.Parallel()
	srv := limitedFake(t, 50*time.Millisecond)
	_, base := against(srv)
	inv := invocation{env: []string{"BROWSER_USE_API_KEY=bu_wrong_key_123"}}
	out := filepath.Join(t.TempDir(), "out.jsonl")
	o := inv.run(t, "skills", "execute", skill, "--base-url", base, "--batch", batchInput(t, 64), "--out", out, "--concurrency", "4")
	o.want(t, exitAPIError)
	if !strings.Contains(o.stderr, "BROWSER_USE_API_KEY") || strings.Contains(o.stderr+o.stdout, "bu_wrong_key_123") {
		t.Errorf("stderr should name the variable to check and not the key:\n%s", o.stderr)
	}
	if recs, n := readRecords(t, out), len(srv.Requests()); len(recs) != n || n > 4 {
		t.Errorf("%d requests, %d records: want at most the 4 first calls, each recorded", n, len(recs))
	}
}

// pipedBatch starts the command with --batch - fed through a pipe the test
// writes to, and returns the pipe's write end.
func pipedBatch(t *testing.T, inv invocation, stdout, stderr *syncBuffer, args ...string) (*exec.Cmd, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, args...)
	cmd.Env, cmd.Stdin, cmd.Stdout, cmd.Stderr = inv.env, r, stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close(); _ = cmd.Process.Kill() })
	return cmd, w
}

// within waits up to a while for cond, failing the test (not hanging it)
// when it does not come. The while is long enough for a loaded CI machine
// starting processes: it is only spent when the test fails.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 30s for %s", what)
		}
	}
}

// wait waits for cmd to exit, at most a while, and returns its exit code.
func wait(t *testing.T, cmd *exec.Cmd, stderr fmt.Stringer) int {
	t.Helper()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(time.Minute):
		_ = cmd.Process.Kill()
		<-exited
		t.Fatalf("still running after a minute; stderr:\n%s", stderr.String())
	}
	return cmd.ProcessState.ExitCode()
}

// Like xargs, the batch does not wait for the input's end: the first line
// is sent as soon as it arrives, whatever the producer does next.
func TestBatch_FirstLineIsSentBeforeTheInputEnds(t *testing.T) {
	t.Parallel()
	const lines = 8
	srv := browserusetest.New(t)
	inv, base := against(srv)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	var stdout, stderr syncBuffer
	cmd, w := pipedBatch(t, inv, &stdout, &stderr, "skills", "execute", skill, "--base-url", base, "--batch", "-", "--out", out)
	if _, err := io.WriteString(w, "{\"i\": 1}\n"); err != nil {
		t.Fatal(err)
	}
	within(t, "line 1 to be sent while the input is still open", func() bool { return len(srv.Requests()) == 1 })
	for k := 2; k <= lines; k++ {
		fmt.Fprintf(w, "{\"i\": %d}\n", k)
	}
	w.Close()
	if code := wait(t, cmd, &stderr); code != exitOK {
		t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr.String())
	}
	wantEveryLineOKOnce(t, readRecords(t, out), lines)
	if n := len(srv.Requests()); n != lines {
		t.Errorf("%d requests, want %d", n, lines)
	}
}

// A Ctrl-C while the producer is idle does not wait for its next line: the
// batch ends with what ran recorded, and a rerun with the whole input runs
// the rest, each line once.
func TestBatch_InterruptWhileThePipeIsIdleExits130(t *testing.T) {
	t.Parallel()
	const lines = 6
	srv := browserusetest.New(t)
	inv, base := against(srv)
	out := filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", "-", "--out", out}
	var stdout, stderr syncBuffer
	cmd, w := pipedBatch(t, inv, &stdout, &stderr, args...)
	io.WriteString(w, "{\"i\": 1}\n{\"i\": 2}\n")
	within(t, "lines 1 and 2 to be recorded", func() bool {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n")) == 2
	})
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if code := wait(t, cmd, &stderr); code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Fatalf("exit code %d, want %d, and stderr saying so:\n%s", code, exitInterrupted, stderr.String())
	}
	wantEveryLineOKOnce(t, readRecords(t, out), 2)

	var input strings.Builder
	for k := 1; k <= lines; k++ {
		fmt.Fprintf(&input, "{\"i\": %d}\n", k)
	}
	inv.stdin = input.String()
	inv.run(t, args...).want(t, exitOK)
	wantEveryLineOKOnce(t, readRecords(t, out), lines)
	if n := len(srv.Requests()); n != lines {
		t.Errorf("%d requests over both runs, want %d: one per line", n, lines)
	}
}

// A last record that lost only its newline (an editor stripped it) is a
// whole record: resume keeps it, gives the newline back, and does not run
// (and bill) its line again. Only a partial record is cut.
func TestBatch_LastRecordWithoutItsNewlineIsKept(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	inv, base := against(srv)
	in, out := batchInput(t, 3), filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", skill, "--base-url", base, "--batch", in, "--out", out}
	inv.run(t, args...).want(t, exitOK)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out, bytes.TrimSuffix(b, []byte("\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	o := inv.run(t, args...)
	o.want(t, exitOK)
	if strings.Contains(o.stderr, "partial") {
		t.Errorf("stderr calls a whole record partial:\n%s", o.stderr)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("%d requests, want the first run's 3", n)
	}
	recs := readRecords(t, out) // fails on a line left without its newline
	wantEveryLineOKOnce(t, recs, 3)
}
