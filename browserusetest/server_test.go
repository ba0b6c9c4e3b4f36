package browserusetest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

const skillPath = "/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute"

// post sends a raw request, bypassing the client, to see exactly what the
// fake answers to requests the client would never send.
func post(t *testing.T, srv *browserusetest.Server, path, key, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set(browseruse.KeyHeader, key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("answer %d is not JSON: %s", resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func TestServer_RefusesWhatTheAPIRefuses(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	for _, tt := range []struct {
		name, path, key, body string
		status                int
		detail                string
	}{
		{"no_key", skillPath, "", `{}`, 401, "Missing API key"},
		{"wrong_key", skillPath, "bu_other", `{}`, 401, "Invalid API key"},
		{"unknown_path", "/nope", browserusetest.APIKey, `{}`, 404, "Not Found"},
		{"skill_id_not_uuid", "/skills/abc/execute", browserusetest.APIKey, `{}`, 422, "skill_id"},
		{"session_not_uuid", skillPath, browserusetest.APIKey, `{"sessionId":"abc"}`, 422, "sessionId"},
		{"parameters_not_object", skillPath, browserusetest.APIKey, `{"parameters":[1]}`, 422, "parameters"},
		{"valid", skillPath, browserusetest.APIKey, `{"parameters":{"a":1},"sessionId":null}`, 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, srv, tt.path, tt.key, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d (%v), want %d", status, out, tt.status)
			}
			got, _ := json.Marshal(out["detail"])
			if tt.detail != "" && !strings.Contains(string(got), tt.detail) {
				t.Errorf("detail = %s, want it to mention %q", got, tt.detail)
			}
			if status == 422 {
				list, ok := out["detail"].([]any)
				if !ok || len(list) == 0 {
					t.Fatalf("422 detail = %v, want the API's list of {loc, msg, type}", out["detail"])
				}
				first := list[0].(map[string]any)
				if _, ok := first["loc"].([]any); !ok || first["msg"] == "" {
					t.Errorf("422 entry = %v", first)
				}
			}
		})
	}
}

func TestServer_ScriptedRepliesInOrder(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(
		browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}},
		browserusetest.Reply{JSON: map[string]any{"success": true, "result": "second"}},
	)
	if status, _ := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 404 {
		t.Errorf("first = %d, want 404", status)
	}
	if _, out := post(t, srv, skillPath, browserusetest.APIKey, `{}`); out["result"] != "second" {
		t.Errorf("second = %v", out)
	}
	if _, out := post(t, srv, skillPath, browserusetest.APIKey, `{"parameters":{"k":"v"}}`); out["success"] != true {
		t.Errorf("after the script the default answers again, got %v", out)
	}
	if n := len(srv.Requests()); n != 3 {
		t.Errorf("recorded %d requests, want 3", n)
	}
}

func TestServer_CatchesRepliesThatBreakTheSpec(t *testing.T) {
	t.Parallel()
	srv := browserusetest.NewServer() // not New(t): the violation is the point
	defer srv.Close()
	// "success" is required and a boolean: a test scripting this would be
	// testing against an API that does not exist.
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": "yes"}})
	status, out := post(t, srv, skillPath, browserusetest.APIKey, `{}`)
	if status != 500 || !strings.Contains(out["detail"].(string), "breaks the spec") {
		t.Errorf("answer = %d %v, want 500 explaining the violation", status, out)
	}
	if len(srv.Violations()) != 1 {
		t.Errorf("violations = %v, want 1", srv.Violations())
	}

	// Marked OffSpec it is sent as is, and undocumented statuses are not judged.
	srv.Enqueue(
		browserusetest.Reply{JSON: map[string]any{"success": "yes"}, OffSpec: true},
		browserusetest.Reply{Status: 503, JSON: map[string]any{"anything": 1}},
	)
	if status, out := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 200 || out["success"] != "yes" {
		t.Errorf("off-spec reply = %d %v", status, out)
	}
	if status, _ := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 503 {
		t.Errorf("undocumented status = %d, want 503", status)
	}
	if len(srv.Violations()) != 1 {
		t.Errorf("violations = %v, want still 1", srv.Violations())
	}
}

