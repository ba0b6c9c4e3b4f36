package browseruse_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/browser-use/browseruse-go/gen"
)

// Fast retries: backoff is capped by WithMaxRetryWait, so a test that
// retries twice waits a few milliseconds, not seconds.
var fastRetries = browseruse.WithMaxRetryWait(5 * time.Millisecond)

const okSkill = `{"success":true,"result":{"ok":1},"latencyMs":3}`

// exchange is one request as a plain test server received it.
type exchange struct {
	Method, Path, Key string
	Body              []byte
}

// rawServer is a plain HTTP server, for what the spec-backed fake cannot
// script: other methods and paths, redirects, faults before any validation.
// answer gets the 1-based number of the request it serves.
type rawServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []exchange
}

func newRawServer(t *testing.T, answer func(n int, w http.ResponseWriter, r *http.Request)) *rawServer {
	t.Helper()
	s := &rawServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.seen = append(s.seen, exchange{r.Method, r.URL.Path, r.Header.Get(browseruse.KeyHeader), body})
		n := len(s.seen)
		s.mu.Unlock()
		answer(n, w, r)
	}))
	// Faults make the server log "broken pipe" and the like; they are the point.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *rawServer) requests() []exchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]exchange(nil), s.seen...)
}

// client builds a client for base, sending through hc (nil: the default
// transport), with the test key.
func client(t *testing.T, base string, hc *http.Client, opts ...browseruse.Option) *browseruse.Client {
	t.Helper()
	all := []browseruse.Option{browseruse.WithAPIKey(browserusetest.APIKey), browseruse.WithBaseURL(base)}
	if hc != nil {
		all = append(all, browseruse.WithHTTPClient(hc))
	}
	c, err := browseruse.New(append(all, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// doer is the policy as the generated client sees it: any method, any path.
func doer(c *browseruse.Client) gen.HttpRequestDoer {
	return c.API().ClientInterface.(*gen.Client).Client
}

func get(t *testing.T, c *browseruse.Client, path string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, c.BaseURL()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := doer(c).Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func execute(ctx context.Context, c *browseruse.Client, params map[string]any) (*browseruse.SkillResult, error) {
	return c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{Parameters: params})
}

func writeOK(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, okSkill)
}

// resetConn drops the connection with a TCP reset, as a crashing proxy does.
// Anything already written (headers, part of a body) is flushed first.
func resetConn(t *testing.T, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Error(err)
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

func wantAttempts(t *testing.T, err error, n int) {
	t.Helper()
	if want := fmt.Sprintf("(after %d attempts)", n); !strings.Contains(fmt.Sprint(err), want) {
		t.Errorf("err = %v, want it to say %q", err, want)
	}
}

// freePort returns a loopback address nothing listens on: connecting to it
// is refused.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// countingDialer counts dials and calls onRefused after each refused one.
func countingDialer(dials *atomic.Int32, onRefused func()) *http.Client {
	d := &net.Dialer{}
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		conn, err := d.DialContext(ctx, network, addr)
		if errors.Is(err, syscall.ECONNREFUSED) && onRefused != nil {
			onRefused()
		}
		return conn, err
	}}
	return &http.Client{Transport: tr}
}

func TestRetry_ConnectionRefusedThenUpSendsPOSTOnce(t *testing.T) {
	t.Parallel()
	addr := freePort(t)
	var dials atomic.Int32
	var served atomic.Int32
	started := make(chan *httptest.Server, 1)
	hc := countingDialer(&dials, sync.OnceFunc(func() {
		// The server comes up on the refused port while the client backs off.
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			writeOK(w)
		}))
		srv.Listener.Close()
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("port %s taken meanwhile: %v", addr, err)
			close(started)
			return
		}
		srv.Listener = l
		srv.Start()
		started <- srv
	}))
	defer hc.CloseIdleConnections()
	c := client(t, "http://"+addr, hc, fastRetries)

	res, err := execute(t.Context(), c, nil)
	if srv := <-started; srv != nil {
		defer srv.Close()
	}
	if err != nil {
		t.Fatalf("a refused connection cannot have charged anything, so it is retried: %v", err)
	}
	if string(res.Result) != `{"ok":1}` {
		t.Errorf("result = %s", res.Result)
	}
	if d, s := dials.Load(), served.Load(); d != 2 || s != 1 {
		t.Errorf("dials, requests served = %d, %d; want 2, 1", d, s)
	}
}

