package browseruse_test

import (
	"context"
	"net/http"
	"regexp"
	"runtime"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// ourUserAgent is the form every request's User-Agent ends with; the
// version is "devel" in a test binary, whose build records none.
var ourUserAgent = `browseruse-go/devel (` + runtime.Version() + `; ` + runtime.GOOS + `/` + runtime.GOARCH + `)`

// The format, checked apart from the value computed above from the same
// runtime calls.
var userAgentForm = regexp.MustCompile(`^browseruse-go/\S+ \(go\S+; \w+/\w+\)$`)

func TestUserAgent_EveryRequestNamesTheClient(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	// A retried attempt, ExecuteSkill, ExecuteSkillAs and the generated
	// client through API(): each path a request can take.
	srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"0"}},
		JSON: map[string]any{"detail": "slow down"}})
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := browseruse.ExecuteSkillAs[any](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("the API saw %d requests, want 4", len(reqs))
	}
	for i, r := range reqs {
		ua := r.Header.Values("User-Agent")
		if len(ua) != 1 || ua[0] != ourUserAgent || !userAgentForm.MatchString(ua[0]) {
			t.Errorf("request %d: User-Agent %q, want [%q]", i+1, ua, ourUserAgent)
		}
	}
}

func TestUserAgent_CallersOwnIsKeptInFront(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	const theirs = "inventory-bot/2.1 (+https://example.com/bot)"
	var edited *http.Request
	_, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{},
		func(_ context.Context, req *http.Request) error {
			req.Header.Set("User-Agent", theirs)
			edited = req
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := srv.Requests()[0].Header.Get("User-Agent"), theirs+" "+ourUserAgent; got != want {
		t.Errorf("User-Agent sent = %q, want %q", got, want)
	}
	// Ours is added on the wire only: the request they built is theirs.
	if ua := edited.Header.Get("User-Agent"); ua != theirs {
		t.Errorf("the caller's request now says User-Agent %q, want %q", ua, theirs)
	}
}
