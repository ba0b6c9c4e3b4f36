package browseruse_test

import (
	"context"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// Attached is how an instrumentation finds the client to read its gauges
// from: New must call it once, with the client it returns.
func TestWithObserver_AttachedGetsTheClient(t *testing.T) {
	srv := browserusetest.New(t)
	var got []*browseruse.Client
	c, err := srv.Client(browseruse.WithObserver(&browseruse.Observer{
		Attached: func(c *browseruse.Client) { got = append(got, c) },
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != c {
		t.Fatalf("Attached got %v, want the client New returned, once", got)
	}
}

// The observer is copied: a caller changing its struct after New does not
// change what a running client calls, which would be a data race.
func TestWithObserver_CopiesTheObserver(t *testing.T) {
	srv := browserusetest.New(t)
	calls := 0
	o := &browseruse.Observer{Attached: func(*browseruse.Client) { calls++ }}
	opt := browseruse.WithObserver(o)
	o.Attached = nil
	if _, err := srv.Client(opt); err != nil {
		t.Fatal(err)
	}
	if calls != 1 {
		t.Errorf("Attached called %d times, want the 1 of the observer as given", calls)
	}
}

// A later WithObserver replaces an earlier one, and nil removes it.
func TestWithObserver_LastWins(t *testing.T) {
	srv := browserusetest.New(t)
	var first, second int
	_, err := srv.Client(
		browseruse.WithObserver(&browseruse.Observer{Attached: func(*browseruse.Client) { first++ }}),
		browseruse.WithObserver(&browseruse.Observer{Attached: func(*browseruse.Client) { second++ }}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if first != 0 || second != 1 {
		t.Errorf("Attached calls: first %d, second %d; want 0, 1", first, second)
	}
	_, err = srv.Client(
		browseruse.WithObserver(&browseruse.Observer{Attached: func(*browseruse.Client) { first++ }}),
		browseruse.WithObserver(nil),
	)
	if err != nil || first != 0 {
		t.Errorf("WithObserver(nil) kept the earlier observer (calls %d, err %v)", first, err)
	}
}

func TestRetryBudget_StartsFullAndPaysForRetries(t *testing.T) {
	srv := browserusetest.New(t)
	c, err := srv.Client()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.RetryBudget(); got != 500 {
		t.Fatalf("a new client's RetryBudget() = %d, want 500", got)
	}
	// A call whose connection is refused every time is retried once (5
	// tokens) and fails: nothing proves the server up, so nothing comes back.
	refusing := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close() // as RoundTrip must, and net/http's does before a dial error
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	})}
	c, err = srv.Client(browseruse.WithHTTPClient(refusing), browseruse.WithMaxRetries(1), browseruse.WithMaxRetryWait(time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{}); err == nil {
		t.Fatal("a refused connection succeeded")
	}
	if got := c.RetryBudget(); got != 495 {
		t.Errorf("RetryBudget() after one retry = %d, want 495", got)
	}
}
