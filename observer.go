package browseruse

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// An Observer is told what each call of a [Client] does: when it starts and
// ends, each attempt, each refusal for the concurrency limit (429), each wait
// for a session slot and each retry, with its reason. It is the core's half
// of instrumentation such as the otelbrowseruse module's OpenTelemetry
// traces and metrics, which keeps this module free of their dependencies, as
// grpc-go's stats.Handler does for its OpenTelemetry module. Give one to
// [New] with [WithObserver].
//
// Every field may be nil, and a client without an observer pays nothing for
// one: no allocation, no clock read. The functions are called on the
// goroutine of the call they describe, so they must be safe for concurrent
// use and should return quickly. None of them is given the API key.
type Observer struct {
	// Attached is called once, by New, with the client the observer was
	// given to, before New returns it: to read [Client.GateStats] and
	// [Client.RetryBudget] later, for gauges.
	Attached func(c *Client)
	// CallStart is called as a call starts, before it waits for a slot.
	// The context it returns is the call's from then on: the other
	// functions get it, and each attempt's request carries it.
	CallStart func(ctx context.Context, call CallInfo) context.Context
	// Attempt is called after each attempt, whatever its outcome.
	Attempt func(ctx context.Context, a AttemptInfo)
	// Refused is called when the API refuses an attempt for the account's
	// limit on concurrent sessions (429). The call is sent again once it
	// has a slot, without counting as a retry.
	Refused func(ctx context.Context, r RefusalInfo)
	// GateWait is called after the call waited for a session slot (in line
	// behind calls in flight, or backing off after a refusal), with how
	// long it waited. A call that found a slot free at once does not wait.
	GateWait func(ctx context.Context, waited time.Duration)
	// Retry is called when the client decides to send a failed attempt
	// again, before it waits to.
	Retry func(ctx context.Context, r RetryInfo)
	// CallEnd is called once as the call ends, with what it returns.
	CallEnd func(ctx context.Context, r CallResult)
}

// CallInfo describes a call as it starts.
type CallInfo struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Template is the operation's path template in the spec, relative to
	// the base URL, such as "/skills/{skill_id}/execute"; "" for a request
	// that matches no operation.
	Template string
	// Path is the request's path relative to the base URL's path, such as
	// "/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute".
	Path string
	// URL is the request's URL. Do not modify it.
	URL *url.URL
	// Header is the header every attempt of the call sends. The key is not
	// in it. CallStart may add fields, such as a trace context, and must
	// not keep it after it returns.
	Header http.Header
}

// AttemptInfo describes one attempt that ended.
type AttemptInfo struct {
	// Attempt counts the call's attempts, from 1.
	Attempt int
	// Status is the response's status code, 0 when there was no response.
	Status int
	// Err is why there was no usable response (a network error, a timeout,
	// a body too large), nil when there was one, whatever its status.
	Err error
	// Duration is how long the attempt took, the response body read.
	Duration time.Duration
}

// RefusalInfo describes a 429 for the concurrency limit.
type RefusalInfo struct {
	// Attempt is the attempt that was refused.
	Attempt int
	// RetryAfter is the response's Retry-After, 0 when it had none.
	RetryAfter time.Duration
	// Backoff is how long the call waits, keeping its slot, before it is
	// sent again: 0 when it gave its slot back to wait in line for one.
	Backoff time.Duration
	// InFlight is how many calls of the client were in flight when the
	// API refused this one, this one included, and Limit the gate's limit
	// after the refusal.
	InFlight, Limit int
}

// RetryInfo describes a retry the client decided on.
type RetryInfo struct {
	// Attempt is the attempt that failed.
	Attempt int
	// Reason says why it failed, as a short word that is one of a fixed
	// few: an HTTP status such as "503", or "timeout",
	// "connection_refused", "connection_reset", "unsent" (another failure
	// that proves the request was not sent) or "network".
	Reason string
	// Status is the failed attempt's status code, 0 if it had none.
	Status int
	// Wait is how long the client waits before sending the call again.
	Wait time.Duration
}

