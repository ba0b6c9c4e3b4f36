package browseruse_test

// Regression tests for the defects of issue 13 and of the first review of
// main, each named for its defect.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/http2"

	"github.com/browser-use/browseruse-go"
)

// h2Server is a minimal HTTP/2 server over TLS: it settles the connection
// (preface, SETTINGS and their ACK) and answers every complete request, a
// HEADERS or DATA frame that ends its stream, with RST_STREAM(code). It
// counts those requests: each one is a request the server received whole.
type h2Server struct {
	URL      string
	Client   *http.Client // trusts the server's certificate, speaks HTTP/2
	requests atomic.Int32
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    []net.Conn
}

func newH2Server(t *testing.T, code http2.ErrCode) *h2Server {
	t.Helper()
	// httptest's certificate is valid for 127.0.0.1; its server is not used.
	certSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	certSrv.StartTLS()
	cert := certSrv.TLS.Certificates[0]
	roots := x509.NewCertPool()
	roots.AddCert(certSrv.Certificate())
	certSrv.Close()

	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}
	s := &h2Server{URL: "https://" + ln.Addr().String(), Client: &http.Client{Transport: tr}, ln: ln}
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			s.mu.Unlock()
			s.wg.Go(func() { s.serve(conn, code) })
		}
	})
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *h2Server) serve(conn net.Conn, code http2.ErrCode) {
	defer conn.Close()
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(conn, conn)
	if fr.WriteSettings() != nil {
		return
	}
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		var ended bool
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() && fr.WriteSettingsAck() != nil {
				return
			}
		case *http2.HeadersFrame:
			ended = f.StreamEnded()
		case *http2.DataFrame:
			ended = f.StreamEnded()
		}
		if ended {
			s.requests.Add(1)
			if fr.WriteRSTStream(f.Header().StreamID, code) != nil {
				return
			}
		}
	}
}

func TestHardening_HTTP2ResetDoesNotReplayAPOST(t *testing.T) {
	t.Parallel()
	srv := newH2Server(t, http2.ErrCodeProtocol)
	c := client(t, srv.URL, srv.Client, fastRetries)
	// A bound, not an assertion: a transport that replays the POST does so
	// until the call's context ends.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := execute(ctx, c, map[string]any{"a": 1})
	if err == nil {
		t.Fatal("want an error")
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("the server received the POST %d times, want once", n)
	}
	if strings.Contains(err.Error(), "attempts") {
		t.Errorf("err = %v, want one attempt", err)
	}
}

func TestHardening_HTTP2RefusedStreamIsRetriedByThePolicy(t *testing.T) {
	t.Parallel()
	// REFUSED_STREAM proves the server did not process the request, so the
	// policy may send it again, within WithMaxRetries: through net/http's
	// own transport. Through a caller's, it may come from a second server
	// after the first ran it (TestRetry_ACallersTransportThatReadTheBodyIsNotResent).
	srv := newH2Server(t, http2.ErrCodeRefusedStream)
	c := client(t, srv.URL, nil, browseruse.WithNetHTTPTransport(srv.Client), fastRetries, browseruse.WithMaxRetries(2))
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	_, err := execute(ctx, c, nil)
	if err == nil || !strings.Contains(err.Error(), "REFUSED_STREAM") {
		t.Fatalf("err = %v, want REFUSED_STREAM", err)
	}
	wantAttempts(t, err, 3)
	if n := srv.requests.Load(); n != 3 {
		t.Errorf("the server was sent the POST %d times, want 1 + WithMaxRetries(2)", n)
	}
}

func TestHardening_HTTP2RedirectedPOSTKeepsItsBody(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, r.Proto+" "+string(b))
		mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, "/moved") {
			http.Redirect(w, r, "/moved"+r.URL.Path, http.StatusPermanentRedirect)
			return
		}
		writeOK(w)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	c := client(t, srv.URL, srv.Client())
	if _, err := execute(t.Context(), c, map[string]any{"a": 1}); err != nil {
		t.Fatal(err)
	}
	want := `HTTP/2.0 {"parameters":{"a":1}}`
	if len(bodies) != 2 || bodies[0] != want || bodies[1] != want {
		t.Errorf("requests = %q, want the POST and its redirect, both with the body, over HTTP/2", bodies)
	}
}

