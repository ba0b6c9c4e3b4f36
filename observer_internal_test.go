package browseruse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

// A client without an observer, or with one that leaves fields nil, calls
// the hooks as usual: each must do nothing rather than panic.
func TestObserver_NilDoesNothing(t *testing.T) {
	ctx := context.Background()
	for _, o := range []*Observer{nil, {}} {
		if got := o.callStart(ctx, CallInfo{}); got != ctx {
			t.Errorf("%+v: callStart changed the context", o)
		}
		if !o.waitStart().IsZero() {
			t.Errorf("%+v: waitStart read the clock with nobody to tell", o)
		}
		o.attached(nil)
		o.attempt(ctx, 1, 200, nil, time.Now())
		o.refused(ctx, RefusalInfo{})
		o.gateWait(ctx, time.Now())
		o.retry(ctx, 1, 503, nil, false, time.Second)
		o.callEnd(ctx, CallResult{})
	}
}

// A CallStart that returns nil keeps the call's context: a nil context
// would panic at the first attempt.
func TestObserver_CallStartNilContextKeepsTheCalls(t *testing.T) {
	ctx := context.Background()
	o := &Observer{CallStart: func(context.Context, CallInfo) context.Context { return nil }}
	if got := o.callStart(ctx, CallInfo{}); got != ctx {
		t.Error("a nil context from CallStart replaced the call's")
	}
}

func TestObserver_GateWaitReportsTheWait(t *testing.T) {
	var got time.Duration
	o := &Observer{GateWait: func(_ context.Context, d time.Duration) { got = d }}
	start := o.waitStart()
	if start.IsZero() {
		t.Fatal("waitStart did not read the clock for a listener")
	}
	o.gateWait(context.Background(), start.Add(-time.Second))
	if got < time.Second {
		t.Errorf("GateWait got %v, want at least the 1s waited", got)
	}
}

// Reasons become metric labels: each must be one of a few constants,
// whatever the error says.
func TestRetryReason(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	reset := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	for _, tc := range []struct {
		status int
		err    error
		unsent bool
		want   string
	}{
		{503, nil, false, "503"},
		{502, nil, false, "502"},
		{429, nil, false, "429"},
		{418, nil, false, "status"},
		{0, fmt.Errorf("browseruse: x: %w", refused), true, "connection_refused"},
		{0, reset, false, "connection_reset"},
		{0, context.DeadlineExceeded, false, "timeout"},
		{0, &net.DNSError{Err: "no such host", Name: "example.invalid"}, true, "unsent"},
		{0, errors.New("http2: stream closed"), false, "network"},
	} {
		if got := retryReason(tc.status, tc.err, tc.unsent); got != tc.want {
			t.Errorf("retryReason(%d, %v, %v) = %q, want %q", tc.status, tc.err, tc.unsent, got, tc.want)
		}
	}
}

// The retry statuses the policy retries all have a reason of their own.
func TestRetryReason_CoversRetryableStatuses(t *testing.T) {
	for status := 100; status < 600; status++ {
		if retryableStatus(status, true) && retryReason(status, nil, false) == "status" {
			t.Errorf("retryable status %d has no reason of its own", status)
		}
	}
}