func TestRetry_ConnectionRefusedGivesUpAfterMaxRetries(t *testing.T) {
	t.Parallel()
	var dials atomic.Int32
	hc := countingDialer(&dials, nil)
	c := client(t, "http://"+freePort(t), hc, fastRetries, browseruse.WithMaxRetries(3))
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("err = %v, want connection refused", err)
	}
	wantAttempts(t, err, 4)
	if n := dials.Load(); n != 4 {
		t.Errorf("dials = %d, want 1 + WithMaxRetries(3)", n)
	}
}

// dropFirst closes the first connection it accepts before a byte is read:
// the client's TLS handshake fails, before any request could be sent.
type dropFirst struct {
	net.Listener
	accepted atomic.Int32
}

func (l *dropFirst) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil || l.accepted.Add(1) > 1 {
			return conn, err
		}
		conn.Close()
	}
}

func TestRetry_TLSHandshakeFailureSendsPOSTOnce(t *testing.T) {
	t.Parallel()
	var served atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		writeOK(w)
	}))
	l := &dropFirst{Listener: srv.Listener}
	srv.Listener = l
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	c := client(t, srv.URL, srv.Client(), fastRetries)
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatalf("a failed handshake cannot have charged anything, so it is retried: %v", err)
	}
	if a, s := l.accepted.Load(), served.Load(); a != 2 || s != 1 {
		t.Errorf("connections, requests served = %d, %d; want 2, 1", a, s)
	}
}

func TestRetry_ResetBeforeResponse(t *testing.T) {
	t.Parallel()
	t.Run("POST_is_not_sent_again", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries)
		srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) { resetConn(t, w) }})
		_, err := execute(t.Context(), c, map[string]any{"charge": 1})
		if err == nil {
			t.Fatal("want an error for a reset connection")
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("server saw the POST %d times: it may have executed, so it must not be re-sent", n)
		}
	})
	t.Run("GET_is_retried", func(t *testing.T) {
		t.Parallel()
		srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				resetConn(t, w)
				return
			}
			io.WriteString(w, "fine")
		})
		c := client(t, srv.URL, srv.Client(), fastRetries)
		resp, err := get(t, c, "/anything")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("resp, err = %v, %v; want the second attempt's 200", resp, err)
		}
		if n := len(srv.requests()); n != 2 {
			t.Errorf("server saw %d requests, want 2", n)
		}
	})
}

func TestRetry_ResetMidBody(t *testing.T) {
	t.Parallel()
	partial := func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		io.WriteString(w, `{"success":true,"result":[1,2,`)
	}
	t.Run("POST_is_not_sent_again", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries)
		srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
			partial(w)
			resetConn(t, w)
		}})
		_, err := execute(t.Context(), c, nil)
		if err == nil || !strings.Contains(err.Error(), "reading response body (status 200)") {
			t.Fatalf("err = %v, want a body read error", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("server saw the POST %d times, want 1", n)
		}
	})
	t.Run("GET_is_retried", func(t *testing.T) {
		t.Parallel()
		srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				partial(w)
				resetConn(t, w)
				return
			}
			io.WriteString(w, "whole")
		})
		c := client(t, srv.URL, srv.Client(), fastRetries)
		if _, err := get(t, c, "/x"); err != nil {
			t.Fatal(err)
		}
		if n := len(srv.requests()); n != 2 {
			t.Errorf("server saw %d requests, want 2", n)
		}
	})
}

// stall answers nothing until the client gives up (or a safety net fires,
// so that a broken client cannot hang the server's Close).
func stall(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
	}
}

func TestTimeout_SlowHeaders(t *testing.T) {
	t.Parallel()
	const perAttempt = 100 * time.Millisecond
	t.Run("POST_fails_once", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries, browseruse.WithTimeout(perAttempt))
		srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) { stall(r) }})
		_, err := execute(t.Context(), c, nil)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "WithTimeout") {
			t.Fatalf("err = %v, want a per-attempt timeout that names WithTimeout", err)
		}
		if n := len(srv.Requests()); n != 1 {
			t.Errorf("server saw the POST %d times, want 1", n)
		}
	})
	t.Run("GET_is_retried_then_fails", func(t *testing.T) {
		t.Parallel()
		srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) { stall(r) })
		c := client(t, srv.URL, srv.Client(), fastRetries, browseruse.WithTimeout(perAttempt))
		_, err := get(t, c, "/slow")
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want a timeout", err)
		}
		wantAttempts(t, err, 3)
		if n := len(srv.requests()); n != 3 {
			t.Errorf("server saw %d requests, want 1 + 2 retries", n)
		}
	})
}

