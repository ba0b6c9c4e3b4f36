package browseruse

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// KeyHeader is the header that carries the API key.
const KeyHeader = "X-Browser-Use-API-Key"

var canonicalKeyHeader = http.CanonicalHeaderKey(KeyHeader)

// policy is the single seam between the generated client and the network:
// every request of every operation goes through do. It adds the key for the
// API origin only, replays bodies on safe retries, bounds each attempt and
// each body, and turns every response that is not the operation's documented
// success into an error.
type policy struct {
	hc           *http.Client
	key          secret
	base         *url.URL // scheme, host and path of the API; no trailing slash
	routes       *routeTable
	maxRetries   int
	timeout      time.Duration
	maxBody      int64
	maxRetryWait time.Duration
	logger       *slog.Logger
	gate         *gate // calls of operations that document a 429
	maxSlotWait  time.Duration
	noSlotWait   bool
	budget       *retryBudget            // retries of everything else
	unmarshal    func([]byte, any) error // WithJSONUnmarshal's; nil for unmarshalJSON
	observer     *Observer               // WithObserver's; nil for none
}

// The policy is reachable from the generated client that API() returns (its
// exported Client field), where fmt would print the unexported key field as
// a plain string: fmt calls no method on an unexported field. So the policy
// prints as its origin only, whatever the verb.
func (p *policy) String() string {
	return "browseruse policy for " + p.base.Scheme + "://" + p.base.Host
}
func (p *policy) GoString() string              { return fmt.Sprintf("%q", p.String()) }
func (p *policy) Format(f fmt.State, verb rune) { fmt.Fprint(f, p.String()) }
func (p *policy) LogValue() slog.Value          { return slog.StringValue(p.String()) }

// jsonUnmarshal is the decoder of Execute Skill results.
func (p *policy) jsonUnmarshal() func([]byte, any) error {
	if p.unmarshal != nil {
		return p.unmarshal
	}
	return unmarshalJSON
}

// sent is one finished exchange: a 2xx response whose body has been read
// (and closed), the operation it belongs to and how many attempts it took.
type sent struct {
	resp     *http.Response
	body     []byte
	op       *operation
	attempts int
}

