package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
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
	first := run(srv)
	files, _ := filepath.Glob(filepath.Join(cache, "plans", "*"))
	if len(files) != 1 {
		t.Fatalf("%d files remembered, want 1: %v", len(files), files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"plan":100`) {
		t.Errorf("remembered %s, want the plan of 100", b)
	}
	key := browserusetest.APIKey
	for _, spelling := range []string{key, url.QueryEscape(key), hex.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(key))} {
		if strings.Contains(files[0]+string(b), spelling) {
			t.Errorf("the memory holds the key as %q: %s %s", spelling, files[0], b)
		}
	}
	second := run(srv)
	t.Logf("refusals: first batch %d, second %d", first, second)
	// The second batch is refused only for a probe or two past the plan.
	if second > 3 || first < 10 {
		t.Errorf("refusals: first batch %d, second %d: want the first's overshoot gone", first, second)
	}
	if relearned := run(srv, "--relearn"); relearned < 10 {
		t.Errorf("--relearn: %d refusals, want the ramp's overshoot again", relearned)
	}
	// Another API is another account: it starts afresh.
	other := browserusetest.New(t)
	other.SetConcurrencyLimit(plan)
	other.SetLatency(300 * time.Millisecond)
	other.SetRefusalLatency(50 * time.Millisecond)
	other.SetLatencyJitter(200 * time.Millisecond)
	if n := run(other); n < 10 {
		t.Errorf("another API: %d refusals, want the ramp's overshoot: it must not use this account's plan", n)
	}
}
