package browseruse

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
)

func TestUnsent(t *testing.T) {
	t.Parallel()
	post := func(err error) error { return &url.Error{Op: "Post", URL: "https://api.example.com/x", Err: err} }
	handshake := errors.New("remote error: tls: handshake failure")
	for _, tt := range []struct {
		name      string
		err       error
		handshake error
		want      bool
	}{
		{"dns", post(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.example.com"}}), nil, true},
		{"refused dial", post(&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}), nil, true},
		{"dial timeout", post(&net.OpError{Op: "dial", Err: context.DeadlineExceeded}), nil, true},
		{"proxy", post(&net.OpError{Op: "proxyconnect", Err: io.EOF}), nil, true},
		{"record header", post(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), nil, true},
		{"traced handshake", post(handshake), handshake, true},
		{"refused stream", post(errors.New("http2: Transport: cannot retry err [stream error: stream ID 3; REFUSED_STREAM; received from peer] after Request.Body was written; define Request.GetBody to avoid this error")), nil, true},
		{"goaway before sending", post(errors.New("http2: Transport: cannot retry err [http2: Transport received Server's graceful shutdown GOAWAY] after Request.Body was written; define Request.GetBody to avoid this error")), nil, true},

		{"stream reset", post(errors.New("http2: Transport: cannot retry err [stream error: stream ID 1; PROTOCOL_ERROR; received from peer] after Request.Body was written; define Request.GetBody to avoid this error")), nil, false},
		{"refused stream named after the bracket", post(errors.New("http2: Transport: cannot retry err [stream error: stream ID 1; CANCEL] REFUSED_STREAM")), nil, false},
		{"unexpected EOF", post(io.ErrUnexpectedEOF), nil, false},
		{"reset", post(&net.OpError{Op: "read", Err: syscall.ECONNRESET}), nil, false},
		{"write", post(&net.OpError{Op: "write", Err: syscall.EPIPE}), nil, false},
		{"attempt timeout", post(fmt.Errorf("attempt timed out: %w", context.DeadlineExceeded)), nil, false},
		{"other handshake", post(io.EOF), handshake, false},
		// A review: a transport's read after sending (HTTP/3 over UDP)
		// failing with ECONNREFUSED, or a DNS error not from a dial, was
		// taken for unsent and the POST sent three times.
		{"refused read", post(&net.OpError{Op: "read", Net: "udp", Err: syscall.ECONNREFUSED}), nil, false},
		{"refused, no dial", post(fmt.Errorf("quic: %w", syscall.ECONNREFUSED)), nil, false},
		{"dns, no dial", post(&net.DNSError{Err: "no such host", Name: "api.example.com"}), nil, false},
	} {
		if got := unsent(tt.err, tt.handshake); got != tt.want {
			t.Errorf("%s: unsent(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