// roundTripFunc is a transport given through WithHTTPClient that emits no
// httptrace events, as in-memory and HTTP/3 transports do not.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestHardening_LostAnswerWithoutTraceIsSentOnce(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		io.Copy(io.Discard, r.Body) // the server ran the skill; the answer is lost
		r.Body.Close()
		return nil, io.ErrUnexpectedEOF
	})}
	c := client(t, "https://api.example.com", hc, fastRetries)
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if n := sent.Load(); n != 1 {
		t.Errorf("POST sent %d times, want once", n)
	}
}

func TestHardening_TimeoutWithoutTraceIsSentOnce(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent.Add(1)
		r.Body.Close()
		<-r.Context().Done() // the server runs the skill for longer than the attempt may last
		return nil, r.Context().Err()
	})}
	c := client(t, "https://api.example.com", hc, fastRetries, browseruse.WithTimeout(20*time.Millisecond))
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the attempt's timeout", err)
	}
	if n := sent.Load(); n != 1 {
		t.Errorf("POST sent %d times, want once", n)
	}
}

func TestHardening_RefusedDialWithoutTraceIsRetried(t *testing.T) {
	t.Parallel()
	var sent atomic.Int32
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		if sent.Add(1) == 1 {
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(okSkill)), ContentLength: -1, Request: r}, nil
	})}
	c := client(t, "https://api.example.com", hc, fastRetries)
	if _, err := execute(t.Context(), c, nil); err != nil {
		t.Fatalf("a refused dial sent nothing, so it is retried: %v", err)
	}
	if n := sent.Load(); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
}

// keyFree fails if any rendering of v shows the key or its start.
func keyFree(t *testing.T, what string, v any) {
	t.Helper()
	key := browseruseKey
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v)} {
		if strings.Contains(s, key) || strings.Contains(s, key[:10]) {
			t.Errorf("%s shows the key: %s", what, s)
		}
	}
	if err, ok := v.(error); ok && strings.Contains(err.Error(), key[:10]) {
		t.Errorf("%s.Error() shows the key: %s", what, err)
	}
}

const browseruseKey = "bu_hardening_0123456789"

func TestHardening_ContentTypeEchoingTheKey(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/"+r.Header.Get(browseruse.KeyHeader))
		io.WriteString(w, okSkill)
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
	_, err := execute(t.Context(), c, nil)
	if err == nil || !strings.Contains(err.Error(), "not JSON") {
		t.Fatalf("err = %v, want a content type error", err)
	}
	keyFree(t, "ExecuteSkill's error", err)
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if resp != nil || err == nil {
		t.Fatalf("resp, err = %v, %v; want an error", resp, err)
	}
	keyFree(t, "API()'s error", err)
}

func TestHardening_FailedSkillEchoingTheKey(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(browseruse.KeyHeader)
		w.Header().Set("Content-Type", "application/json")
		// JSON may spell the key with escapes; a decoder turns them back.
		escaped := `\u0062u_` + strings.ReplaceAll(key[3:], "_", `\u005f`)
		fmt.Fprintf(w, `{"success":false,"error":"bad key %s","stderr":"key=%s","result":{"k":%q},"latencyMs":1}`, key, escaped, key)
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
	_, err := execute(t.Context(), c, nil)
	var se *browseruse.SkillError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SkillError", err)
	}
	keyFree(t, "the SkillError", err)
	keyFree(t, "its fields", *se)
	keyFree(t, "its result", string(se.Result))
	if !json.Valid(se.Result) || se.Message != "bad key [redacted]" || se.Stderr != "key=[redacted]" {
		t.Errorf("skill error = %+v, want the key redacted and the rest kept", se)
	}
}

func TestHardening_UpperCaseLocalhostBypassesTheProxy(t *testing.T) {
	t.Parallel()
	proxy := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) { writeOK(w) })
	api := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) { writeOK(w) })
	// The rules of http.ProxyFromEnvironment with HTTP_PROXY set, which
	// net/http reads once per process: a test cannot set it.
	fromEnv := (&httpproxy.Config{HTTPProxy: proxy.URL}).ProxyFunc()
	tr := &http.Transport{Proxy: func(r *http.Request) (*url.URL, error) { return fromEnv(r.URL) }}
	defer tr.CloseIdleConnections()
	_, port, _ := net.SplitHostPort(api.Listener.Addr().String())
	for _, host := range []string{"LOCALHOST", "LocalHost"} {
		c := client(t, "http://"+host+":"+port, &http.Client{Transport: tr})
		if _, err := execute(t.Context(), c, nil); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
	}
	for _, r := range proxy.requests() {
		t.Errorf("the proxy received %s %s with key %q", r.Method, r.Path, r.Key)
	}
	if n := len(api.requests()); n != 2 {
		t.Errorf("the API received %d requests, want 2", n)
	}
}

