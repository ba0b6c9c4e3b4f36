package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// --params-json past the command's limit is refused before anything is
// sent, from a file as from stdin.
func TestExecute_ParamsJSONOverTheLimitIsRefusedAtOnce(t *testing.T) {
	t.Parallel()
	big := append(append([]byte(`{"text": "`), bytes.Repeat([]byte("a"), maxParamsBytes)...), `"}`...)
	name := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(name, big, 0o600); err != nil {
		t.Fatal(err)
	}
	o := run(t, "skills", "execute", "--fake", skill, "--params-json", name)
	o.wantFailure(t, exitUsage, "--params-json: "+name+" is over 10 MiB")
	o = invocation{stdin: string(big)}.run(t, "skills", "execute", "--fake", skill, "--params-json", "-")
	o.wantFailure(t, exitUsage, "--params-json: stdin is over 10 MiB")
	// At the limit it is sent.
	ok := append(append([]byte(`{"t": "`), bytes.Repeat([]byte("a"), maxParamsBytes-9)...), `"}`...)
	if err := os.WriteFile(name, ok, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, "skills", "execute", "--fake", skill, "--params-json", name, "--json").want(t, exitOK)
}

// With --batch, --timeout bounds each line's call: a line whose skill takes
// too long fails, saying so, and the batch goes on.
func TestBatch_TimeoutBoundsEachCall(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out.jsonl")
	start := time.Now()
	o := run(t, "skills", "execute", "--fake", skill, "--batch", batchInput(t, 3), "--out", out,
		"--fake-latency", "1h", "--timeout", "100ms")
	o.want(t, exitSkillFailed)
	o.wantShellTerms(t)
	recs := readRecords(t, out)
	if len(recs) != 3 {
		t.Fatalf("%d records, want 3", len(recs))
	}
	for _, r := range recs {
		if r.OK || !strings.HasPrefix(r.Error, "no answer within --timeout 100ms: ") {
			t.Errorf("line %d: ok %v, error %q: want the timeout named", r.Line, r.OK, r.Error)
		}
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("the batch took %v", d)
	}
}