func TestTimeout_TricklingBodyIsBoundedByTheAttempt(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries, browseruse.WithTimeout(150*time.Millisecond))
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		rc := http.NewResponseController(w)
		io.WriteString(w, `{"success":true,"result":"`)
		for i := 0; i < 1000; i++ { // 10 s at most: a safety net, never reached
			if _, err := io.WriteString(w, "x"); err != nil || rc.Flush() != nil {
				return
			}
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}})
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the per-attempt timeout", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("server saw the POST %d times, want 1", n)
	}
}

func TestRetry_IdempotentServerErrors(t *testing.T) {
	t.Parallel()
	for _, status := range []int{408, 500, 502, 503, 504} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if n <= 2 {
					w.WriteHeader(status)
					return
				}
				io.WriteString(w, "ok")
			})
			// A 1 ms cap must shorten the backoff, not forbid it.
			c := client(t, srv.URL, srv.Client(), browseruse.WithMaxRetryWait(time.Millisecond))
			resp, err := get(t, c, "/thing")
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("resp, err = %v, %v; want 200 on the third attempt", resp, err)
			}
			if n := len(srv.requests()); n != 3 {
				t.Errorf("server saw %d requests, want 3", n)
			}
		})
	}
	t.Run("burst_longer_than_the_retries", func(t *testing.T) {
		t.Parallel()
		srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
		})
		c := client(t, srv.URL, srv.Client(), fastRetries)
		_, err := get(t, c, "/thing")
		var apiErr *browseruse.APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Attempts != 3 {
			t.Fatalf("err = %#v, want the last 503 after 3 attempts", err)
		}
		wantAttempts(t, err, 3)
		if n := len(srv.requests()); n != 3 {
			t.Errorf("server saw %d requests, want 3", n)
		}
	})
	t.Run("PUT_body_is_replayed_byte_identically", func(t *testing.T) {
		t.Parallel()
		srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				w.WriteHeader(http.StatusBadGateway)
			}
		})
		c := client(t, srv.URL, srv.Client(), fastRetries)
		payload := []byte("{\"name\":\"caf\u00e9\",\"bin\":\"\x00\xff\"}")
		// A body with no GetBody: the policy must keep a copy to replay it.
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPut, c.BaseURL()+"/put", io.NopCloser(bytes.NewReader(payload)))
		resp, err := doer(c).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := srv.requests()
		if len(got) != 2 || !bytes.Equal(got[0].Body, payload) || !bytes.Equal(got[1].Body, payload) {
			t.Errorf("server received %q, want the payload twice", got)
		}
	})
}

func TestRetry_POSTIsNeverResentAfterAServerError(t *testing.T) {
	t.Parallel()
	for _, reply := range []browserusetest.Reply{
		{Status: 500, JSON: map[string]any{"detail": "boom"}},
		{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html><h1>502 Bad Gateway</h1></html>")},
		{Status: 503, Header: http.Header{"Retry-After": {"0"}}},
		{Status: 504},
		{Status: 408},
	} {
		t.Run(strconv.Itoa(reply.Status), func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, browseruse.WithMaxRetries(3), fastRetries)
			reply.OffSpec = true
			srv.Enqueue(reply, reply, reply, reply)
			_, err := execute(t.Context(), c, nil)
			var apiErr *browseruse.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != reply.Status || apiErr.Attempts != 1 {
				t.Fatalf("err = %v, want the %d after one attempt", err, reply.Status)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server saw the POST %d times, want exactly 1", n)
			}
			if reply.Status == 502 && !strings.Contains(apiErr.Body, "502 Bad Gateway") {
				t.Errorf("Body = %q, want the proxy's page", apiErr.Body)
			}
		})
	}
}

