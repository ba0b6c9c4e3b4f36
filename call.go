package browseruse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"
)

// call is what one call of the policy carries from its first attempt to its
// end: the request and its operation, the header with the key, the body to
// send again, the batch it belongs to, its slot at the gate, its retry
// decision, and the attempts made. It lives on send's stack: a call costs
// no allocation of its own.
type call struct {
	p          *policy
	ctx        context.Context
	req        *http.Request
	op         *operation // nil: a path the spec does not have
	header     http.Header
	body       io.ReadCloser // the first attempt's
	getBody    func() (io.ReadCloser, error)
	idempotent bool
	guard      *sendGuard // nil outside a batch
	slot       slot
	retry      retrier
	attempts   int  // sent, or about to be
	status     int  // the last attempt's, for the observer; 0 for none
	ended      bool // end was called: a deferred abandon is not a panic
}

// newCall prepares req's call: its operation, its header with the key for
// the API origin only, and a body that can be sent again.
func (p *policy) newCall(req *http.Request, guard *sendGuard) (call, error) {
	c := call{p: p, ctx: req.Context(), req: req, guard: guard, body: req.Body, getBody: req.GetBody,
		idempotent: isIdempotent(req.Method), retry: p.retrier()}
	path := strings.TrimPrefix(req.URL.Path, p.base.Path)
	c.op = p.routes.match(req.Method, path)
	c.slot = p.slot(c.op, guard)
	// Sized for the User-Agent and the key, and keyed canonically, so adding
	// them does not grow the map or allocate a canonical name on every call.
	c.header = make(http.Header, len(req.Header)+2)
	maps.Copy(c.header, req.Header)
	c.header["User-Agent"] = userAgentFor(req.Header)
	// Before the key goes in: the observer may add a trace context.
	c.ctx = p.observer.callStart(c.ctx, CallInfo{Method: req.Method, Template: c.op.template(), Path: path, URL: req.URL, Header: c.header})
	if sameOrigin(req.URL, p.base) {
		c.header[canonicalKeyHeader] = []string{p.apiKey()}
	}
	if req.Body != nil && req.Body != http.NoBody && c.getBody == nil {
		// A body we cannot rewind cannot be retried byte-identically: read it once.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return c, fmt.Errorf("browseruse: %s: reading request body: %w", c.name(), err)
		}
		c.getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		c.body, _ = c.getBody()
	}
	return c, nil
}

// end is where every call ends, and where its attempt count is set.
func (c *call) end(resp *http.Response, body []byte, err error) (sent, error) {
	c.ended = true
	c.p.observer.callEnd(c.ctx, CallResult{Attempts: c.attempts, Refusals: c.slot.refusals, Status: c.status, Err: err})
	return sent{resp: resp, body: body, op: c.op, attempts: c.attempts}, err
}

// abandon ends a call that panicked (a WithHTTPClient transport may) or
// called runtime.Goexit: its slot goes back, so a recovered panic does not
// leave the gate a slot short for good, and the observer hears of the end.
func (c *call) abandon() {
	if c.ended {
		return
	}
	c.slot.abandon()
	c.p.observer.callEnd(c.ctx, CallResult{Attempts: c.attempts, Refusals: c.slot.refusals, Status: c.status, Err: errAbandoned})
}

// name is the operation, for errors; built only for one, since a name
// costs an allocation.
func (c *call) name() string {
	if c.op != nil {
		return c.op.String()
	}
	return c.req.Method + " " + c.req.URL.Path
}

// next readies the next attempt: a slot at the gate, the batch's leave, and
// the body (rewound after the first). An attempt stopped here was not sent.
func (c *call) next() (io.ReadCloser, error) {
	if err := c.slot.acquire(c.ctx); err != nil {
		return nil, err
	}
	if err := c.guard.err(); err != nil {
		c.slot.done(false)
		return nil, err
	}
	c.attempts++
	if c.attempts == 1 || c.getBody == nil {
		return c.body, nil
	}
	body, err := c.getBody()
	if err != nil {
		c.slot.done(false)
		return nil, fmt.Errorf("browseruse: %s: rewinding request body: %w", c.name(), err)
	}
	return body, nil
}

// resendable reports whether o's request may be sent again at all. After a
// redirect the request has reached the server, whatever happened to the
// request that followed it: a 429 or a refused dial of the GET after a
// POST's 303 says nothing about the POST, which already ran.
func (c *call) resendable(o *outcome) bool { return c.idempotent || !o.redirected }

