package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
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
// ramp and no overshoot (what the gate does from a starting limit is
// TestGate_AStartingLimitUsesThePlanFromTheFirstCall's, in virtual time).
// Before, every run started at 10 and overshot the plan once at its first
// refusal. The memory never holds the key.
func TestBatch_TheNextBatchStartsFromThePlanLearned(t *testing.T) {
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(20)
	srv.SetLatency(200 * time.Millisecond) // calls hold their sessions: the batch meets the limit
	cache := t.TempDir()
	key := browserusetest.APIKey
	env := map[string]string{"BROWSER_USE_API_KEY": key, "BROWSER_USE_CACHE_DIR": cache}
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] }}
	startsAt := func(a runOptions) int {
		t.Helper()
		client, closeClient, err := c.newClient(&executeArgs{runOptions: a})
		if err != nil {
			t.Fatal(err)
		}
		defer closeClient()
		return client.GateStats().Limit
	}
	batch := runOptions{batch: "in.jsonl", baseURL: srv.URL}
	if n := startsAt(batch); n != 10 {
		t.Fatalf("a first batch starts at %d, want 10", n)
	}
	// A batch saves what its client learned: run one against the fake.
	var stderr bytes.Buffer
	c.stderr = &stderr
	if code := c.run(context.Background(), []string{"skills", "execute", skill, "--base-url", srv.URL, "--batch", batchInput(t, 100)}); code != 0 {
		t.Fatalf("exit code %d:\n%s", code, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(cache, "plans", "*"))
	if len(files) != 1 {
		t.Fatalf("%d files remembered, want 1: %v", len(files), files)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var r rememberedPlan
	// What the gate learns on a loaded machine may be a little off the
	// plan: it counts the calls it sent before the refused one.
	if err := json.Unmarshal(b, &r); err != nil || r.Plan < 1 || r.Plan > 100 {
		t.Fatalf("remembered %s (%v), want a plan of 1 to the 100 lines", b, err)
	}
	for _, spelling := range []string{key, url.QueryEscape(key), hex.EncodeToString([]byte(key)), base64.StdEncoding.EncodeToString([]byte(key))} {
		if strings.Contains(files[0]+string(b), spelling) {
			t.Errorf("the memory holds the key as %q: %s %s", spelling, files[0], b)
		}
	}
	var said bytes.Buffer
	c.stderr = &said
	if n := startsAt(batch); n != r.Plan {
		t.Errorf("the next batch starts at %d, want the %d remembered", n, r.Plan)
	}
	// And says so: a user sees why it met no ramp.
	if want := fmt.Sprintf("plan of %d sessions", r.Plan); !strings.Contains(said.String(), want) {
		t.Errorf("stderr %q, want it to say %q", said.String(), want)
	}
	c.stderr = io.Discard
	// Capped below it with --concurrency, at the cap: a limit above it
	// would leave the account's other clients no gap (README, Sharing).
	capped := batch
	capped.concurrency = max(1, r.Plan/2)
	if n := startsAt(capped); n != capped.concurrency {
		t.Errorf("--concurrency %d starts at %d, want %[1]d", capped.concurrency, n)
	}
	relearn := batch
	relearn.relearn = true
	if n := startsAt(relearn); n != 10 {
		t.Errorf("--relearn starts at %d, want 10", n)
	}
	// The same API with a slash at the end is the same account; another
	// API or key is another; a single call learns nothing.
	slash := batch
	slash.baseURL = srv.URL + "/"
	if n := startsAt(slash); n != r.Plan {
		t.Errorf("the base URL with a slash starts at %d, want the %d remembered", n, r.Plan)
	}
	other := batch
	other.baseURL = "http://127.0.0.1:9"
	if n := startsAt(other); n != 10 {
		t.Errorf("another base URL starts at %d, want 10", n)
	}
	env["BROWSER_USE_API_KEY"] = "bu_another_key"
	if n := startsAt(batch); n != 10 {
		t.Errorf("another key starts at %d, want 10", n)
	}
	env["BROWSER_USE_API_KEY"] = key
	single := batch
	single.batch = ""
	if n := startsAt(single); n != 10 {
		t.Errorf("a single call starts at %d, want 10", n)
	}
	// Too old, it is not used.
	planMemoryFor(cache, srv.URL, key).save(r.Plan, time.Now().Add(-planMemoryAge-time.Hour))
	if n := startsAt(batch); n != 10 {
		t.Errorf("a plan remembered %v ago: starts at %d, want 10", planMemoryAge+time.Hour, n)
	}
}