func TestHardening_RedirectChainHoldsNoKey(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n < 3 {
			http.Redirect(w, r, fmt.Sprintf("/r%d%s", n, r.URL.Path), http.StatusTemporaryRedirect)
			return
		}
		writeOK(w)
	})
	c := client(t, srv.URL, srv.Client())
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hops := 0
	for r := resp.HTTPResponse.Request; r != nil; hops++ {
		if v := r.Header.Get(browseruse.KeyHeader); v != "" {
			t.Errorf("request %d back (%s) holds the key %q", hops, r.URL.Path, v)
		}
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	if hops != 2 {
		t.Errorf("walked %d redirects, want 2", hops)
	}
	if got := srv.requests(); len(got) != 3 || got[2].Key == "" {
		t.Errorf("requests = %q, want 3, the last with the key", got)
	}
}

// Not parallel: it measures the bytes the whole process allocates.
func TestHardening_DeclaredLengthIsNotPreallocated(t *testing.T) {
	const declared = 64 << 20
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"succ", declared)
		buf.Flush()
		conn.Close()
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithMaxResponseBytes(2*declared))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := execute(t.Context(), c, nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > declared/8 {
		t.Errorf("a call that received 6 bytes allocated %d MiB: memory must follow the bytes received", n>>20)
	}
}

// seeOtherThen is a transport for a server that runs the skill on the POST
// and answers 303 See Other (POST/redirect/GET); then answers the GET. It
// counts the POSTs: each one is a skill that ran.
func seeOtherThen(posts *atomic.Int32, get func(r *http.Request) (*http.Response, error)) *http.Client {
	return &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Body != nil {
			r.Body.Close()
		}
		if r.Method != http.MethodPost {
			return get(r)
		}
		posts.Add(1)
		return &http.Response{StatusCode: http.StatusSeeOther, Header: http.Header{"Location": {"/result"}},
			Body: http.NoBody, Request: r}, nil
	})}
}

func TestHardening_POSTRedirectedTo429IsNotResent(t *testing.T) {
	t.Parallel()
	var posts, gets atomic.Int32
	hc := seeOtherThen(&posts, func(r *http.Request) (*http.Response, error) {
		if gets.Add(1) == 1 {
			return &http.Response{StatusCode: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"0"}},
				Body: http.NoBody, Request: r}, nil
		}
		return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
			Body: io.NopCloser(strings.NewReader(okSkill)), ContentLength: -1, Request: r}, nil
	})
	c := client(t, "https://api.example.com", hc, fastRetries)
	_, err := execute(t.Context(), c, nil)
	if n := posts.Load(); n != 1 {
		t.Errorf("the skill ran %d times: a 429 to the GET after its 303 does not say the POST was refused", n)
	}
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests {
		t.Errorf("err = %v, want the 429", err)
	}
}

func TestHardening_POSTRedirectedToARefusedDialIsNotResent(t *testing.T) {
	t.Parallel()
	var posts atomic.Int32
	hc := seeOtherThen(&posts, func(*http.Request) (*http.Response, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	})
	c := client(t, "https://api.example.com", hc, fastRetries)
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("err = %v, want the refused dial", err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("the skill ran %d times: the GET after its 303 was unsent, the POST was not", n)
	}
}

func TestHardening_RefusedStreamTextInAURLIsNoProof(t *testing.T) {
	t.Parallel()
	const refused = "http2: Transport: cannot retry err [stream error: stream ID 1; REFUSED_STREAM; received from peer] after Request.Body was written"
	// A redirect's Location is the server's text, and *url.Error quotes it.
	lost := &url.Error{Op: "Post", URL: "https://api.example.com/x?" + refused, Err: io.ErrUnexpectedEOF}
	if browseruse.Unsent(lost, nil) {
		t.Errorf("a lost answer counts as unsent because the URL quotes %q", refused)
	}
	// The transport's own error still proves it.
	real := &url.Error{Op: "Post", URL: "https://api.example.com/x", Err: errors.New(refused)}
	if !browseruse.Unsent(real, nil) {
		t.Errorf("REFUSED_STREAM from the transport is not recognised: %v", real)
	}
}

