package browseruse

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// KeyHeader is the header that carries the API key.
const KeyHeader = "X-Browser-Use-API-Key"

var canonicalKeyHeader = http.CanonicalHeaderKey(KeyHeader)

// ErrCrossOriginRedirect is returned when the server redirects a request to
// another scheme, host or port. The client never follows such a redirect, so
// the key cannot travel to a host it was not meant for.
var ErrCrossOriginRedirect = errors.New("browseruse: refused to follow a redirect to another origin")

var errTooManyRedirects = errors.New("stopped after 10 redirects")

// ErrResponseTooLarge is returned when a response body passes the cap set by
// [WithMaxResponseBytes].
var ErrResponseTooLarge = errors.New("browseruse: response body too large")

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

// Do implements gen.HttpRequestDoer, for the operations reached through
// [Client.API]. On success the response's body holds what was read, and its
// Content-Type is normalised so the generated parser recognises JSON. Either
// way the generated ...WithResponse method then returns the documented
// success payload or an error, never a response with every field nil.
func (p *policy) Do(req *http.Request) (*http.Response, error) {
	s, err := p.send(req)
	if err != nil {
		return nil, err
	}
	if err := p.checkSuccess(s, true); err != nil {
		return nil, err
	}
	s.resp.Body = newSuccessBody(p, s)
	withoutKey(s.resp, string(p.key))
	return s.resp, nil
}

// withoutKey replaces every request reachable from resp that shows the key
// (the request as sent and, after redirects, each one before it, through
// Request.Response.Request...) with a copy without it: without the key's
// header, and with the key taken out of its URL and its other headers, where
// a server that echoes the key in a same-origin redirect's Location puts it
// (and net/http then in the next hop's Referer). The caller gets the
// response, and with it the requests.
func withoutKey(resp *http.Response, key string) {
	for ; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		r := resp.Request
		if r.Header.Get(KeyHeader) == "" && !urlShowsKey(r.URL, key) && !headerShowsKey(r.Header, key) {
			continue
		}
		r = r.WithContext(r.Context())
		r.Header = r.Header.Clone()
		r.Header.Del(KeyHeader)
		redactHeader(r.Header, key)
		if urlShowsKey(r.URL, key) {
			r.URL = redactURL(r.URL, key)
		}
		if r.Response != nil {
			prev := *r.Response // copied, so the loop can repoint its Request
			r.Response = &prev
		}
		resp.Request = r
	}
}

// checkSuccess holds a 2xx response to what the spec documents for its
// operation: a documented status and, where the spec promises JSON, a JSON
// content type and, with parseJSON, a body that parses. ExecuteSkill passes
// parseJSON false: it decodes the body itself, and a second pass over a large
// result would cost as much as the decode.
func (p *policy) checkSuccess(s sent, parseJSON bool) error {
	documented, wantJSON := s.op.expectsJSON(s.resp.StatusCode)
	var problem error
	switch ct := s.resp.Header.Get("Content-Type"); {
	case !documented:
		problem = fmt.Errorf("status %d is not a documented response of this operation", s.resp.StatusCode)
	case !wantJSON:
		return nil
	case !isJSONMediaType(ct):
		problem = fmt.Errorf("success body is %s, not JSON", mediaType(ct))
	case parseJSON && !json.Valid(s.body):
		problem = jsonProblem(s.body)
	case parseJSON && s.op.bodyShape(s.resp.StatusCode).check(s.body) != nil:
		problem = s.op.bodyShape(s.resp.StatusCode).check(s.body) // only on this error path
	default:
		// The generated parser matches "json" case-sensitively. Setting a
		// header allocates, so only a content type that needs it is touched.
		if lower := strings.ToLower(ct); lower != ct {
			s.resp.Header.Set("Content-Type", lower)
		}
		return nil
	}
	return p.rejected(s, problem)
}

// rejected is the error for a 2xx response that is not the documented
// success: it keeps the status and says what was wrong.
func (p *policy) rejected(s sent, problem error) *APIError {
	e := p.newAPIError(s.resp, s.body, s.op)
	e.Attempts, e.Err = s.attempts, problem
	return e
}

