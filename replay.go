package browseruse

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
)

// noReplay is the RoundTripper the policy sends through. It hands a request
// that must not run twice (any method that is not idempotent: decided from
// the method, since an operation the spec does not know is no safer) to the
// transport in a form the transport cannot send again: without GetBody, and
// with a body that is never nil or http.NoBody. net/http's HTTP/2 transport
// re-sends on its own a request whose stream the server reset, and it does
// so whenever the body is empty or GetBody can rewind it: a server answering
// every request with RST_STREAM(PROTOCOL_ERROR) had one ExecuteSkill call
// run hundreds of times. With this, only the policy decides a re-send.
//
// The http.Client above the transport still sees GetBody, so it can follow a
// same-origin 307 or 308 redirect of a POST with its body.
//
// A caller's transport (WithHTTPClient) gets the body through the attempt's
// connTrace, which records whether it was read or closed (bodyUnsent): such
// a transport may send the request and then fail in a way that looks like
// it never did (failing over to a second address it cannot dial, or to a
// second server that refuses the stream; a connection of its own that
// redials; a goroutine that sends after it returned). Even a
// *http.Transport of the caller's may hand the request to another transport
// (RegisterProtocol) or dial through its own code. The library's own
// transport returns a dial error only for a request it never wrote, and it
// sends a body it knows is in memory with its headers in one write, so its
// requests keep their own body, and pay no context lookup. Only the first
// request of an attempt is fronted: after a redirect nothing counts as
// unsent, and the first request's transport may still be reading its body.
type noReplay struct {
	next   http.RoundTripper
	theirs bool // next is the caller's
}

func (t noReplay) RoundTrip(req *http.Request) (*http.Response, error) {
	if isIdempotent(req.Method) {
		return t.next.RoundTrip(req)
	}
	out := *req // shallow: a RoundTripper must not modify the request it is given
	out.GetBody = nil
	if out.Body == nil || out.Body == http.NoBody {
		out.Body = emptyBody{}
		out.ContentLength = 0
	}
	if t.theirs {
		if tr, ok := req.Context().Value(attemptKey{}).(*connTrace); ok && tr.body == nil {
			out.Body = tr.sendBody(out.Body)
		}
	}
	return t.next.RoundTrip(&out)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport underneath.
func (t noReplay) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// emptyBody is an empty body that is not http.NoBody, so the transport cannot
// take it for "no body, safe to send again".
type emptyBody struct{}

func (emptyBody) Read([]byte) (int, error) { return 0, io.EOF }
func (emptyBody) Close() error             { return nil }

// unsent reports whether a failed attempt provably never reached the server:
// the failure happened while resolving, dialling or handshaking, before a
// byte of the request could be written. Everything else may have reached the
// server, even when the transport says nothing about connections (an
// in-memory or HTTP/3 transport emits no httptrace events). handshakeErr is
// the error a TLS handshake for this request failed with, as httptrace
// reported it, if one did and no connection was obtained.
func unsent(err, handshakeErr error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// Only a dial that timed out is known to be unsent, and that is an
		// *net.OpError with Op "dial" below.
		var op *net.OpError
		return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
	}
	var op *net.OpError
	var cert *tls.CertificateVerificationError
	var record tls.RecordHeaderError
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect"):
		// A refused connection or a name not found while dialling. Not
		// ECONNREFUSED or a *net.DNSError anywhere else: a transport's read
		// after sending (HTTP/3 over UDP) may fail with either.
		return true
	case errors.As(err, &cert), errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid):
		return true
	case errors.As(err, &record) && record.Msg == firstRecordNotTLS:
		// A record error later on (garbage in the response) comes after
		// the request was written; this one is the handshake's first read.
		return true
	case handshakeErr != nil && errors.Is(err, handshakeErr):
		return true
	}
	return refusedByHTTP2(err)
}

// firstRecordNotTLS is crypto/tls's text for a server that answered the
// handshake with something else, plain HTTP most often.
const firstRecordNotTLS = "first record does not look like a TLS handshake"

// refusedByHTTP2 recognises the two HTTP/2 answers that prove a request was
// not processed (RFC 9113, section 8.7): REFUSED_STREAM, and a GOAWAY that
// came before the request was sent. net/http's HTTP/2 transport used to
// re-send those itself; since noReplay takes that from it, it returns them
// as an error of its own, recognisable only by its text. Only an error in
// the chain whose own text starts with the transport's words counts, and
// only with nothing but codes inside: a *url.Error quotes the request's URL,
// which after a redirect is the server's Location, and the server may write
// anything there.
func refusedByHTTP2(err error) bool {
	const prefix = "http2: Transport: cannot retry err ["
	for ; err != nil; err = errors.Unwrap(err) {
		msg := err.Error()
		if !strings.HasPrefix(msg, prefix) {
			continue
		}
		inner, _, ok := strings.Cut(msg[len(prefix):], "]")
		if !ok {
			return false
		}
		if id, found := strings.CutPrefix(inner, "stream error: stream ID "); found {
			// The code as the server sent it, or as net/http marks a code
			// from the peer.
			id, found = strings.CutSuffix(strings.TrimSuffix(id, "; received from peer"), "; REFUSED_STREAM")
			return found && id != "" && strings.Trim(id, "0123456789") == ""
		}
		return inner == "http2: Transport received Server's graceful shutdown GOAWAY"
	}
	return false
}