// keyFreeChain fails if any error reachable from err by errors.Unwrap (of
// either form) or errors.As shows the key.
func keyFreeChain(t *testing.T, err error) {
	t.Helper()
	keyFree(t, "the error", err)
	var walk func(e error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if strings.Contains(e.Error(), browseruseKey) {
			t.Errorf("a wrapped %T shows the key: %s", e, e.Error())
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	var ue *url.Error
	if errors.As(err, &ue) && (strings.Contains(ue.Error(), browseruseKey) || strings.Contains(ue.URL, browseruseKey)) {
		t.Errorf("errors.As(err, *url.Error) shows the key: %s", ue.Error())
	}
}

// rawAnswer makes srv write answer as the whole response, after reading the request.
func rawAnswer(t *testing.T, answer string) *rawServer {
	return newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString(answer)
		buf.Flush()
		conn.Close()
	})
}

func TestHardening_KeyEchoedInAMalformedResponseIsNotInTheChain(t *testing.T) {
	t.Parallel()
	for _, answer := range []string{
		"HTTP/1.1_" + browseruseKey + "\r\n\r\n",                      // status line
		"HTTP/1.1 200 OK\r\nbad header " + browseruseKey + "\r\n\r\n", // header line
	} {
		srv := rawAnswer(t, answer)
		c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey), browseruse.WithMaxRetries(0))
		_, err := execute(t.Context(), c, nil)
		if err == nil {
			t.Fatalf("%q: no error", answer)
		}
		keyFreeChain(t, err)
		var ue *url.Error
		if !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want it to still match *url.Error", answer, err)
		}
		_, err = c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
		keyFreeChain(t, err)
	}
}

func TestHardening_RedactingKeepsSentinels(t *testing.T) {
	t.Parallel()
	// The key in the URL an error quotes, a sentinel below it.
	hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r.Body.Close()
		if r.URL.Path == "/next" {
			return nil, io.ErrUnexpectedEOF
		}
		return &http.Response{StatusCode: http.StatusTemporaryRedirect,
			Header: http.Header{"Location": {"/next?k=" + r.Header.Get(browseruse.KeyHeader)}}, Body: http.NoBody, Request: r}, nil
	})}
	c := client(t, "https://api.example.com", hc, browseruse.WithAPIKey(browseruseKey))
	_, err := execute(t.Context(), c, nil)
	keyFreeChain(t, err)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("err = %v, want it to still match io.ErrUnexpectedEOF", err)
	}
}

func TestHardening_FollowedRedirectURLHoldsNoKey(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(n int, w http.ResponseWriter, r *http.Request) {
		k := r.Header.Get(browseruse.KeyHeader)
		if n < 3 { // the second hop's Referer is the first hop's URL, with the key
			w.Header().Set("Location", fmt.Sprintf("/done%d/%s?key=%s&enc=%%62u_%s", n, k, k, k[3:]))
			w.WriteHeader(http.StatusTemporaryRedirect)
			return
		}
		writeOK(w)
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hops := 0
	for r := resp.HTTPResponse.Request; r != nil; hops++ {
		u, _ := url.QueryUnescape(r.URL.String())
		if s := fmt.Sprintf("%s %s %v", u, r.URL.Path, r.Header); strings.Contains(s, browseruseKey) {
			t.Errorf("request %d back shows the key: %s", hops, s)
		}
		if r.Response == nil {
			break
		}
		r = r.Response.Request
	}
	if hops != 2 {
		t.Errorf("walked %d redirects, want 2", hops)
	}
}

func TestHardening_PercentEncodedKeyInACrossOriginLocation(t *testing.T) {
	t.Parallel()
	enc := "%62%75%5f" + browseruseKey[3:] // "bu_" %-escaped
	srv := rawAnswer(t, "HTTP/1.1 307 Temporary Redirect\r\nLocation: https://evil.example/x/"+enc+"?k="+enc+
		"\r\nContent-Length: 0\r\n\r\n")
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey), browseruse.WithMaxRetries(0))
	_, err := execute(t.Context(), c, nil)
	if !errors.Is(err, browseruse.ErrCrossOriginRedirect) {
		t.Fatalf("err = %v, want ErrCrossOriginRedirect", err)
	}
	keyFreeChain(t, err)
	if u, _ := url.QueryUnescape(err.Error()); strings.Contains(u, browseruseKey) {
		t.Errorf("the error quotes the key %%-escaped: %v", err)
	}
	if !strings.Contains(err.Error(), "https://evil.example") {
		t.Errorf("err = %v, want it to name the origin it refused", err)
	}
}

