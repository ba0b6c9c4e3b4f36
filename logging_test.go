package browseruse_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// recorder is a slog.Handler that keeps every record, for assertions on
// attributes rather than on formatted text.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

func (r *recorder) all() []slog.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slog.Record(nil), r.records...)
}

func attrs(rec slog.Record) map[string]slog.Value {
	m := map[string]slog.Value{}
	rec.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value.Resolve(); return true })
	return m
}

func TestWithLogger_OneLinePerAttempt(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}},
		JSON: map[string]any{"detail": "slow down"}})
	var rec recorder
	c, err := srv.Client(browseruse.WithLogger(slog.New(&rec)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}

	logged := rec.all()
	if len(logged) != len(srv.Requests()) || len(logged) != 2 {
		t.Fatalf("%d log records for %d requests, want one per attempt (2)", len(logged), len(srv.Requests()))
	}
	wantPath := "/skills/" + skillID.String() + "/execute"
	for i, want := range []struct {
		status  int64
		level   slog.Level
		retried bool
	}{
		{http.StatusTooManyRequests, slog.LevelDebug, true}, // waited out: no news to the application
		{http.StatusOK, slog.LevelDebug, false},
	} {
		r, a := logged[i], attrs(logged[i])
		if r.Level != want.level {
			t.Errorf("attempt %d logged at %v, want %v", i+1, r.Level, want.level)
		}
		if got, ok := a["retry_in"]; ok != want.retried || (ok && (got.Kind() != slog.KindDuration || got.Duration() < 0)) {
			t.Errorf("attempt %d: retry_in = %v (present %v), want present %v with the wait", i+1, got, ok, want.retried)
		}
		if got := a["method"].String(); got != http.MethodPost {
			t.Errorf("attempt %d: method = %q", i+1, got)
		}
		if got := a["path"].String(); got != wantPath {
			t.Errorf("attempt %d: path = %q, want %q", i+1, got, wantPath)
		}
		if got := a["status"]; got.Kind() != slog.KindInt64 || got.Int64() != want.status {
			t.Errorf("attempt %d: status = %v, want %d", i+1, got, want.status)
		}
		if got := a["attempt"]; got.Kind() != slog.KindInt64 || got.Int64() != int64(i+1) {
			t.Errorf("attempt %d: attempt = %v", i+1, got)
		}
		if got := a["duration"]; got.Kind() != slog.KindDuration || got.Duration() <= 0 {
			t.Errorf("attempt %d: duration = %v, want a positive duration", i+1, got)
		}
	}
}

func TestWithLogger_NetworkFailureLogsTheError(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	var rec recorder
	c, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(closed),
		browseruse.WithMaxRetries(1), browseruse.WithLogger(slog.New(&rec)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err == nil {
		t.Fatal("a call to a closed port succeeded")
	}
	logged := rec.all()
	if len(logged) != 2 {
		t.Fatalf("%d log records, want 2 (the attempt and its retry)", len(logged))
	}
	for i, r := range logged {
		a := attrs(r)
		if a["error"].String() == "" || a["attempt"].Int64() != int64(i+1) || a["status"].Int64() != 0 {
			t.Errorf("record %d: attrs %v; want the error, status 0 and attempt %d", i, a, i+1)
		}
	}
	// The retry is the client's business, and the failure is the caller's
	// error to report: neither is logged above debug.
	for i, r := range logged {
		if r.Level != slog.LevelDebug {
			t.Errorf("record %d logged at %v, want debug", i, r.Level)
		}
	}
}

// An application that logs at info and reports the errors it gets logs
// each failure once: the client logs nothing at info or above, neither what
// it waited out or retried nor what it returned.
func TestWithLogger_QuietAtInfoWhateverTheOutcome(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	var out bytes.Buffer
	c, err := srv.Client(browseruse.WithMaxRetryWait(time.Millisecond),
		browseruse.WithLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))))
	if err != nil {
		t.Fatal(err)
	}
	detail := func(s string) map[string]any { return map[string]any{"detail": s} }
	badGateway := browserusetest.Reply{Status: http.StatusBadGateway, OffSpec: true, Body: []byte("bad gateway")}
	for i, tc := range []struct {
		replies []browserusetest.Reply
		wantErr bool
	}{
		// a refusal waited out, then the fake's default success
		{[]browserusetest.Reply{{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}}, JSON: detail("slow down")}}, false},
		{[]browserusetest.Reply{{Status: http.StatusPaymentRequired, JSON: detail("Insufficient credits")}}, true},
		{[]browserusetest.Reply{{Status: http.StatusUnprocessableEntity, JSON: map[string]any{"detail": []any{}}}}, true},
		{[]browserusetest.Reply{badGateway}, true}, // a POST that may have run: not re-sent
	} {
		srv.Enqueue(tc.replies...)
		_, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
		if (err != nil) != tc.wantErr {
			t.Fatalf("call %d: err = %v, want an error %v", i+1, err, tc.wantErr)
		}
	}
	if n := len(srv.Requests()); n != 5 {
		t.Fatalf("%d requests, want 5: the script is off", n)
	}
	if out.Len() != 0 {
		t.Errorf("the client logged at info level or above:\n%s", out.String())
	}
}

func TestWithLogger_NeverLogsTheKey(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	const wrongKey = "bu_wrong_key_d41d8cd98f"
	srv.Enqueue(browserusetest.Reply{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}},
		JSON: map[string]any{"detail": "slow down"}})

	var out bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug, AddSource: true}))
	good, err := srv.Client(browseruse.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := srv.Client(browseruse.WithAPIKey(wrongKey), browseruse.WithLogger(logger), browseruse.WithMaxRetries(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if _, err := good.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 1}}); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{}); err == nil {
		t.Fatal("a wrong key was accepted")
	}

	logs := out.String()
	if n := strings.Count(logs, "\n"); n != 3 {
		t.Fatalf("%d log lines, want 3 (429, 200, 401):\n%s", n, logs)
	}
	for _, key := range []string{browserusetest.APIKey, wrongKey} {
		if strings.Contains(logs, key) {
			t.Errorf("the key %q appears in the log:\n%s", key, logs)
		}
	}
}
