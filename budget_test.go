package browseruse_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
)

// roundTripper answers each request with answer(n), n counting from 1.
type roundTripper struct {
	n      atomic.Int64
	answer func(n int64, r *http.Request) (*http.Response, error)
}

func (rt *roundTripper) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return rt.answer(rt.n.Add(1), r)
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

func notFound(r *http.Request) *http.Response {
	return &http.Response{StatusCode: 404, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"detail":"Skill not found"}`)), Request: r}
}

func TestRetryBudget_OutageCostsAboutOneRequestPerCall(t *testing.T) {
	t.Parallel()
	down := &roundTripper{answer: func(int64, *http.Request) (*http.Response, error) { return nil, errRefused }}
	c := client(t, "http://127.0.0.1:1", &http.Client{Transport: down}, browseruse.WithMaxRetryWait(time.Millisecond))
	const goroutines, each = 64, 16
	var budgetErrs atomic.Int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				_, err := execute(t.Context(), c, nil)
				if err == nil {
					t.Error("a call succeeded against a dead server")
				}
				if errors.Is(err, browseruse.ErrRetryBudgetExhausted) {
					budgetErrs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	calls := goroutines * each
	// Retries off would send one request per call; the budget allows 100
	// retries (500 tokens, 5 each) before that.
	sent := down.n.Load()
	t.Logf("%d requests for %d calls: %.2fx retries off", sent, calls, float64(sent)/float64(calls))
	if float64(sent) > 1.2*float64(calls) {
		t.Errorf("%d requests for %d calls, want at most 1.2x", sent, calls)
	}
	if budgetErrs.Load() == 0 {
		t.Error("no call said the retry budget was exhausted")
	}
}

func TestRetryBudget_ExhaustedErrorSaysItIsTheClients(t *testing.T) {
	t.Parallel()
	down := &roundTripper{answer: func(int64, *http.Request) (*http.Response, error) { return nil, errRefused }}
	c := client(t, "http://127.0.0.1:1", &http.Client{Transport: down}, browseruse.WithMaxRetryWait(time.Millisecond))
	var err error
	for range 200 {
		if _, err = execute(t.Context(), c, nil); errors.Is(err, browseruse.ErrRetryBudgetExhausted) {
			break
		}
	}
	if !errors.Is(err, browseruse.ErrRetryBudgetExhausted) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want the budget error with the failure it did not retry", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "client's own retry budget") {
		t.Errorf("message %q does not say the budget is the client's own", msg)
	}
}

func TestRetryBudget_ANonRetryableAnswerGivesTheTokensBack(t *testing.T) {
	t.Parallel()
	// Each call: refused once, retried, then a 404 from a server that is up.
	// Without the refund the bucket would empty after 100 calls.
	flaky := &roundTripper{answer: func(n int64, r *http.Request) (*http.Response, error) {
		if n%2 == 1 {
			return nil, errRefused
		}
		return notFound(r), nil
	}}
	c := client(t, "http://127.0.0.1:1", &http.Client{Transport: flaky}, browseruse.WithMaxRetryWait(time.Millisecond))
	for i := range 300 {
		_, err := execute(t.Context(), c, nil)
		if !errors.Is(err, browseruse.ErrNotFound) {
			t.Fatalf("call %d: err = %v, want the 404 after one retry", i+1, err)
		}
	}
}