// Not parallel: it measures the bytes the whole process allocates.
func TestHardening_DeclaredLengthUnderTheCapIsNotPreallocated(t *testing.T) {
	const declared = 63 << 20 // under the default cap of 64 MiB
	srv := rawAnswer(t, fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"succ", declared))
	c := client(t, srv.URL, srv.Client(), browseruse.WithMaxRetries(0))
	execute(t.Context(), c, nil) // warm: connection setup and lazy state
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := execute(t.Context(), c, nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 512<<10 {
		t.Errorf("a call that received 6 bytes allocated %d KiB: memory must follow the bytes received", n>>10)
	}
}

func TestHardening_TLSRecordErrorAfterTheHandshakeIsNoProof(t *testing.T) {
	t.Parallel()
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://api.example.com/x", Err: err} }
	// Garbage in a record of the response: the request had been written.
	late := tls.RecordHeaderError{Msg: "tls: oversized record received with length 20000"}
	if browseruse.Unsent(post(late), nil) {
		t.Errorf("%v after the handshake counts as unsent", late)
	}
	// https to a plain-http server: the handshake's first record.
	first := tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}
	if !browseruse.Unsent(post(first), nil) {
		t.Errorf("%v counts as sent", first)
	}
	if !browseruse.Unsent(post(late), late) {
		t.Errorf("%v, the traced handshake's error, counts as sent", late)
	}
}

