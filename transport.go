package browseruse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeyHeader is the header that carries the API key.
const KeyHeader = "X-Browser-Use-API-Key"

// ErrCrossOriginRedirect is returned when the server redirects a request to
// another scheme, host or port. The client never follows such a redirect, so
// the key cannot travel to a host it was not meant for.
var ErrCrossOriginRedirect = errors.New("browseruse: refused to follow a redirect to another origin")

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
	if err := p.checkSuccess(s); err != nil {
		return nil, err
	}
	s.resp.Body = io.NopCloser(bytes.NewReader(s.body))
	return s.resp, nil
}

// checkSuccess holds a 2xx response to what the spec documents for its
// operation: a documented status and, where the spec promises JSON, a JSON
// content type and a body that parses.
func (p *policy) checkSuccess(s sent) error {
	if s.op == nil {
		return nil // not an operation of the spec: nothing to hold it to
	}
	documented, wantJSON := s.op.expectsJSON(s.resp.StatusCode)
	var problem error
	switch ct := s.resp.Header.Get("Content-Type"); {
	case !documented:
		problem = fmt.Errorf("status %d is not a documented response of this operation", s.resp.StatusCode)
	case !wantJSON:
		return nil
	case !isJSONMediaType(ct):
		problem = fmt.Errorf("success body is %s, not JSON", mediaType(ct))
	case !json.Valid(s.body):
		problem = jsonProblem(s.body)
	default:
		// The generated parser matches "json" case-sensitively.
		s.resp.Header.Set("Content-Type", strings.ToLower(ct))
		return nil
	}
	e := newAPIError(s.resp, s.body, s.op)
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
// or context error otherwise.
func (p *policy) send(req *http.Request) (sent, error) {
	ctx := req.Context()
	op := p.routes.match(req.Method, strings.TrimPrefix(req.URL.Path, p.base.Path))
	name := req.Method + " " + req.URL.Path
	if op != nil {
		name = op.String()
	}
	if sameOrigin(req.URL, p.base) {
		req.Header.Set(KeyHeader, string(p.key))
	}
	if req.Body != nil && req.GetBody == nil {
		// A body we cannot rewind cannot be retried byte-identically: read it once.
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return sent{}, fmt.Errorf("browseruse: %s: reading request body: %w", name, err)
		}
		req.Body = io.NopCloser(bytes.NewReader(b))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	idempotent := isIdempotent(req.Method)

	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return sent{}, fmt.Errorf("browseruse: %s: rewinding request body: %w", name, err)
			}
			req.Body = body
		}
		start := time.Now()
		resp, body, reached, err := p.attempt(ctx, req)
		if err != nil {
			p.log(ctx, req, 0, attempt, start, err)
			if ctx.Err() != nil {
				return sent{}, fmt.Errorf("browseruse: %s: %w", name, ctx.Err())
			}
			err = fmt.Errorf("browseruse: %s: %w", name, err)
			if attempt > 1 {
				err = fmt.Errorf("%w (after %d attempts)", err, attempt)
			}
			// Only a request that never reached the server is safe to send
			// again, unless sending it twice is harmless anyway.
			if (reached && !idempotent) || errors.Is(err, ErrResponseTooLarge) ||
				errors.Is(err, ErrCrossOriginRedirect) || attempt > p.maxRetries {
				return sent{}, err
			}
			if werr := p.wait(ctx, attempt, 0); werr != nil {
				return sent{}, errors.Join(err, werr)
			}
			continue
		}
		p.log(ctx, req, resp.StatusCode, attempt, start, nil)
		if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			return sent{resp: resp, body: body, op: op, attempts: attempt}, nil
		}
		apiErr := newAPIError(resp, body, op)
		apiErr.Attempts = attempt
		if !retryableStatus(resp.StatusCode, idempotent) || attempt > p.maxRetries {
			return sent{}, apiErr
		}
		if werr := p.wait(ctx, attempt, apiErr.RetryAfter); werr != nil {
			if errors.Is(werr, errWaitTooLong) {
				return sent{}, apiErr
			}
			return sent{}, errors.Join(apiErr, werr)
		}
	}
}

// attempt sends req once and reads the whole response body within the
// per-attempt timeout. reached reports whether a connection to the server
// was obtained, after which the server may have seen the request.
func (p *policy) attempt(ctx context.Context, req *http.Request) (resp *http.Response, body []byte, reached bool, err error) {
	var got atomic.Bool
	actx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { got.Store(true) },
	})
	if p.timeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(actx, p.timeout)
		defer cancel()
	}
	resp, err = p.hc.Do(req.WithContext(actx))
	if err != nil {
		return nil, nil, got.Load(), err
	}
	body, err = readBody(resp.Body, p.maxBody, resp.ContentLength)
	resp.Body.Close()
	if err != nil {
		if errors.Is(err, ErrResponseTooLarge) {
			return nil, nil, true, fmt.Errorf("%w: status %d, more than %d bytes (see WithMaxResponseBytes)", ErrResponseTooLarge, resp.StatusCode, p.maxBody)
		}
		return nil, nil, true, fmt.Errorf("reading response body (status %d): %w", resp.StatusCode, err)
	}
	return resp, body, true, nil
}

// readBody reads r to the end, failing once it passes limit. hint is the
// declared length, used to size the buffer once instead of growing it.
func readBody(r io.Reader, limit, hint int64) ([]byte, error) {
	size := int64(512)
	if hint >= 0 && hint < limit {
		size = hint + 1 // +1: room to see EOF without growing
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		room := buf[len(buf):cap(buf)]
		if left := limit + 1 - int64(len(buf)); int64(len(room)) > left {
			room = room[:left]
		}
		n, err := r.Read(room)
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, ErrResponseTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

var errWaitTooLong = errors.New("retry wait too long")

// wait sleeps before the next attempt: the server's Retry-After if it sent
// one, else exponential backoff with full jitter. It gives up at once if the
// wait would pass the cap or the context's deadline, rather than sleeping
// into a certain "context deadline exceeded".
func (p *policy) wait(ctx context.Context, attempt int, retryAfter time.Duration) error {
	d := retryAfter
	if d <= 0 {
		d = backoff(attempt)
	}
	if d > p.maxRetryWait {
		return errWaitTooLong
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
		return errWaitTooLong
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		if s < 0 {
			return 0, false
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

func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func (p *policy) log(ctx context.Context, req *http.Request, status, attempt int, start time.Time, err error) {
	if p.logger == nil {
		return
	}
	level := slog.LevelDebug
	attrs := []slog.Attr{
		slog.String("method", req.Method),
		slog.String("path", req.URL.Path),
		slog.Int("status", status),
		slog.Int("attempt", attempt),
		slog.Duration("duration", time.Since(start)),
	}
	if err != nil || status >= 400 {
		level = slog.LevelWarn
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	p.logger.LogAttrs(ctx, level, "browseruse request", attrs...)
}

// sameOrigin compares scheme, host and port, with default ports made explicit.
func sameOrigin(a, b *url.URL) bool {
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
	} else {
		c.Transport = defaultTransport()
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !sameOrigin(req.URL, base) {
			req.Header.Del(KeyHeader)
			return fmt.Errorf("%w: %s://%s", ErrCrossOriginRedirect, req.URL.Scheme, req.URL.Host)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}