func TestRetry_TooManyRequests(t *testing.T) {
	t.Parallel()
	storm := browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"0"}}, JSON: map[string]any{"detail": "slow down"}, OffSpec: true}
	params := map[string]any{"query": "caf\u00e9 \u2615", "n": 1e21, "nested": []any{nil, true, "\u0000"}}

	t.Run("refusals_are_sent_again_byte_identical_and_are_not_retries", func(t *testing.T) {
		t.Parallel()
		// A 429 means the call was not run: it waits for a slot and goes
		// again, however many refusals come, without spending WithMaxRetries.
		c, srv := setup(t, browseruse.WithMaxRetries(1), fastRetries)
		srv.Enqueue(storm, storm, storm, storm, storm, storm)
		if _, err := execute(t.Context(), c, params); err != nil {
			t.Fatal(err)
		}
		reqs := srv.Requests()
		if len(reqs) != 7 {
			t.Fatalf("server saw %d requests, want 6 refused and 1 run", len(reqs))
		}
		for i, r := range reqs[1:] {
			if !bytes.Equal(r.Body, reqs[0].Body) {
				t.Errorf("attempt %d sent %q, first sent %q", i+2, r.Body, reqs[0].Body)
			}
		}
	})
	t.Run("then_success", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries)
		srv.Enqueue(storm)
		if _, err := execute(t.Context(), c, params); err != nil {
			t.Fatal(err)
		}
		if reqs := srv.Requests(); len(reqs) != 2 || !bytes.Equal(reqs[0].Body, reqs[1].Body) {
			t.Errorf("server saw %d requests (%q), want the same body twice", len(reqs), reqs)
		}
	})
	t.Run("WithoutSlotWait_returns_the_429_at_once", func(t *testing.T) {
		t.Parallel()
		c, srv := setup(t, browseruse.WithoutSlotWait())
		srv.Enqueue(storm, storm)
		_, err := execute(t.Context(), c, nil)
		if !errors.Is(err, browseruse.ErrTooManyRequests) || len(srv.Requests()) != 1 {
			t.Fatalf("err = %v after %d requests, want the 429 after 1", err, len(srv.Requests()))
		}
	})
}

func TestRetry_RetryAfterPastTheDeadlineReturnsAtOnce(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name       string
		retryAfter string
		opts       []browseruse.Option
		deadline   time.Duration
	}{
		{"seconds_past_deadline", "3600", []browseruse.Option{browseruse.WithMaxRetryWait(2 * time.Hour)}, 2 * time.Second},
		{"date_past_deadline", "in an hour", []browseruse.Option{browseruse.WithMaxRetryWait(2 * time.Hour)}, 2 * time.Second},
		{"seconds_past_the_cap", "3600", nil, time.Hour},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			retryAfter := tt.retryAfter
			if retryAfter == "in an hour" {
				// Dated when the subtest runs: a parallel subtest waits
				// for its parent's siblings, over a minute in a loaded run.
				retryAfter = time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
			}
			c, srv := setup(t, append(tt.opts, browseruse.WithMaxRetries(2))...)
			srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {retryAfter}}, OffSpec: true})
			ctx, cancel := context.WithTimeout(t.Context(), tt.deadline)
			defer cancel()
			start := time.Now()
			_, err := execute(ctx, c, nil)
			elapsed := time.Since(start)
			var apiErr *browseruse.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the 429 itself, not a deadline error", err)
			}
			if apiErr.RetryAfter < 59*time.Minute {
				t.Errorf("RetryAfter = %v, want about an hour", apiErr.RetryAfter)
			}
			if ctx.Err() != nil || elapsed > time.Second {
				t.Errorf("returned after %v (ctx err %v): it slept instead of giving the 429 back", elapsed, ctx.Err())
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// onRetry is a slog.Handler that calls do when the policy logs that it will
// wait to retry: the moment to cancel, with no timing involved.
type onRetry struct{ do func() }

func (h onRetry) Enabled(context.Context, slog.Level) bool { return true }
func (h onRetry) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h onRetry) WithGroup(string) slog.Handler            { return h }
func (h onRetry) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "retry_in" {
			h.do()
		}
		return true
	})
	return nil
}