// percentAll spells every byte of s as %XX.
func percentAll(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// unescapeAll decodes every %XX and \uXXXX (of an ASCII byte) in s, again
// and again until nothing changes: what a reader of s could recover.
func unescapeAll(s string) string {
	for {
		u := unescapeOnce(s)
		if u == s {
			return s
		}
		s = u
	}
}

// unescapeOnce decodes every %XX and \uXXXX (of an ASCII byte) in s once.
func unescapeOnce(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		var v int
		if s[i] == '%' && i+2 < len(s) {
			if _, err := fmt.Sscanf(s[i+1:i+3], "%02x", &v); err == nil {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		if strings.HasPrefix(s[i:], `\u00`) && i+5 < len(s) {
			if _, err := fmt.Sscanf(s[i+4:i+6], "%02x", &v); err == nil {
				b.WriteByte(byte(v))
				i += 5
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// keyFreeDecoded is keyFree for renderings once their escapes are decoded.
func keyFreeDecoded(t *testing.T, what string, v any) {
	t.Helper()
	keyFree(t, what, v)
	for _, s := range []string{fmt.Sprint(v), fmt.Sprintf("%+v", v), fmt.Sprintf("%#v", v)} {
		if d := unescapeAll(s); strings.Contains(d, browseruseKey) {
			t.Errorf("%s shows the key once unescaped: %s", what, s)
		}
	}
}

func TestHardening_PercentEscapedKeyInA401(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		key := percentAll(r.Header.Get(browseruse.KeyHeader))
		w.Header().Set("X-Request-Id", key)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprintf(w, `{"detail":"invalid key %s"}`, key)
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
	_, err := execute(t.Context(), c, nil)
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want the 401", err)
	}
	keyFreeDecoded(t, "the 401", err)
	keyFreeDecoded(t, "its fields", *apiErr)
	if !strings.Contains(apiErr.Detail, "invalid key [redacted]") {
		t.Errorf("Detail = %q, want the key redacted and the rest kept", apiErr.Detail)
	}
}

func TestHardening_EscapedKeyInASuccess(t *testing.T) {
	t.Parallel()
	for name, spell := range map[string]func(key string) string{
		"percent_every_byte": percentAll,
		"percent_underscore": func(k string) string { return strings.ReplaceAll(k, "_", "%5F") },
		// JSON escapes of the percent signs of a %-escape, and a %-escape of
		// the backslash of a JSON escape.
		"json_then_percent": func(k string) string { return strings.ReplaceAll(percentAll(k), "%", `\u0025`) },
		"percent_then_json": func(k string) string { return `%5Cu0062` + k[1:] },
		"mixed":             func(k string) string { return `\u0062%75` + strings.ReplaceAll(k[2:], "_", `\u005f`) },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				key := spell(r.Header.Get(browseruse.KeyHeader))
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"success":true,"result":{"echo":"%s"},"stderr":"key=%s","latencyMs":1}`, key, key)
			})
			c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
			res, err := execute(t.Context(), c, nil)
			if err != nil {
				t.Fatal(err)
			}
			keyFreeDecoded(t, "the result", string(res.Result))
			keyFreeDecoded(t, "the stderr", res.Stderr)
			var v map[string]string
			if err := res.Decode(&v); err != nil || v["echo"] != "[redacted]" || res.Stderr != "key=[redacted]" {
				t.Errorf("result %v (%v), stderr %q: want the key redacted and the rest kept", v, err, res.Stderr)
			}
		})
	}
}

// A header or trailer name is text the server supplies too: spelled with
// %-escapes (canonicalizing keeps a name that starts with one), it is
// redacted as a value is.
func TestHardening_PercentEscapedKeyInAHeaderName(t *testing.T) {
	t.Parallel()
	srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
		name := percentAll(r.Header.Get(browseruse.KeyHeader))
		w.Header()[name] = []string{"1"}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, okSkill)
		w.(http.Flusher).Flush() // chunked, so that trailers can follow
		w.Header()[http.TrailerPrefix+name] = []string{"2"}
	})
	c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey))
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, h := range []http.Header{resp.HTTPResponse.Header, resp.HTTPResponse.Trailer} {
		for name, vs := range h {
			keyFreeDecoded(t, "a header name", name)
			got[name+"="+strings.Join(vs, ",")] = true
		}
	}
	if !got["[redacted]=1"] || !got["[redacted]=2"] {
		t.Errorf("headers and trailers %v: want the names redacted and their values kept", got)
	}
}

// showsKeyWithin reports whether s shows the key once decoded up to rounds
// times: what the README promises no shown text does, for three rounds.
func showsKeyWithin(s string, rounds int) bool {
	for range rounds + 1 {
		if strings.Contains(s, browseruseKey) {
			return true
		}
		s = unescapeOnce(s)
	}
	return false
}

// A body is redacted before JSON decoding, and what a caller sees is
// decoded: a spelling three rounds deep in the decoded text (%252562 for
// "b") is four rounds deep in the body, its first % written \u0025.
func TestHardening_KeyThreeRoundsDeepOnceDecoded(t *testing.T) {
	t.Parallel()
	spell := func(key string) string { return `\u0025252562` + key[1:] }
	for name, tt := range map[string]struct {
		status int
		body   string // %s is the spelling
		call   func(c *browseruse.Client) []string
	}{
		"detail": {http.StatusUnauthorized, `{"detail":"invalid key %s"}`, func(c *browseruse.Client) []string {
			_, err := execute(t.Context(), c, nil)
			return []string{fmt.Sprint(err), fmt.Sprintf("%+v", err)}
		}},
		"result": {http.StatusOK, `{"success":true,"result":"%[1]s","stderr":"%[1]s","latencyMs":1}`, func(c *browseruse.Client) []string {
			r, err := browseruse.ExecuteSkillAs[string](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{})
			if err != nil {
				return []string{err.Error()}
			}
			return []string{r.Value, r.Stderr}
		}},
		"decode_error": {http.StatusOK, `{"success":true,"result":{"%s":1},"latencyMs":1}`, func(c *browseruse.Client) []string {
			_, err := browseruse.ExecuteSkillAs[map[int]int](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{})
			return []string{fmt.Sprint(err)}
		}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, func(_ int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, tt.body, spell(r.Header.Get(browseruse.KeyHeader)))
			})
			c := client(t, srv.URL, srv.Client(), browseruse.WithAPIKey(browseruseKey), browseruse.WithMaxRetries(0))
			for _, s := range tt.call(c) {
				if showsKeyWithin(s, 3) {
					t.Errorf("shows the key within three rounds: %s", s)
				}
			}
		})
	}
}
