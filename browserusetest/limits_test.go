package browserusetest_test

import (
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/google/uuid"
)

// execAt sends one Execute Skill request through the in-process transport
// at virtual time at (from the bubble's start) and reports its status and
// when the answer came.
func execAt(t *testing.T, srv *browserusetest.Server, start time.Time, at time.Duration) (status int, answered time.Duration) {
	time.Sleep(time.Until(start.Add(at)))
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+skillPath, strings.NewReader(`{}`))
	if err != nil {
		t.Error(err)
		return 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(browseruse.KeyHeader, browserusetest.APIKey)
	resp, err := (&http.Client{Transport: srv.InProcess()}).Do(req)
	if err != nil {
		t.Error(err)
		return 0, 0
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

type answer struct {
	status int
	at     time.Duration
}

// A refusal takes the refusal latency, not the skill's: the two are what a
// client's gate must tell apart.
func TestLimits_RefusalLatencyIsNotTheSkillLatency(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(1)
	srv.SetLatency(10 * time.Second)
	srv.SetRefusalLatency(300 * time.Millisecond)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		first := make(chan answer)
		go func() { s, at := execAt(t, srv, start, 0); first <- answer{s, at} }()
		if s, at := execAt(t, srv, start, time.Second); s != 429 || at != 1300*time.Millisecond {
			t.Errorf("second call: %d at %v, want 429 at 1.3s", s, at)
		}
		if a := <-first; a.status != 200 || a.at != 10*time.Second {
			t.Errorf("first call: %d at %v, want 200 at 10s", a.status, a.at)
		}
	})
	if st := srv.Stats(); st.Refusals != 1 || st.Executions != 1 || st.MaxConcurrent != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A fake that queues before refusing runs a call a session freed for while
// it waited, and refuses the others when the wait runs out.
func TestLimits_AQueueingFakeRunsACallFreedInTime(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetConcurrencyLimit(1)
	srv.SetLatency(time.Second)
	srv.SetRefusalLatency(300 * time.Millisecond)
	srv.SetRefusalQueue(true)
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		answers := make(chan answer, 3)
		for _, at := range []time.Duration{0, 800 * time.Millisecond, 1050 * time.Millisecond} {
			go func() { s, when := execAt(t, srv, start, at); answers <- answer{s, when} }()
		}
		got := map[answer]bool{}
		for range 3 {
			got[<-answers] = true
		}
		// The first runs 0-1s; the second waits from 0.8s, gets its
		// session at 1s and runs to 2s; the third finds it taken and is
		// refused after its 0.3s.
		for _, want := range []answer{{200, time.Second}, {200, 2 * time.Second}, {429, 1350 * time.Millisecond}} {
			if !got[want] {
				t.Errorf("answers %v, want %v among them", got, want)
			}
		}
	})
	if st := srv.Stats(); st.Refusals != 1 || st.Executions != 2 || st.MaxConcurrent != 1 {
		t.Errorf("stats %+v", st)
	}
}

// The reply reports the latency the fake played, as the API reports the
// skill's: a user trying `--fake-latency 2s` sees latencyMs 2000, not 1.
func TestLimits_ReplyReportsTheLatencyPlayed(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	srv.SetLatency(1500 * time.Millisecond)
	synctest.Test(t, func(t *testing.T) {
		c, err := browseruse.New(browseruse.WithAPIKey(browserusetest.APIKey), browseruse.WithBaseURL(srv.URL),
			browseruse.WithHTTPClient(&http.Client{Transport: srv.InProcess()}))
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.ExecuteSkill(t.Context(), uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10"), browseruse.ExecuteSkillRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if r.LatencyMs != 1500 {
			t.Errorf("latencyMs = %d, want the 1500 played", r.LatencyMs)
		}
	})
}
