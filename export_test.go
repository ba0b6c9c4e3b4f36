package browseruse

import "net/http"

// CloseIdleConnections closes the idle connections of the transport shared
// by clients built without WithHTTPClient, so a leak check sees only
// goroutines that really leaked.
func CloseIdleConnections() { defaultTransport().CloseIdleConnections() }

// Unsent is unsent, for tests of what proves a request unsent.
var Unsent = unsent

// WithNetHTTPTransport is WithHTTPClient for a client whose transport is a
// *http.Transport of the test's and nothing else (no RegisterProtocol, no
// dialer of its own that sends): treated as the library's own, for tests of
// what only net/http's code proves (an HTTP/2 REFUSED_STREAM) against a
// test server's certificate.
func WithNetHTTPTransport(hc *http.Client) Option {
	return func(s *settings) error {
		s.httpClient, s.netHTTPOnly = hc, true
		return nil
	}
}
