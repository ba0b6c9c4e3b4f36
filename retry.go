package browseruse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// isTimeout reports whether an attempt failed by running out of time, which
// costs the retry budget more: a server that hangs is costlier to retry than
// one that refuses.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// withAttempts says how many attempts a failed call made, when it made more
// than one. *APIError says it itself, in Attempts and in its message.
func withAttempts(err error, attempts int) error {
	if attempts < 2 {
		return err
	}
	return fmt.Errorf("%w (after %d attempts)", err, attempts)
}

// transient reports whether a failed exchange may succeed if sent again.
// A refused redirect, an oversized body or a certificate the client does not
// trust would fail the same way every time.
func transient(err error) bool {
	var cert *tls.CertificateVerificationError
	var record tls.RecordHeaderError // https to a server that speaks plain http
	return !errors.Is(err, ErrResponseTooLarge) && !errors.Is(err, ErrCrossOriginRedirect) &&
		!errors.Is(err, errTooManyRedirects) && !errors.As(err, &cert) && !errors.As(err, &record)
}

// retrier is the retry decision for every failure but a refusal the gate
// handles: which failures are sent again, after how long, and what the
// client's retry budget allows. It owns no loop and sends nothing, so a
// table drives it without a server. One is made per call, from the
// client's settings: it counts the call's retries and the tokens they took.
type retrier struct {
	max     int           // WithMaxRetries
	maxWait time.Duration // WithMaxRetryWait
	budget  *retryBudget  // shared by the client's calls
	clock   clock

	retries int // so far in this call
	spent   int // budget tokens those retries took
}

// failure is what the retry decision knows of an attempt that failed.
type failure struct {
	status     int           // the server's answer; 0 when there was none
	retryAfter time.Duration // its Retry-After, if any
	err        error         // why there was no answer (status 0), redacted
	unsent     bool          // the request provably never reached the server
	resendable bool          // it is idempotent, or followed no redirect
	idempotent bool
}

// decide says whether the call goes again after f, and after how long:
// wait < 0 means it does not. exhausted reports that only the client's
// retry budget said no: the caller says so in the error it returns.
func (r *retrier) decide(ctx context.Context, f failure) (wait time.Duration, exhausted bool) {
	retry, cost := r.retryable(f)
	if f.status != 0 && !retry {
		// The server is up and chose this answer: what the retries spent
		// was not spent on an outage.
		r.budget.refund(r.spent)
	}
	if !retry || r.retries >= r.max {
		return -1, false
	}
	d, ok := r.delay(ctx, r.retries+1, f.retryAfter)
	if !ok {
		return -1, false
	}
	if !r.budget.spend(cost) {
		return -1, true
	}
	r.retries++
	r.spent += cost
	return d, false
}

// retryable reports whether f may be sent again, and what a retry of it
// costs the budget.
func (r *retrier) retryable(f failure) (retry bool, cost int) {
	if f.status != 0 {
		return f.resendable && retryableStatus(f.status, f.idempotent), retryCost
	}
	cost = retryCost
	if isTimeout(f.err) {
		cost = timeoutRetryCost
	}
	// Only a request that cannot have reached the server is safe to send
	// again, unless sending it twice is harmless anyway.
	return ((f.unsent && f.resendable) || f.idempotent) && transient(f.err), cost
}

// succeeded ends a call that got its answer: the budget gets back what its
// retries took, or a token if they took none.
func (r *retrier) succeeded() { r.budget.refund(r.spent) }

// delay is how long to wait before attempt+1: the server's Retry-After if it
// sent one, else exponential backoff with full jitter, shortened to
// WithMaxRetryWait. ok is false when the server asks for longer than that
// cap, or when the wait would pass the context's deadline: the caller then
// returns the last error at once rather than sleeping into a certain
// "context deadline exceeded".
func (r *retrier) delay(ctx context.Context, attempt int, retryAfter time.Duration) (d time.Duration, ok bool) {
	if retryAfter > 0 {
		if retryAfter > r.maxWait {
			return 0, false
		}
		d = retryAfter
	} else {
		d = min(backoff(attempt), r.maxWait)
	}
	if dl, has := ctx.Deadline(); has && dl.Sub(r.clock.Now()) < d {
		return 0, false
	}
	return d, true
}

const (
	backoffBase = 500 * time.Millisecond
	backoffMax  = 8 * time.Second
)

// backoff is "full jitter": a uniform wait in [0, min(max, base*2^(n-1))).
func backoff(attempt int) time.Duration {
	ceil := backoffBase << min(attempt-1, 10)
	if ceil > backoffMax {
		ceil = backoffMax
	}
	return rand.N(ceil)
}

// retryableStatus: 429 means the request was refused, so even a POST that
// spends credits can be sent again; the others may follow partial execution
// and are only retried for methods where a repeat is harmless.
func retryableStatus(status int, idempotent bool) bool {
	switch status {
	case http.StatusTooManyRequests:
		return true
	case http.StatusRequestTimeout, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return idempotent
	}
	return false
}

// provesNotExecuted reports whether a response with status proves that the
// server did not execute the request, whatever happens to its body: a 4xx
// says the server would not process it (RFC 9110, 15.5), except a 408,
// which may come after part of it arrived. Every 4xx the API documents is
// such a refusal (429 too many sessions, 402 insufficient credits, 400,
// 404, 422).
func provesNotExecuted(status int) bool {
	return status >= 400 && status <= 499 && status != http.StatusRequestTimeout
}

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}