func TestRetry_CancelDuringBackoffStopsTheWait(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	c, srv := setup(t, browseruse.WithMaxRetries(2), browseruse.WithMaxRetryWait(time.Hour),
		browseruse.WithLogger(slog.New(onRetry{cancel})))
	srv.Enqueue(browserusetest.Reply{Status: 429, Header: http.Header{"Retry-After": {"600"}}, OffSpec: true})
	_, err := execute(ctx, c, nil)
	var apiErr *browseruse.APIError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("err = %v, want the 429 and context.Canceled", err)
	}
	if n := len(srv.Requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestResponse_MalformedSuccessIsOneAttempt(t *testing.T) {
	t.Parallel()
	for name, reply := range map[string]browserusetest.Reply{
		"truncated_JSON":     {Body: []byte(`{"success":true,"result":{"a":`)},
		"wrong_content_type": {Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(okSkill)},
		"HTML_200":           {Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html>login</html>")},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t, browseruse.WithMaxRetries(2), fastRetries)
			reply.OffSpec = true
			srv.Enqueue(reply)
			res, err := execute(t.Context(), c, nil)
			var apiErr *browseruse.APIError
			if res != nil || !errors.As(err, &apiErr) || apiErr.StatusCode != 200 || apiErr.Err == nil {
				t.Fatalf("res, err = %v, %v; want only an *APIError saying why", res, err)
			}
			if n := len(srv.Requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// zeroGzipMember is one gzip member holding 1 MiB of zeros (about 1 KiB).
// Members concatenate, so writing it n times is an n MiB body that costs the
// server nothing to produce.
var zeroGzipMember = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zw.Write(make([]byte, 1<<20))
	zw.Close()
	return b.Bytes()
})

// TestResponse_HugeBodiesAreCapped is not parallel: it measures allocation,
// which other tests running at the same time would inflate.
func TestResponse_HugeBodiesAreCapped(t *testing.T) {
	const limit = 1 << 20
	member := zeroGzipMember()
	for _, tt := range []struct {
		name  string
		write func(w http.ResponseWriter) // writes until the client hangs up
	}{
		{"gzip_bomb_1GiB", func(w http.ResponseWriter) {
			w.Header().Set("Content-Encoding", "gzip")
			w.Header().Set("Content-Type", "application/json")
			for range 1024 {
				if _, err := w.Write(member); err != nil {
					return
				}
			}
		}},
		{"endless_plain", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			chunk := bytes.Repeat([]byte(" "), 32<<10)
			for range 1 << 15 { // 1 GiB at most
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var acceptEncoding atomic.Value
			srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				acceptEncoding.Store(r.Header.Get("Accept-Encoding"))
				tt.write(w)
			})
			c := client(t, srv.URL, srv.Client(), browseruse.WithMaxResponseBytes(limit))
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := execute(t.Context(), c, nil)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, browseruse.ErrResponseTooLarge) {
				t.Fatalf("err = %v, want ErrResponseTooLarge", err)
			}
			grew := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB reading past a %d KiB cap", grew>>10, limit>>10)
			if grew > 4*limit+(2<<20) {
				t.Errorf("allocated %d bytes for a %d-byte cap", grew, limit)
			}
			if tt.name == "gzip_bomb_1GiB" && acceptEncoding.Load() != "gzip" {
				t.Errorf("Accept-Encoding = %v: the transport must be the one asking for gzip, so it decompresses", acceptEncoding.Load())
			}
			if n := len(srv.requests()); n != 1 {
				t.Errorf("server saw %d requests, want 1", n)
			}
		})
	}
}

// keyCatcher is a server on another origin: it must never see the key.
func keyCatcher(t *testing.T) *rawServer {
	return newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) { writeOK(w) })
}

