package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// --fake's server can be given a plan's limit, credits and skills that take
// a while, so that the batch's gate, its 402 stop and a Ctrl-C can be tried
// with no server.

func TestFake_LimitIsWaitedOutAndCreditsStopTheBatch(t *testing.T) {
	t.Parallel()
	in, out := batchInput(t, 24), filepath.Join(t.TempDir(), "out.jsonl")
	args := []string{"skills", "execute", "--fake", skill, "--batch", in, "--out", out,
		"--concurrency", "8", "--fake-latency", "20ms", "--fake-limit", "2", "--fake-credits", "12"}
	o := run(t, args...)
	o.want(t, exitAPIError)
	for _, says := range []string{"out of credits", "batch: 12 ok, "} {
		if !strings.Contains(o.stderr, says) {
			t.Errorf("stderr does not say %q:\n%s", says, o.stderr)
		}
	}
	// Eight calls at once on a limit of two: the fake refused some, and
	// the client waited them out instead of failing their lines.
	m := regexp.MustCompile(`(\d+) refusals \(429\) waited out`).FindStringSubmatch(o.stderr)
	if m == nil {
		t.Fatalf("the summary does not count the refusals:\n%s", o.stderr)
	}
	if n, _ := strconv.Atoi(m[1]); n == 0 {
		t.Errorf("no refusal with --fake-limit 2 and --concurrency 8:\n%s", o.stderr)
	}
	if ok := okLines(readRecords(t, out)); len(ok) != 12 {
		t.Errorf("%d lines ok, want the 12 --fake-credits paid for", len(ok))
	}
}

func TestFake_LatencyHoldsTheCall(t *testing.T) {
	t.Parallel()
	o := run(t, "skills", "execute", "--fake", skill, "--fake-latency", "1m", "--timeout", "100ms")
	o.wantFailure(t, exitNetwork, "No answer within --timeout 100ms")
}

func TestFake_FlagsNeedFakeAndNoNegatives(t *testing.T) {
	t.Parallel()
	withKey := invocation{env: []string{"BROWSER_USE_API_KEY=bu_some_key"}}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"--fake-latency", "1s"}, "--fake-latency needs --fake"},
		{[]string{"--fake-limit", "3"}, "--fake-limit needs --fake"},
		{[]string{"--fake-credits", "0"}, "--fake-credits needs --fake"},
		{[]string{"--fake", "--fake-latency", "-1s"}, "--fake-latency -1s is negative"},
		{[]string{"--fake", "--fake-limit", "-1"}, "--fake-limit -1 is negative"},
		{[]string{"--fake", "--fake-credits", "-5"}, "--fake-credits -5 is negative"},
	} {
		o := withKey.run(t, append([]string{"skills", "execute", skill}, tc.args...)...)
		o.wantFailure(t, exitUsage, tc.says)
	}
	// No credits at all: the first call gets the 402.
	o := run(t, "skills", "execute", "--fake", skill, "--fake-credits", "0")
	o.wantFailure(t, exitAPIError, "402")
}