// refusedByGate reports a 429 that the gate waits out: the operation
// documents it, and the request it answers was not executed.
func (c *call) refusedByGate(o *outcome) bool {
	return c.slot.g != nil && o.status() == http.StatusTooManyRequests && c.resendable(o)
}

// apiError is the error for o's answer.
func (c *call) apiError(o *outcome) *APIError {
	e := newAPIError(o.resp, o.body, c.op)
	e.Attempts = c.attempts
	return e
}

// waitOutRefusal handles a refusal the gate waits out. Refused means not
// executed: the call goes again once the gate lets it, without counting as
// a retry. A nil error means go again.
func (c *call) waitOutRefusal(o *outcome) error {
	apiErr := c.apiError(o)
	wait, inFlight, limit := c.slot.refused(apiErr)
	c.p.observer.refused(c.ctx, RefusalInfo{Attempt: c.attempts, RetryAfter: apiErr.RetryAfter, Backoff: wait, InFlight: inFlight, Limit: limit})
	if c.slot.noWait {
		c.log(o, nil, -1, slog.Int("in_flight", inFlight), slog.Int("limit", limit))
		c.slot.done(false)
		return apiErr
	}
	// The server's word beats our guess, as a minimum: the wait is in the
	// gate, so WithMaxSlotWait and the context bound it, not
	// WithMaxRetryWait, which is for retrying failures. One that ends past
	// either is not slept into a certain failure: the 429 is returned.
	if ra := apiErr.RetryAfter; ra > 0 {
		if c.slot.outlasts(c.ctx, ra) {
			c.log(o, nil, -1)
			c.slot.done(false)
			return apiErr
		}
		wait = max(wait, ra)
	}
	c.log(o, nil, wait, slog.Int("in_flight", inFlight), slog.Int("limit", limit), slog.Int("refusals_so_far", c.slot.refusals))
	if wait > 0 {
		if err := c.slot.sleep(c.ctx, wait); err != nil {
			c.slot.done(false)
			return err
		}
	}
	return nil
}

// succeeded settles a 2xx: the slot goes back as a success, and the
// budget gets back what the call's retries took.
func (c *call) succeeded(o *outcome) {
	c.slot.done(true)
	c.retry.succeeded()
	c.log(o, nil, -1)
}

// failed settles an attempt that did not succeed and asks the retry
// decision about it. It returns the pause before the next attempt, or -1,
// and the error the call returns if there is none.
func (c *call) failed(o *outcome) (time.Duration, error) {
	f := failure{unsent: o.unsent, resendable: c.resendable(o), idempotent: c.idempotent}
	var final error
	if o.err == nil {
		apiErr := c.apiError(o)
		// Before the slot is given back, or a call of the batch waiting for
		// it would be sent after the 402.
		c.guard.stopOn(apiErr)
		final, f.status, f.retryAfter = apiErr, o.resp.StatusCode, apiErr.RetryAfter
	}
	c.slot.done(false)
	if o.err != nil {
		f.err = o.err
		if c.ctx.Err() != nil {
			c.log(o, f.err, -1)
			if c.slot.refusals > 0 {
				// Shut out until the context ended, wherever its end fell:
				// the same error as in a wait or a backoff.
				return -1, withAttempts(c.slot.err(c.ctx.Err()), c.attempts)
			}
			return -1, withAttempts(fmt.Errorf("browseruse: %s: %w", c.name(), c.ctx.Err()), c.attempts)
		}
		final = withAttempts(fmt.Errorf("browseruse: %s: %w", c.name(), f.err), c.attempts)
	}
	wait, exhausted := c.retry.decide(c.ctx, f)
	if exhausted {
		final = fmt.Errorf("%w; %w", final, ErrRetryBudgetExhausted)
	}
	c.log(o, f.err, wait)
	return wait, final
}

// pause waits before a retry of o. If the call's batch stops meanwhile, a
// call whose request never reached the server ends as not attempted.
func (c *call) pause(o *outcome, wait time.Duration, final error) error {
	c.p.observer.retry(c.ctx, c.attempts, o.status(), o.err, o.unsent, wait)
	t := c.retry.clock.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-c.ctx.Done():
		return fmt.Errorf("%w; gave up waiting to retry: %w", final, c.ctx.Err())
	case <-c.guard.stopped():
		if o.unsent {
			return c.guard.err() // it never ran
		}
		return final
	}
}

// log writes the attempt's line (see [policy.log]).
func (c *call) log(o *outcome, err error, retryIn time.Duration, extra ...slog.Attr) {
	c.p.log(c.ctx, c.req, o.status(), c.attempts, o.start, err, retryIn, extra...)
}
