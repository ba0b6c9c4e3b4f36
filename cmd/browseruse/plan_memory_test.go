package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go/browserusetest"
)

// A batch remembers the account's plan, and the next batch on the same
// account starts from it: the whole plan from its first call, with no
// ramp and no overshoot. Before, every run started at 10 and overshot the
// plan once at its first refusal. The memory never holds the key.
func TestBatch_TheNextBatchStartsFromThePlanLearned(t *testing.T) {
	const plan, lines = 100, 400
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(plan)
	srv.SetLatency(300 * time.Millisecond)
	srv.SetRefusalLatency(50 * time.Millisecond)
	srv.SetLatencyJitter(200 * time.Millisecond) // as real skills vary
	cache, input := t.TempDir(), batchInput(t, lines)
	env := map[string]string{"BROWSER_USE_API_KEY": browserusetest.APIKey, "BROWSER_USE_CACHE_DIR": cache}
	run := func(srv *browserusetest.Server, extra ...string) int {
		t.Helper()
		before := srv.Stats().Refusals
		var stdout, stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
		args := append([]string{"skills", "execute", skill, "--base-url", srv.URL, "--batch", input}, extra...)
		if code := c.run(context.Background(), args); code != 0 {
			t.Fatalf("exit code %d:\n%s", code, stderr.String())
		}
		return srv.Stats().Refusals - before
	}
	// What the gate learns on a loaded machine may be short of the plan
	// (it counts the calls it sent before the refused one): the memory is
	// seeded here, and what a batch saves is checked for its bounds.
	key := browserusetest.APIKey
	planMemoryFor(cache, srv.URL, key).save(plan, time.Now())
	second := run(srv)
	// Refused only for a probe or two past the plan, not the ramp's
	// overshoot (40 to 45 here).
	if second > 3 {
		t.Errorf("%d refusals starting from the plan remembered, want a probe or two", second)
	}
	if relearned := run(srv, "--relearn"); relearned < 10 {
		t.Errorf("--relearn: %d refusals, want the ramp's overshoot again", relearned)
	}
	// Another API is another account: it starts afresh, and is
	// remembered apart.
	other := browserusetest.New(t)
	other.SetConcurrencyLimit(plan)
	other.SetLatency(300 * time.Millisecond)
	other.SetRefusalLatency(50 * time.Millisecond)
	other.SetLatencyJitter(200 * time.Millisecond)
	if n := run(other); n < 10 {
		t.Errorf("another API: %d refusals, want the ramp's overshoot: it must not use this account's plan", n)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "plans", "*"))
	if len(files) != 2 {
		t.Fatalf("%d files remembered, want one per account: %v", len(files), files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r rememberedPlan
		if err := json.Unmarshal(b, &r); err != nil || r.Plan < 1 || r.Plan > plan*5/4 {
			t.Errorf("remembered %s (%v), want a plan of 1 to %d", b, err, plan*5/4)
		}
		for _, spelling := range []string{key, url.QueryEscape(key), hex.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(key))} {
			if strings.Contains(f+string(b), spelling) {
				t.Errorf("the memory holds the key as %q: %s %s", spelling, f, b)
			}
		}
	}
}