// send runs the attempts for one call. It returns a 2xx response with its
// body read, or an error: *APIError for any other status, a wrapped network
// or context error otherwise. The caller's request is not modified: the key
// goes on a copy of its header, so it never shows in req or in resp.Request
// as the caller holds them.
func (p *policy) send(req *http.Request) (s sent, err error) {
	ctx := req.Context()
	path := strings.TrimPrefix(req.URL.Path, p.base.Path)
	op := p.routes.match(req.Method, path)
	// Built only for an error: a name costs an allocation per call.
	name := func() string {
		if op != nil {
			return op.String()
		}
		return req.Method + " " + req.URL.Path
	}
	// Sized for the User-Agent and the key, and keyed canonically, so adding
	// them does not grow the map or allocate a canonical name on every call.
	header := make(http.Header, len(req.Header)+2)
	maps.Copy(header, req.Header)
	header["User-Agent"] = userAgentFor(req.Header)
	// Before the key goes in: the observer may add a trace context.
	ctx = p.observer.callStart(ctx, CallInfo{Method: req.Method, Template: op.template(), Path: path, URL: req.URL, Header: header})
	refusals, lastStatus := 0, 0
	defer func() {
		p.observer.callEnd(ctx, CallResult{Attempts: s.attempts, Refusals: refusals, Status: lastStatus, Err: err})
	}()
	if sameOrigin(req.URL, p.base) {
		header[canonicalKeyHeader] = []string{string(p.key)}
	}
	getBody := req.GetBody
	firstBody := req.Body
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		// A body we cannot rewind cannot be retried byte-identically: read it once.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return sent{}, fmt.Errorf("browseruse: %s: reading request body: %w", name(), err)
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
		firstBody, _ = getBody()
	}
	idempotent := isIdempotent(req.Method)
	gated := op != nil && op.gated
	// A value, not a pointer: no allocation per call.
	// A call of a batch: the batch may stop it before it is sent.
	guard, guarded := ctx.Value(sendGuardKey{}).(sendGuard)
	slot := slotWait{g: p.gate, op: op, max: p.maxSlotWait, guard: guard, obs: p.observer}
	// holding: a refused call backing off alone keeps its slot. refused: the
	// last attempt was refused, so the call goes back to the head of the line.
	holding, refused := false, false
	// held: this call has a slot to give back. The defer gives it back if
	// the call panics while sending (a WithHTTPClient transport may), so a
	// recovered panic does not leave the gate a slot short for good.
	held := false
	defer func() {
		if held { // every return gives the slot back first: this is a panic or runtime.Goexit
			if guarded {
				// Before the slot is given back, or a call of the batch
				// waiting for it would be sent.
				guard.stop(errPanicked)
			}
			p.gate.done(false)
		}
	}()
	release := func(ok bool) {
		held = false
		p.gate.done(ok)
	}
	// Retries of other failures, and the budget tokens they took.
	retries, spent := 0, 0

	for attempt := 1; ; attempt++ {
		if gated && !holding {
			if p.noSlotWait {
				if !p.gate.force() {
					return sent{attempts: attempt - 1}, fmt.Errorf("browseruse: %s: %d calls already in flight (WithMaxConcurrency), not sent (WithoutSlotWait): %w",
						name(), p.gate.ceiling, ErrTooManyRequests)
				}
			} else if err := slot.acquire(ctx, refused); err != nil {
				return sent{attempts: attempt - 1}, err
			}
			held = true
		}
		holding = false
		if guarded {
			if err := guard.err(); err != nil {
				if gated {
					release(false)
				}
				return sent{attempts: attempt - 1}, err
			}
		}
		reqBody := firstBody
		if attempt > 1 && getBody != nil {
			var err error
			if reqBody, err = getBody(); err != nil {
				if gated {
					release(false)
				}
				return sent{attempts: attempt}, fmt.Errorf("browseruse: %s: rewinding request body: %w", name(), err)
			}
		}
		start := time.Now()
		resp, body, unsent, redirected, err := p.attempt(ctx, req, header, reqBody, getBody)
		lastStatus = 0
		if err == nil {
			lastStatus = resp.StatusCode
		} else {
			err = p.redactError(err) // before anyone sees it
		}
		p.observer.attempt(ctx, attempt, lastStatus, err, start)
		// After a redirect the request has reached the server, whatever
		// happened to the request that followed it: a 429 or a refused dial
		// of the GET after a POST's 303 says nothing about the POST, which
		// already ran.
		resendable := idempotent || !redirected

		if gated && resendable && err == nil && resp.StatusCode == http.StatusTooManyRequests {
			// Refused, so not executed: send it again once a slot frees,
			// without counting it as a retry.
			apiErr := p.newAPIError(resp, body, op)
			apiErr.Attempts = attempt
			slot.refusals++
			slot.last = apiErr
			wait, inFlight, limit := p.gate.refused()
			refusals = slot.refusals
			p.observer.refused(ctx, RefusalInfo{Attempt: attempt, RetryAfter: apiErr.RetryAfter, Backoff: wait, InFlight: inFlight, Limit: limit})
			holding = wait > 0
			held = holding // a refused call not backing off alone gave its slot back
			if p.noSlotWait {
				p.log(ctx, req, resp.StatusCode, attempt, start, nil, -1,
					slog.Int("in_flight", inFlight), slog.Int("limit", limit))
				if holding {
					release(false)
				}
				return sent{attempts: attempt}, apiErr
			}
			// The server's word beats our guess, as a minimum: the wait is in
			// the gate, so WithMaxSlotWait and the context bound it, not
			// WithMaxRetryWait, which is for retrying failures.
			// One that ends past the context's deadline or WithMaxSlotWait is
			// not slept into a certain failure: the 429 is returned at once.
			if ra := apiErr.RetryAfter; ra > 0 {
				dl, has := ctx.Deadline()
				if ra > p.maxSlotWait || has && time.Until(dl) < ra {
					p.log(ctx, req, resp.StatusCode, attempt, start, nil, -1)
					if holding {
						release(false)
					}
					return sent{attempts: attempt}, apiErr
				}
				wait = max(wait, ra)
			}
			p.log(ctx, req, resp.StatusCode, attempt, start, nil, wait,
				slog.Int("in_flight", inFlight), slog.Int("limit", limit), slog.Int("refusals_so_far", slot.refusals))
			if wait > 0 {
				if err := slot.sleep(ctx, wait); err != nil {
					if holding {
						release(false)
					}
					return sent{attempts: attempt}, err
				}
			}
			refused = true
			continue
		}
		ok := err == nil && resp.StatusCode >= 200 && resp.StatusCode <= 299
		var apiErr *APIError
		if err == nil && !ok {
			apiErr = p.newAPIError(resp, body, op)
			apiErr.Attempts = attempt
			if guarded && StopsBatch(apiErr) {
				// Before the slot is given back, or a call of the batch
				// waiting for it would be sent after the 402.
				guard.stop(apiErr)
			}
		}
		if gated {
			release(ok)
		}
		refused = false

		var final error // what the call returns if this attempt is the last
		var retryAfter time.Duration
		retry := false
		status := 0
		cost := retryCost
		switch {
		case ok:
			p.budget.refund(spent)
			p.log(ctx, req, resp.StatusCode, attempt, start, nil, -1)
			return sent{resp: resp, body: body, op: op, attempts: attempt}, nil
		case err == nil:
			status = resp.StatusCode
			final, retryAfter = apiErr, apiErr.RetryAfter
			retry = resendable && retryableStatus(resp.StatusCode, idempotent)
			if !retry {
				// The server is up and chose this answer: what the
				// retries spent was not spent on an outage.
				p.budget.refund(spent)
			}
		case ctx.Err() != nil:
			p.log(ctx, req, 0, attempt, start, err, -1)
			return sent{attempts: attempt}, withAttempts(fmt.Errorf("browseruse: %s: %w", name(), ctx.Err()), attempt)
		default:
			final = withAttempts(fmt.Errorf("browseruse: %s: %w", name(), err), attempt)
			// Only a request that cannot have reached the server is safe to
			// send again, unless sending it twice is harmless anyway.
			retry = ((unsent && resendable) || idempotent) && transient(err)
			if isTimeout(err) {
				cost = timeoutRetryCost
			}
		}
		wait := time.Duration(-1)
		if retry && retries < p.maxRetries {
			if d, ok := p.delay(ctx, retries+1, retryAfter); ok {
				if p.budget.spend(cost) {
					wait, spent = d, spent+cost
				} else {
					final = fmt.Errorf("%w; %w", final, ErrRetryBudgetExhausted)
				}
			}
		}
		p.log(ctx, req, status, attempt, start, err, wait)
		if wait < 0 {
			return sent{attempts: attempt}, final
		}
		p.observer.retry(ctx, attempt, status, err, unsent, wait)
		retries++
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return sent{attempts: attempt}, fmt.Errorf("%w; gave up waiting to retry: %w", final, ctx.Err())
		case <-guard.stopped: // the call's batch stopped; nil outside one
			t.Stop()
			if unsent {
				return sent{attempts: attempt}, guard.err() // it never ran
			}
			return sent{attempts: attempt}, final
		}
	}
}

// newAPIError is the package's newAPIError, for the policy's responses,
// which [policy.redactResponse] has already cleared of the key.
func (p *policy) newAPIError(resp *http.Response, body []byte, op *operation) *APIError {
	return newAPIError(resp, body, op)
}
