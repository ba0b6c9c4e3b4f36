package browseruse

import (
	"context"
	"crypto/tls"
	"net/http/httptrace"
	"sync"
)

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
