package browseruse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"
)

// outcome is what one attempt came to: a response whose body was read and
// cleared of the key, or the error that ended the exchange.
type outcome struct {
	resp *http.Response // nil when err is set
	body []byte
	err  error
	// unsent reports that the attempt failed provably before the request
	// could reach the server (see [unsent]); otherwise the server may have
	// seen it, and a request that is not idempotent is never sent again.
	unsent bool
	// redirected reports that a redirect was followed: the server answered
	// the request, so it reached the server whatever happened after.
	redirected bool
	start      time.Time
}

// status is the answer's status code; 0 when there was none.
func (o *outcome) status() int {
	if o.resp == nil {
		return 0
	}
	return o.resp.StatusCode
}

// ok reports a 2xx answer.
func (o *outcome) ok() bool {
	return o.err == nil && o.resp.StatusCode >= 200 && o.resp.StatusCode <= 299
}

// attempt sends req once and reads the whole response body within the
// per-attempt timeout. What the server sent back, and an error that quotes
// it, is cleared of the key before it is returned.
//
// The request sent is a copy of req with header and reqBody: the caller's
// request keeps its own, without the key.
func (p *policy) attempt(ctx context.Context, req *http.Request, header http.Header, reqBody io.ReadCloser,
	getBody func() (io.ReadCloser, error)) (o outcome) {
	o.start = p.clock.Now()
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
	resp, err := p.hc.Do(out)
	if err != nil {
		if errors.Is(err, ErrCrossOriginRedirect) {
			err = originOnly(err)
		}
		o.redirected = tr.wasRedirected()
		// A caller's transport may have sent the request, whatever its
		// error says after (see noReplay), unless it closed the body unread.
		o.unsent = !o.redirected && tr.bodyUnsent() && unsent(err, tr.failedHandshake())
		o.err = p.redactError(timedOut(err))
		return o
	}
	// A transport of the caller's may fill Request.Response itself; the
	// trace is what this client's CheckRedirect recorded.
	o.redirected = tr.wasRedirected() || resp.Request != nil && resp.Request.Response != nil
	body, err := readBody(resp.Body, p.maxBody, resp.ContentLength)
	resp.Body.Close()
	switch {
	case err != nil && provesNotExecuted(resp.StatusCode):
		// The status line already says the request did not run: what
		// happened to the body changes nothing of that. What arrived of it
		// is dropped: a cut body may end inside the key, where no spelling
		// of it can be found.
		o.resp, o.body = resp, p.redactResponse(resp, nil)
	case errors.Is(err, ErrResponseTooLarge):
		o.err = p.redactError(fmt.Errorf("%w: status %d, more than %d bytes (see WithMaxResponseBytes)", ErrResponseTooLarge, resp.StatusCode, p.maxBody))
	case err != nil:
		o.err = p.redactError(timedOut(fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err)))
	default:
		o.resp, o.body = resp, p.redactResponse(resp, body)
	}
	return o
}

// defaultTransport is shared by every client built without WithHTTPClient,
// as http.DefaultTransport is, but keeps enough idle connections per host for
// a busy service: DefaultTransport keeps 2, so 64 concurrent callers open
// thousands of connections instead of 64. It is built, not cloned from
// DefaultTransport: a clone keeps the protocols a program registered there
// (RegisterProtocol), and noReplay counts on this one being net/http's own
// code from dial to answer.
var defaultTransport = sync.OnceValue(func() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
})

// httpClient returns the client the policy sends through: a copy of the
// caller's (so theirs is untouched) or one on the shared default transport,
// with redirects held to the API origin. theirs says the transport may be
// the caller's code (noReplay).
func httpClient(hc *http.Client, base *url.URL, theirs bool) *http.Client {
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
	c.Transport = noReplay{next: next, theirs: theirs}
	c.CheckRedirect = redirectRule(base, c.CheckRedirect)
	return &c
}
