package browseruse

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net/http/httptrace"
	"sync"
)

// connTrace follows how an attempt got its connection, from httptrace
// events (which a transport may not emit at all), and whether it followed a
// redirect. It is also the attempt's context, under which CheckRedirect
// finds it (see [attemptKey]), and, in front of a caller's transport, the
// request's body, to tell whether that transport read any of it (sendBody):
// one allocation per attempt serves all three.
type connTrace struct {
	context.Context
	httptrace.ClientTrace
	body         io.ReadCloser
	mu           sync.Mutex
	got          bool
	redirected   bool
	bodyRead     bool
	bodyClosed   bool
	handshakeErr error
}

// sendBody makes t the request's body in front of body (see noReplay).
func (t *connTrace) sendBody(body io.ReadCloser) io.ReadCloser {
	t.body = body
	return t
}

// Read is the transport reading the request's body: from then on the
// request may have reached the server, whatever error the transport
// returns after. A body once closed reads no more, though the bytes
// underneath would: a closed, unread body is bodyUnsent's proof, and a
// transport that sent it from a goroutine after closing it would run the
// skill the retry runs again.
func (t *connTrace) Read(p []byte) (int, error) {
	if err := t.reading(); err != nil {
		return 0, err
	}
	return t.body.Read(p)
}

// WriteTo is the transport copying the body out whole, as it does a body
// it knows is in memory: through the body's own WriteTo when it has one, so
// fronting it costs no copy buffer.
func (t *connTrace) WriteTo(w io.Writer) (int64, error) {
	if err := t.reading(); err != nil {
		return 0, err
	}
	return io.Copy(w, t.body)
}

// errBodyClosed is what a read of the request's body after its Close gets.
var errBodyClosed = errors.New("browseruse: read of a request body after its Close")

// reading records a read, unless the body was closed: then the read fails.
func (t *connTrace) reading() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bodyClosed {
		return errBodyClosed
	}
	t.bodyRead = true
	return nil
}

func (t *connTrace) Close() error {
	t.mu.Lock()
	t.bodyClosed = true
	t.mu.Unlock()
	return t.body.Close()
}

// bodyUnsent reports whether the transport proved, by the time it
// returned, that it sent none of the request: a body it was not given (the
// library's own transport) or one it closed unread. A caller's transport
// may read the body after it returned (RoundTrip may hand the request to a
// goroutine, and report another address's dial error meanwhile); the
// RoundTripper contract has it close the body, and net/http's closes it
// before it returns a dial error.
func (t *connTrace) bodyUnsent() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.body == nil || t.bodyClosed && !t.bodyRead
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