// CallResult describes a call that ended.
type CallResult struct {
	// Attempts is how many attempts were sent, refused ones included.
	Attempts int
	// Refusals is how many of them the API refused for the concurrency limit.
	Refusals int
	// Status is the last response's status code, 0 when there was none.
	Status int
	// Err is the error the call returns, nil on success. A call that
	// panicked (a WithHTTPClient transport may) or whose goroutine exited
	// returns nothing; its Err says so.
	Err error
}

// errAbandoned is CallResult.Err for a call that never returned: the
// observer must not take it for a success.
var errAbandoned = errors.New("browseruse: the call panicked or its goroutine exited")

// WithObserver has the client report what each of its calls does to o (see
// [Observer]). A later WithObserver replaces an earlier one; nil removes it.
func WithObserver(o *Observer) Option {
	var c *Observer
	if o != nil {
		cp := *o // the caller's later changes do not reach the client
		c = &cp
	}
	return func(s *settings) error {
		s.observer = c
		return nil
	}
}

// The methods below do nothing on a nil *Observer or a nil field, so the
// policy calls them without asking whether anyone listens.

func (o *Observer) attached(c *Client) {
	if o != nil && o.Attached != nil {
		o.Attached(c)
	}
}

func (o *Observer) callStart(ctx context.Context, call CallInfo) context.Context {
	if o == nil || o.CallStart == nil {
		return ctx
	}
	if c := o.CallStart(ctx, call); c != nil {
		return c
	}
	return ctx
}

// attempt reports an attempt that began at start; the clock is read only
// for a listener.
func (o *Observer) attempt(ctx context.Context, attempt, status int, err error, start time.Time) {
	if o != nil && o.Attempt != nil {
		o.Attempt(ctx, AttemptInfo{Attempt: attempt, Status: status, Err: err, Duration: time.Since(start)})
	}
}

func (o *Observer) refused(ctx context.Context, r RefusalInfo) {
	if o != nil && o.Refused != nil {
		o.Refused(ctx, r)
	}
}

// waitStart is when a wait for a slot began: the zero time, without a clock
// read, when nobody listens.
func (o *Observer) waitStart() time.Time {
	if o == nil || o.GateWait == nil {
		return time.Time{}
	}
	return time.Now()
}

// gateWait reports a wait that began at start (from waitStart).
func (o *Observer) gateWait(ctx context.Context, start time.Time) {
	if o != nil && o.GateWait != nil && !start.IsZero() {
		o.GateWait(ctx, time.Since(start))
	}
}

// retry reports a retry of an attempt that failed with status (err nil)
// or with err; its reason is worked out only for a listener.
func (o *Observer) retry(ctx context.Context, attempt, status int, err error, unsent bool, wait time.Duration) {
	if o != nil && o.Retry != nil {
		o.Retry(ctx, RetryInfo{Attempt: attempt, Reason: retryReason(status, err, unsent), Status: status, Wait: wait})
	}
}

func (o *Observer) callEnd(ctx context.Context, r CallResult) {
	if o != nil && o.CallEnd != nil {
		o.CallEnd(ctx, r)
	}
}

// retryReason is RetryInfo.Reason for an attempt that failed with status
// (when err is nil) or with err. The words are constants, so a retry
// allocates nothing for its reason, and a metric labelled with it stays
// small.
func retryReason(status int, err error, unsent bool) string {
	if err == nil {
		switch status {
		case http.StatusRequestTimeout:
			return "408"
		case http.StatusTooManyRequests:
			return "429"
		case http.StatusInternalServerError:
			return "500"
		case http.StatusBadGateway:
			return "502"
		case http.StatusServiceUnavailable:
			return "503"
		case http.StatusGatewayTimeout:
			return "504"
		}
		return "status"
	}
	switch {
	case isTimeout(err):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case unsent:
		return "unsent"
	}
	return "network"
}