func TestLimits_RefuseAsTheSpecDocuments(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t) // fails the test if a refusal breaks the spec
	srv.SetConcurrencyLimit(2)
	release := srv.HoldSessions(2)
	if status, out := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 429 || out["detail"] != browserusetest.TooManySessionsDetail {
		t.Errorf("at the limit: %d %v, want the spec's 429", status, out)
	}
	release()
	release() // twice is once
	if status, _ := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 200 {
		t.Errorf("after release: %d, want 200", status)
	}
	srv.SetCredits(1)
	if status, _ := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 200 {
		t.Errorf("with one credit: %d, want 200", status)
	}
	if status, out := post(t, srv, skillPath, browserusetest.APIKey, `{}`); status != 402 || out["detail"] != browserusetest.InsufficientCreditsDetail {
		t.Errorf("credits spent: %d %v, want the spec's 402", status, out)
	}
	want := browserusetest.Stats{Requests: 4, Refusals: 1, InsufficientCredits: 1, Executions: 2, MaxConcurrent: 2}
	if got := srv.Stats(); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

// A call admitted holds its session for the latency: a call during it is
// refused, one after it runs. In virtual time: on a loaded machine the
// second call could come after the first's 300 ms and be admitted.
func TestLimits_LatencyHoldsTheSession(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(1)
	srv.SetLatency(300 * time.Millisecond)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		first := make(chan answer)
		go func() { s, at := execAt(t, srv, start, 0); first <- answer{s, at} }()
		if s, _ := execAt(t, srv, start, 299*time.Millisecond); s != 429 {
			t.Errorf("second call during the first: %d, want 429", s)
		}
		if a := <-first; a != (answer{200, 300 * time.Millisecond}) {
			t.Errorf("first call: %d at %v, want 200 at 300ms", a.status, a.at)
		}
		if s, _ := execAt(t, srv, start, time.Since(start)); s != 200 {
			t.Errorf("after the first ended: %d, want 200", s)
		}
	})
}

// A negative hold would raise the account's limit and make Stats report
// fewer sessions than ran: a test written that way must fail loudly.
func TestHoldSessions_NegativePanics(t *testing.T) {
	srv := browserusetest.New(t)
	defer func() {
		if recover() == nil {
			t.Errorf("HoldSessions(-1) did not panic; stats %+v", srv.Stats())
		}
	}()
	srv.HoldSessions(-1)
}

// A fake that serves calls for long (the command's --fake) can keep only
// the last requests, so that it does not grow with each one; its stats
// still count them all.
func TestServer_SetRequestLogKeepsTheLastRequests(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	send := func(from, to int) {
		for k := from; k <= to; k++ {
			post(t, srv, skillPath, browserusetest.APIKey, fmt.Sprintf(`{"parameters":{"k":%d}}`, k))
		}
	}
	bodies := func() (got []string) {
		for _, r := range srv.Requests() {
			got = append(got, string(r.Body))
		}
		return got
	}
	want := func(ks ...int) (w []string) {
		for _, k := range ks {
			w = append(w, fmt.Sprintf(`{"parameters":{"k":%d}}`, k))
		}
		return w
	}
	send(1, 5)
	srv.SetRequestLog(3) // of those held too
	if got := bodies(); !slices.Equal(got, want(3, 4, 5)) {
		t.Errorf("after SetRequestLog(3): %q, want the last 3", got)
	}
	send(6, 10)
	if got := bodies(); !slices.Equal(got, want(8, 9, 10)) {
		t.Errorf("5 more later: %q, want the last 3, oldest first", got)
	}
	srv.SetRequestLog(0)
	send(11, 20)
	if got := bodies(); len(got) != 0 {
		t.Errorf("with SetRequestLog(0): %q, want none", got)
	}
	srv.SetRequestLog(-1)
	send(21, 22)
	if got := bodies(); !slices.Equal(got, want(21, 22)) {
		t.Errorf("with SetRequestLog(-1): %q, want all since", got)
	}
	if n := srv.Stats().Requests; n != 22 {
		t.Errorf("Stats().Requests = %d, want every call counted: 22", n)
	}
}