func TestRedirect_OtherOriginsNeverGetTheKey(t *testing.T) {
	t.Parallel()
	other := keyCatcher(t)
	redirectTo := func(target func(r *http.Request) string) func(int, http.ResponseWriter, *http.Request) {
		return func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target(r), http.StatusTemporaryRedirect)
		}
	}
	// Even a caller's client that follows every redirect must not take the
	// key elsewhere.
	followAll := func(hc *http.Client) *http.Client {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return nil }
		return hc
	}
	for _, tt := range []struct {
		name string
		api  func(t *testing.T) *rawServer
	}{
		{"other_port", func(t *testing.T) *rawServer {
			return newRawServer(t, redirectTo(func(*http.Request) string { return other.URL + "/steal" }))
		}},
		{"other_host_same_port", func(t *testing.T) *rawServer {
			// localhost is the same machine, but not the origin the key is for.
			return newRawServer(t, redirectTo(func(r *http.Request) string {
				_, port, _ := net.SplitHostPort(r.Host)
				return "http://localhost:" + port + "/steal"
			}))
		}},
		{"https_to_http", func(t *testing.T) *rawServer {
			s := &rawServer{}
			s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s.mu.Lock()
				s.seen = append(s.seen, exchange{r.Method, r.URL.Path, r.Header.Get(browseruse.KeyHeader), nil})
				s.mu.Unlock()
				http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
			}))
			s.StartTLS()
			t.Cleanup(s.Close)
			return s
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			api := tt.api(t)
			c := client(t, api.URL, followAll(api.Client()))
			_, err := execute(t.Context(), c, nil)
			if !errors.Is(err, browseruse.ErrCrossOriginRedirect) {
				t.Fatalf("err = %v, want ErrCrossOriginRedirect", err)
			}
			if strings.Contains(err.Error(), browserusetest.APIKey) {
				t.Errorf("error shows the key: %v", err)
			}
			if n := len(api.requests()); n != 1 {
				t.Errorf("API saw %d requests, want 1", n)
			}
		})
	}
	for _, r := range other.requests() {
		t.Errorf("another origin received %s %s with key %q", r.Method, r.Path, r.Key)
	}
}

func TestRedirect_SameOriginIsFollowedWithTheKey(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusTemporaryRedirect)
			return
		}
		writeOK(w)
	})
	c := client(t, srv.URL, srv.Client())
	if _, err := execute(t.Context(), c, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	got := srv.requests()
	if len(got) != 2 || got[1].Key != browserusetest.APIKey || !bytes.Equal(got[0].Body, got[1].Body) {
		t.Errorf("requests = %q, want the key and the body on the redirected one", got)
	}
}

func TestSecurity_CertificateErrorsAreNotRetried(t *testing.T) {
	t.Parallel()
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { writeOK(w) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.StartTLS()
	defer srv.Close()
	// The default transport does not trust the test certificate.
	c := client(t, srv.URL, nil, browseruse.WithMaxRetries(3), fastRetries)
	_, err := execute(t.Context(), c, nil)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("err = %v, want a certificate error", err)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d TLS connections: a certificate that failed once fails again", n)
	}
}