// jsonProblem explains why body is not valid JSON.
func jsonProblem(body []byte) error {
	if len(body) == 0 {
		return errors.New("success body is empty")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("success body is not valid JSON: %w", err)
	}
	return errors.New("success body is not valid JSON")
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

// newAPIError is the package's newAPIError, for the policy's responses,
// which [policy.redactResponse] has already cleared of the key.
func (p *policy) newAPIError(resp *http.Response, body []byte, op *operation) *APIError {
	return newAPIError(resp, body, op)
}

// attempt sends req once and reads the whole response body within the
// per-attempt timeout. unsent reports that the attempt failed provably before
// the request could reach the server (see [unsent]); otherwise the server
// may have seen it, and a request that is not idempotent is never sent again.
// redirected reports that a redirect was followed: the server answered the
// request, so it reached the server whatever happened after.
// What the server sent back is cleared of the key before it is returned.
//
// The request sent is a copy of req with header and reqBody: the caller's
// request keeps its own, without the key.
func (p *policy) attempt(ctx context.Context, req *http.Request, header http.Header, reqBody io.ReadCloser,
	getBody func() (io.ReadCloser, error)) (resp *http.Response, body []byte, isUnsent, redirected bool, err error) {
	tr := &connTrace{Context: ctx}
	tr.GotConn = tr.gotConn
	tr.TLSHandshakeDone = tr.handshakeDone
	actx := httptrace.WithClientTrace(tr, &tr.ClientTrace)
	// A caller's deadline that comes first makes the per-attempt timer moot:
	// skip its cost.
	if dl, has := ctx.Deadline(); p.timeout > 0 && (!has || time.Until(dl) > p.timeout) {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, p.timeout)
		defer cancel()
	}
	timedOut := func(err error) error {
		if actx.Err() != nil && ctx.Err() == nil {
			return fmt.Errorf("attempt timed out after %v (see WithTimeout): %w", p.timeout, err)
		}
		return err
	}
	out := req.WithContext(actx) // the one copy of the request per attempt
	out.Header, out.Body, out.GetBody = header, reqBody, getBody
	resp, err = p.hc.Do(out)
	if err != nil {
		if errors.Is(err, ErrCrossOriginRedirect) {
			err = originOnly(err)
		}
		redirected = tr.wasRedirected()
		return nil, nil, !redirected && unsent(err, tr.failedHandshake()), redirected, timedOut(err)
	}
	// A transport of the caller's may fill Request.Response itself; the
	// trace is what this client's CheckRedirect recorded.
	redirected = tr.wasRedirected() || resp.Request != nil && resp.Request.Response != nil
	body, err = readBody(resp.Body, p.maxBody, resp.ContentLength)
	resp.Body.Close()
	if err != nil && provesNotExecuted(resp.StatusCode) {
		// The status line already says the request did not run: what
		// happened to the body changes nothing of that. What arrived of it
		// is dropped: a cut body may end inside the key, where no spelling
		// of it can be found.
		return resp, p.redactResponse(resp, nil), false, redirected, nil
	}
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return nil, nil, false, redirected, fmt.Errorf("%w: status %d, more than %d bytes (see WithMaxResponseBytes)", ErrResponseTooLarge, resp.StatusCode, p.maxBody)
		}
		return nil, nil, false, redirected, timedOut(fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err))
	}
	return resp, p.redactResponse(resp, body), false, redirected, nil
}

// originOnly makes the *url.Error of a refused redirect quote only the
// origin it was refused for: the rest of the Location is the other server's
// to write, in spellings no redaction can list.
func originOnly(err error) error {
	ue, ok := err.(*url.Error)
	if !ok {
		return err
	}
	c := *ue
	c.URL = ""
	if u, perr := url.Parse(ue.URL); perr == nil {
		c.URL = u.Scheme + "://" + u.Host
	}
	return &c
}

// connTrace follows how an attempt got its connection, from httptrace
// events (which a transport may not emit at all), and whether it followed a
// redirect. It is also the attempt's context, under which CheckRedirect
// finds it (see [attemptKey]): one allocation per attempt serves both.
type connTrace struct {
	context.Context
	httptrace.ClientTrace
	mu           sync.Mutex
	got          bool
	redirected   bool
	handshakeErr error
}

// attemptKey finds an attempt's *connTrace in a request's context.
type attemptKey struct{}

func (t *connTrace) Value(key any) any {
	if key == (attemptKey{}) {
		return t
	}
	return t.Context.Value(key)
}

// followedRedirect records that the server answered this attempt's request
// with a redirect that is being followed or refused.
func (t *connTrace) followedRedirect() {
	t.mu.Lock()
	t.redirected = true
	t.mu.Unlock()
}

func (t *connTrace) wasRedirected() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.redirected
}

func (t *connTrace) gotConn(httptrace.GotConnInfo) {
	t.mu.Lock()
	t.got = true
	t.mu.Unlock()
}

func (t *connTrace) handshakeDone(_ tls.ConnectionState, err error) {
	if err != nil {
		t.mu.Lock()
		t.handshakeErr = err
		t.mu.Unlock()
	}
}

// failedHandshake is the error a TLS handshake for this attempt failed with,
// if one did and no connection was obtained: the transport may dial for a
// request and then hand it another connection that was freed meanwhile.
func (t *connTrace) failedHandshake() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.got {
		return nil
	}
	return t.handshakeErr
}

// maxPrealloc bounds the buffer sized from a declared Content-Length before
// a byte has arrived: a server that declares 63 MiB and sends nothing must
// not cost 63 MiB, nor 2. Honest bodies up to it take one allocation.
const maxPrealloc = 1 << minClassShift // 64 KiB

// hintGrowth is how much a buffer grows at once toward a declared length
// once it is full: the bytes that arrived back the claim, so a large honest
// body takes a few allocations (64 KiB, 512 KiB, 4 MiB, ...) rather than the
// ten of doubling, yet a new buffer is never more than 8 times what arrived
// (10 times, rounded up to its size class).
const hintGrowth = 8

