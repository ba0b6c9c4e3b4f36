package browseruse_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// inProcess returns an HTTP client that reaches srv in process, through
// wrap if it is not nil (to count or shape what is sent). A client built on
// it runs inside a testing/synctest bubble: the fake's latencies and the
// client's own waits (gate, backoff, timeouts) pass in virtual time, so a
// test asserts what happened and when, not how fast the machine was.
func inProcess(srv *browserusetest.Server, wrap func(http.RoundTripper) http.RoundTripper) browseruse.Option {
	var rt http.RoundTripper = ctxTransport{srv.InProcess()}
	if wrap != nil {
		rt = wrap(rt)
	}
	return browseruse.WithHTTPClient(&http.Client{Transport: rt})
}

// ctxTransport answers a request whose context ended before its answer
// with the context's error, as net/http's transport does; the fake's
// in-process transport returns whatever its handler wrote by then.
type ctxTransport struct{ next http.RoundTripper }

func (t ctxTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err == nil && r.Context().Err() != nil {
		resp.Body.Close()
		return nil, r.Context().Err()
	}
	return resp, err
}

// waitFor polls cond every millisecond of virtual time, inside a synctest
// bubble, and fails the test saying what it waited for if cond is still
// false after a virtual minute: a wait that cannot hang.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute (virtual) for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
