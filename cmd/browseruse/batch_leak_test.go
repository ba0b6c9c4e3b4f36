package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// The batch mode in-process, to check that nothing it starts (the batch's
// workers, the progress ticker, the signal watcher, the fake) outlives it.
// Not parallel: the other tests' goroutines would count.
func TestBatch_LeavesNoGoroutineBehind(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	out := filepath.Join(t.TempDir(), "out.jsonl")
	for _, input := range []string{"{\"X\": 1}\n[]\n{\"X\": 2}\n", "{\"X\": 1}\n{\"X\": 2}\n{\"X\": 3}\n"} {
		var stdout, stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(input), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		code := c.run(context.Background(), []string{"skills", "execute", "--fake", skill, "--batch", "-", "--out", out})
		if code != exitOK && code != exitSkillFailed {
			t.Fatalf("exit code %d; stderr:\n%s", code, stderr.String())
		}
	}
	// {"X": 2} moved from line 3 to line 2 and is not run again.
	recs, ok := readRecords(t, out), map[string]int{}
	for _, r := range recs {
		if r.OK {
			ok[r.InputSha256]++
		}
	}
	if len(ok) != 3 || ok[sha(`{"X": 2}`)] != 1 {
		t.Errorf("records %+v: want one ok record for each of the 3 inputs", recs)
	}
}
