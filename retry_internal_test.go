package browseruse

import (
	"context"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"
)

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

var _ net.Error = timeoutErr{}

// The retry decision, driven by a table: no server, no sleep.
func TestRetrier_Decide(t *testing.T) {
	t.Parallel()
	refused := &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}
	reset := fmt.Errorf("read: %w", syscall.ECONNRESET)
	const never = time.Duration(-1)
	for _, tt := range []struct {
		name          string
		f             failure
		retries       int           // already made by the call
		spent         int           // tokens they took
		tokens        int           // in the budget; 0 means full
		deadline      time.Duration // from now; 0 means none
		wantWait      time.Duration // exact when the server set Retry-After, else the backoff's bound
		wantExhausted bool
		wantTokens    int // in the budget after
	}{
		{name: "503_get_backs_off", f: failure{status: 503, resendable: true, idempotent: true},
			wantWait: backoffBase, wantTokens: budgetTokens - retryCost},
		{name: "503_get_waits_retry_after", f: failure{status: 503, retryAfter: 3 * time.Second, resendable: true, idempotent: true},
			wantWait: 3 * time.Second, wantTokens: budgetTokens - retryCost},
		{name: "503_post_may_have_run", f: failure{status: 503, resendable: true},
			spent: 10, tokens: 100, wantWait: never, wantTokens: 110},
		{name: "429_post_was_refused", f: failure{status: 429, retryAfter: time.Second, resendable: true},
			wantWait: time.Second, wantTokens: budgetTokens - retryCost},
		{name: "429_after_a_redirect_of_a_post", f: failure{status: 429, resendable: false},
			wantWait: never, wantTokens: budgetTokens},
		{name: "400_refunds_what_the_retries_spent", f: failure{status: 400, resendable: true, idempotent: true},
			spent: 10, tokens: 200, wantWait: never, wantTokens: 210},
		{name: "400_without_retries_earns_a_token", f: failure{status: 400, resendable: true},
			tokens: 200, wantWait: never, wantTokens: 200 + successNoRetryAdd},
		{name: "retry_after_past_max_retry_wait", f: failure{status: 503, retryAfter: 2 * time.Minute, resendable: true, idempotent: true},
			wantWait: never, wantTokens: budgetTokens},
		{name: "wait_past_the_deadline", f: failure{status: 503, retryAfter: 5 * time.Second, resendable: true, idempotent: true},
			deadline: 2 * time.Second, wantWait: never, wantTokens: budgetTokens},
		{name: "retries_used_up", f: failure{status: 503, resendable: true, idempotent: true},
			retries: 2, spent: 10, tokens: 100, wantWait: never, wantTokens: 100},
		{name: "budget_spent", f: failure{status: 503, resendable: true, idempotent: true},
			tokens: retryCost - 1, wantWait: never, wantExhausted: true, wantTokens: retryCost - 1},
		{name: "unsent_post_is_sent_again", f: failure{err: refused, unsent: true, resendable: true},
			wantWait: backoffBase, wantTokens: budgetTokens - retryCost},
		{name: "post_that_may_have_arrived", f: failure{err: reset, resendable: true},
			wantWait: never, wantTokens: budgetTokens},
		{name: "unsent_post_after_a_redirect", f: failure{err: refused, unsent: true, resendable: false},
			wantWait: never, wantTokens: budgetTokens},
		{name: "get_reset_is_sent_again", f: failure{err: io.ErrUnexpectedEOF, resendable: true, idempotent: true},
			wantWait: backoffBase, wantTokens: budgetTokens - retryCost},
		{name: "timeout_costs_more", f: failure{err: timeoutErr{}, resendable: true, idempotent: true},
			wantWait: backoffBase, wantTokens: budgetTokens - timeoutRetryCost},
		{name: "too_large_fails_the_same_again", f: failure{err: ErrResponseTooLarge, resendable: true, idempotent: true},
			wantWait: never, wantTokens: budgetTokens},
		{name: "cross_origin_redirect_fails_the_same_again", f: failure{err: ErrCrossOriginRedirect, resendable: true, idempotent: true},
			wantWait: never, wantTokens: budgetTokens},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeClock()
			budget := newRetryBudget()
			if tt.tokens != 0 {
				budget.tokens = tt.tokens
			}
			r := retrier{max: 2, maxWait: time.Minute, budget: budget, clock: fc.clock(), retries: tt.retries, spent: tt.spent}
			ctx := context.Background()
			if tt.deadline != 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, fc.now().Add(tt.deadline))
				defer cancel()
			}
			wait, exhausted := r.decide(ctx, tt.f)
			switch {
			case tt.wantWait == never && wait >= 0:
				t.Errorf("retries after %v; want no retry", wait)
			case tt.wantWait >= 0 && tt.f.retryAfter > 0 && wait != tt.wantWait:
				t.Errorf("waits %v; want the server's %v", wait, tt.wantWait)
			case tt.wantWait >= 0 && tt.f.retryAfter == 0 && (wait < 0 || wait >= tt.wantWait):
				t.Errorf("waits %v; want a backoff in [0, %v)", wait, tt.wantWait)
			}
			if exhausted != tt.wantExhausted {
				t.Errorf("exhausted = %v, want %v", exhausted, tt.wantExhausted)
			}
			if budget.tokens != tt.wantTokens {
				t.Errorf("budget holds %d tokens after, want %d", budget.tokens, tt.wantTokens)
			}
			if want := tt.retries + btoi(wait >= 0); r.retries != want {
				t.Errorf("retries = %d after, want %d", r.retries, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A call that succeeds after retrying gives the budget back what its
// retries took: a burst of failures that healed leaves the bucket as full
// as before.
func TestRetrier_SuccessRefundsTheRetries(t *testing.T) {
	t.Parallel()
	budget := newRetryBudget()
	budget.tokens = 100
	r := retrier{max: 3, maxWait: time.Minute, budget: budget, clock: newFakeClock().clock()}
	for range 2 {
		if wait, _ := r.decide(context.Background(), failure{err: timeoutErr{}, resendable: true, idempotent: true}); wait < 0 {
			t.Fatal("a timed-out GET was not retried")
		}
	}
	if budget.tokens != 100-2*timeoutRetryCost {
		t.Fatalf("budget %d after two timeouts, want %d", budget.tokens, 100-2*timeoutRetryCost)
	}
	r.succeeded()
	if budget.tokens != 100 {
		t.Errorf("budget %d after the success, want 100 back", budget.tokens)
	}
}
