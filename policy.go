package browseruse

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
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
	hc *http.Client
	// key is behind a pointer: fmt prints a struct it reaches through an
	// unexported field (a Client value printed with %s) raw, with no
	// method to redact it, but a pointer one level down as an address.
	key          *secret
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
	clock        clock                   // zero: the wall clock
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
// as the caller holds them. guard is the batch the call belongs to; nil
// outside one.
//
// Each attempt takes its slot at the gate and the batch's leave, is sent,
// and comes to one outcome: a refusal the gate waits out, a success, or a
// failure the retry decision may pause and send again.
func (p *policy) send(req *http.Request, guard *sendGuard) (sent, error) {
	c, err := p.newCall(req, guard)
	if err != nil {
		return c.end(nil, nil, err)
	}
	defer c.abandon() // on a panic: every return has ended the call already
	for {
		body, err := c.next()
		if err != nil {
			return c.end(nil, nil, err)
		}
		o := p.attempt(c.ctx, req, c.header, body, c.getBody)
		c.status = o.status()
		p.observer.attempt(c.ctx, c.attempts, c.status, o.err, o.start)
		switch {
		case c.refusedByGate(&o):
			if err := c.waitOutRefusal(&o); err != nil {
				return c.end(nil, nil, err)
			}
		case o.ok():
			c.succeeded(&o)
			return c.end(o.resp, o.body, nil)
		default:
			wait, err := c.failed(&o)
			if wait < 0 {
				return c.end(nil, nil, err)
			}
			if err := c.pause(&o, wait, err); err != nil {
				return c.end(nil, nil, err)
			}
		}
	}
}

// retrier is a call's retry decision, on the client's settings.
func (p *policy) retrier() retrier {
	return retrier{max: p.maxRetries, maxWait: p.maxRetryWait, budget: p.budget, clock: p.clock}
}

// delay is the retry decision's delay before attempt+1, on the client's
// settings.
func (p *policy) delay(ctx context.Context, attempt int, retryAfter time.Duration) (time.Duration, bool) {
	r := p.retrier()
	return r.delay(ctx, attempt, retryAfter)
}

// slot is a call's place at the gate: the zero slot for an operation that
// documents no 429.
func (p *policy) slot(op *operation, guard *sendGuard) slot {
	if op == nil || !op.gated {
		return slot{}
	}
	return slot{g: p.gate, op: op, max: p.maxSlotWait, noWait: p.noSlotWait, guard: guard, obs: p.observer}
}

// redactResponse is [redactResponse] with the client's key.
func (p *policy) redactResponse(resp *http.Response, body []byte) []byte {
	return redactResponse(p.apiKey(), resp, body)
}

// redactError is [redactError] with the client's key.
func (p *policy) redactError(err error) error { return redactError(p.apiKey(), err) }

// apiKey is the key the client sends; "" for a policy made without one
// (tests).
func (p *policy) apiKey() string {
	if p.key == nil {
		return ""
	}
	return string(*p.key)
}