func TestConcurrency_SharedClient(t *testing.T) {
	t.Parallel()
	const callers = 64
	c, srv := setup(t, browseruse.WithMaxRetries(2))
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Go(func() {
			res, err := execute(t.Context(), c, map[string]any{"caller": i})
			if err != nil {
				errs <- err
				return
			}
			var got struct{ Parameters struct{ Caller int } }
			if err := res.Decode(&got); err != nil || got.Parameters.Caller != i {
				errs <- fmt.Errorf("caller %d got %s (%v)", i, res.Result, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]int{}
	for _, r := range srv.Requests() {
		seen[string(r.Body)]++
	}
	for i := range callers {
		body := fmt.Sprintf(`{"parameters":{"caller":%d}}`, i)
		if seen[body] != 1 {
			t.Errorf("server saw caller %d's request %d times", i, seen[body])
		}
	}
}

// lockedBuffer collects log output written from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestSecurity_KeyNeverInErrorsOrLogs(t *testing.T) {
	t.Parallel()
	const key = "bu_live_7d1f0c2a9b_never_print"
	var logs lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	other := keyCatcher(t)

	// A hostile API that echoes the key back in every way it can.
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(browseruse.KeyHeader)
		if r.URL.Path != "/retry" || n%2 == 1 {
			w.Header().Set("X-Request-Id", got)
		}
		switch r.URL.Path {
		case "/echo401":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			json.NewEncoder(w).Encode(map[string]any{"detail": "Invalid API key: " + got,
				"errors": []any{map[string]any{"loc": []any{"header", got}, "msg": got, "type": got}}})
		case "/echo422":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(422)
			json.NewEncoder(w).Encode(map[string]any{"detail": []any{map[string]any{"loc": []any{"header", got}, "msg": "bad " + got, "type": got}}})
		case "/echo502":
			w.Header().Set("Content-Type", "text/html; key="+got)
			w.WriteHeader(502)
			// The key straddles the 512-byte snippet the error keeps.
			io.WriteString(w, strings.Repeat("<", 500)+got+strings.Repeat(">", 100))
		case "/redirect":
			http.Redirect(w, r, other.URL+"/?k="+got, http.StatusFound)
		case "/retry":
			if n%2 == 1 {
				w.WriteHeader(429)
				return
			}
			io.WriteString(w, "ok")
		}
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(key), browseruse.WithLogger(logger), fastRetries)

	var outputs []string
	for _, path := range []string{"/echo401", "/echo422", "/echo502", "/redirect", "/retry"} {
		resp, err := get(t, c, path)
		if path == "/retry" {
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			outputs = append(outputs, fmt.Sprintf("%+v %#v", resp, *resp.Request))
			continue
		}
		if err == nil {
			t.Fatalf("%s: want an error", path)
		}
		outputs = append(outputs, err.Error(), fmt.Sprintf("%v|%+v|%#v", err, err, err))
		var apiErr *browseruse.APIError
		if errors.As(err, &apiErr) {
			outputs = append(outputs, fmt.Sprintf("%#v %#v", *apiErr, apiErr.Errors))
		}
	}
	// Transport errors: a refused connection.
	dead := client(t, "http://"+freePort(t), nil, browseruse.WithAPIKey(key), browseruse.WithLogger(logger), fastRetries)
	_, err := execute(t.Context(), dead, nil)
	outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v", err, err, err))
	for _, opt := range []browseruse.Option{browseruse.WithAPIKey(key)} {
		outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v", opt, opt, opt))
	}
	outputs = append(outputs, fmt.Sprintf("%v|%+v|%#v|%+v", c, c, c, *c.API()), logs.String())

	for _, out := range outputs {
		if strings.Contains(out, key) || strings.Contains(out, key[:12]) {
			t.Errorf("the key (or its start) shows in: %s", out)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n < 8 {
		t.Errorf("%d log lines, want one per attempt:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "retry_in") {
		t.Errorf("retries are not logged with their wait:\n%s", logs.String())
	}
	for _, r := range other.requests() {
		t.Errorf("another origin received %s %s", r.Method, r.Path)
	}
}

func TestSecurity_PlainHTTPOnlyForLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"http://localhost.example.com", "http://127.0.0.1.nip.io:8080", "http://0.0.0.0:80",
		"http://10.0.0.1", "http://[fe80::1]:80",
	} {
		if _, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(u)); err == nil {
			t.Errorf("%s: accepted plain http to a host that is not loopback", u)
		}
	}
	for _, u := range []string{"http://127.0.0.2:9", "http://[::ffff:127.0.0.1]:9", "http://LOCALHOST:9"} {
		if _, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
}

// cutAnswer writes a response with status whose body stops at 18 of the 80
// bytes it declares, then closes the connection.
func cutAnswer(t *testing.T, w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", "80")
	w.Header().Set("Retry-After", "0")
	w.WriteHeader(status)
	io.WriteString(w, `{"detail":"slow do`)
	http.NewResponseController(w).Flush()
	resetConn(t, w)
}

func TestGate_ACutRefusalIsStillARefusal(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			cutAnswer(t, w, http.StatusTooManyRequests)
			return
		}
		writeOK(w)
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithMaxRetries(0), fastRetries)
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatalf("err = %v, want the cut 429 waited out and the call run", err)
	}
	if n := len(srv.requests()); n != 2 {
		t.Errorf("server saw %d requests, want the refused one and the one that ran", n)
	}
	if s := c.GateStats(); s.Refusals != 1 {
		t.Errorf("Stats() = %+v, want 1 refusal", s)
	}
}