// readBody reads r to the end, failing once it passes limit. hint is the
// declared length: the buffer starts at it, up to maxPrealloc, and grows
// toward it by hintGrowth, so memory follows the bytes that really arrive.
// A buffer of 64 KiB or more comes from the pools of bodybuf.go when one is
// free: taking a buffer already made costs no memory, so for a declared
// length over 64 KiB a free one large enough is taken at once.
func readBody(r io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(512)
	want := limit + 1 // never read or hold more than this
	hinted := hint >= 0 && hint < limit
	var buf []byte
	if hinted {
		want = hint + 1 // +1: room to see EOF without growing
		size = min(want, maxPrealloc)
		if want > maxPrealloc {
			buf = takeBody(int(want))
		}
	}
	if buf == nil {
		buf = newBody(int(size))
	}
	for {
		if len(buf) == cap(buf) {
			// Double, but never past what the body can hold: reading up
			// to the cap then allocates about twice the cap in all, where
			// append's 1.25x growth for large slices would allocate five
			// times it.
			grow := int64(cap(buf))
			if int64(len(buf)) >= want {
				want, hinted = limit+1, false // the body is longer than it said
			}
			if hinted {
				grow *= hintGrowth - 1
			}
			buf = growBody(buf, len(buf)+int(min(grow, want-int64(len(buf)))))
		}
		room := buf[len(buf):cap(buf)]
		if left := limit + 1 - int64(len(buf)); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			giveBody(buf) // nothing refers to it
			return nil, ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			giveBody(buf)
			return nil, err
		}
	}
}

// delay is how long to wait before attempt+1: the server's Retry-After if it
// sent one, else exponential backoff with full jitter, shortened to
// WithMaxRetryWait. ok is false when the server asks for longer than that
// cap, or when the wait would pass the context's deadline: the caller then
// returns the last error at once rather than sleeping into a certain
// "context deadline exceeded".
func (p *policy) delay(ctx context.Context, attempt int, retryAfter time.Duration) (d time.Duration, ok bool) {
	if retryAfter > 0 {
		if retryAfter > p.maxRetryWait {
			return 0, false
		}
		d = retryAfter
	} else {
		d = min(backoff(attempt), p.maxRetryWait)
	}
	if dl, has := ctx.Deadline(); has && time.Until(dl) < d {
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

// maxRetryAfter is what a Retry-After too long for a Duration reads as:
// still far longer than any cap, so the call returns instead of waiting.
const maxRetryAfter = time.Duration(math.MaxInt64)

// parseRetryAfter reads delay-seconds (RFC 9110: digits only) or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true // only digits, so the error is overflow
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
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

// log writes one line per attempt, at debug level whatever its outcome:
// what the client handles itself (a refusal waited out, a retry) is no news
// to the application, and the failure a call returns reaches the caller as
// its error, to report once, not twice. retryIn < 0 means no retry follows.
// Only the method, the path, the status and the transport's error go in:
// never a header or a body.
func (p *policy) log(ctx context.Context, req *http.Request, status, attempt int, start time.Time, err error, retryIn time.Duration, extra ...slog.Attr) {
	if p.logger == nil {
		return
	}
	const level = slog.LevelDebug
	if !p.logger.Enabled(ctx, level) {
		return // a service logging at info pays nothing for the client's lines
	}
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("duration", time.Since(start)),
	}
	if retryIn >= 0 {
		attrs = append(attrs, slog.Duration("retry_in", retryIn))
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	attrs = append(attrs, extra...)
	p.logger.LogAttrs(ctx, level, "browseruse request", attrs...)
}

// sameOrigin compares scheme, host and port, with default ports made explicit.
func sameOrigin(a, b *url.URL) bool {
	if a.Scheme == b.Scheme && a.Host == b.Host {
		return true // the common case, without building host:port strings
	}
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "443"
	if strings.EqualFold(u.Scheme, "http") {
		port = "80"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// isLoopback reports whether host (without port) is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// defaultTransport is shared by every client built without WithHTTPClient,
// as http.DefaultTransport is, but keeps enough idle connections per host for
// a busy service: DefaultTransport keeps 2, so 64 concurrent callers open
// thousands of connections instead of 64.
var defaultTransport = sync.OnceValue(func() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 256
	t.ForceAttemptHTTP2 = true
	return t
})

// httpClient returns the client the policy sends through: a copy of the
// caller's (so theirs is untouched) or one on the shared default transport,
// with redirects held to the API origin.
func httpClient(hc *http.Client, base *url.URL) *http.Client {
	var c http.Client
	if hc != nil {
		c = *hc
	}
	next := c.Transport
	switch {
	case next == nil && hc != nil:
		next = http.DefaultTransport // what the caller's client would use
	case next == nil:
		next = defaultTransport()
	}
	c.Transport = noReplay{next}
	check := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if t, ok := req.Context().Value(attemptKey{}).(*connTrace); ok {
			t.followedRedirect()
		}
		if !sameOrigin(req.URL, base) {
			req.Header.Del(KeyHeader)
			return fmt.Errorf("%w: %s://%s", ErrCrossOriginRedirect, req.URL.Scheme, req.URL.Host)
		}
		if check != nil {
			return check(req, via)
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		return nil
	}
	return &c
}