func TestResponse_ACutAnswerThatProvesNothingRanIsThatAnswer(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		cutAnswer(t, w, http.StatusPaymentRequired)
	})
	c := client(t, srv.URL, srv.Client(), fastRetries)
	_, err := execute(t.Context(), c, nil)
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusPaymentRequired || !browseruse.StopsBatch(err) {
		t.Fatalf("err = %v, want the 402, which stops a batch", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

// failover is a caller's transport that sends to its primary and, its
// answer lost, tries a backup that fails: a request that reached the server,
// then an error that alone would say it never left.
type failover struct {
	primary http.RoundTripper
	backup  func(*http.Request) (*http.Response, error)
}

func (f failover) RoundTrip(r *http.Request) (*http.Response, error) {
	if resp, err := f.primary.RoundTrip(r); err == nil {
		resp.Body.Close()
	}
	r2 := r.Clone(r.Context())
	r2.URL.Host, r2.Body = "127.0.0.1:1", http.NoBody
	return f.backup(r2)
}

// lateFailover sends to its primary from a goroutine (a slow dial) and
// returns the backup's dial error at once: the body is read after
// RoundTrip returned, as the RoundTripper contract allows.
type lateFailover struct {
	primary http.RoundTripper
	sending *sync.WaitGroup
	closes  bool // closes the body before it returns, as RoundTrip must
}

func (f lateFailover) RoundTrip(r *http.Request) (*http.Response, error) {
	p := r.Clone(context.WithoutCancel(r.Context())) // shares r.Body
	f.sending.Go(func() {
		time.Sleep(30 * time.Millisecond)
		if resp, err := f.primary.RoundTrip(p); err == nil {
			resp.Body.Close()
		}
	})
	if f.closes {
		r.Body.Close()
	}
	b := r.Clone(r.Context())
	b.URL.Host, b.Body = "127.0.0.1:1", http.NoBody
	return dialBackup(b)
}

func dialBackup(r *http.Request) (*http.Response, error) { return (&http.Transport{}).RoundTrip(r) }

// refusingBackup answers as net/http's HTTP/2 transport does a stream the
// backup refused: that proves only the backup did not run it.
func refusingBackup(*http.Request) (*http.Response, error) {
	return nil, errors.New("http2: Transport: cannot retry err [stream error: stream ID 3; REFUSED_STREAM] after Request.Body was written; define Request.GetBody to avoid this error")
}

// Reviews found the POST executed three times: a dial error (or an HTTP/2
// refusal) anywhere in the chain counted as "never sent", whatever the
// caller's transport had done before, or would do after it returned. Only
// a body it closed unread before returning proves nothing was sent.
func TestRetry_ACallersTransportThatReadTheBodyIsNotResent(t *testing.T) {
	t.Parallel()
	type primary = http.RoundTripper
	for name, transport := range map[string]func(primary, *sync.WaitGroup) http.RoundTripper{
		"failover, dial error":     func(p primary, _ *sync.WaitGroup) http.RoundTripper { return failover{p, dialBackup} },
		"failover, REFUSED_STREAM": func(p primary, _ *sync.WaitGroup) http.RoundTripper { return failover{p, refusingBackup} },
		"failover, primary sent after returning": func(p primary, sending *sync.WaitGroup) http.RoundTripper {
			return lateFailover{p, sending, false}
		},
		"failover, body closed, primary sent after returning": func(p primary, sending *sync.WaitGroup) http.RoundTripper {
			return lateFailover{p, sending, true}
		},
		"*http.Transport with a protocol registered": func(p primary, _ *sync.WaitGroup) http.RoundTripper {
			tr := &http.Transport{}
			tr.RegisterProtocol("http", failover{p, dialBackup})
			return tr
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := browserusetest.NewServer()
			defer srv.Close()
			var sending sync.WaitGroup
			c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: transport(srv.InProcess(), &sending)}),
				browseruse.WithMaxRetryWait(10*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
			sending.Wait()
			if n := srv.Stats().Executions; n > 1 || err == nil {
				t.Errorf("the skill ran %d times (err %v), want at most once and the error", n, err)
			}
		})
	}
}

// A caller's transport that fails to dial before reading anything has sent
// nothing: that is retried.
func TestRetry_ACallersTransportThatReadNothingIsResent(t *testing.T) {
	t.Parallel()
	srv := browserusetest.NewServer()
	defer srv.Close()
	var tries atomic.Int32
	rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if tries.Add(1) == 1 {
			return dialBackup(r.Clone(r.Context()))
		}
		return srv.InProcess().RoundTrip(r)
	})
	c, err := srv.Client(browseruse.WithHTTPClient(&http.Client{Transport: rt}), browseruse.WithMaxRetryWait(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil || srv.Stats().Executions != 1 {
		t.Errorf("err %v after %d executions, want a success after one", err, srv.Stats().Executions)
	}
}
