package browseruse

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// ErrCrossOriginRedirect is returned when the server redirects a request to
// another scheme, host or port. The client never follows such a redirect, so
// the key cannot travel to a host it was not meant for.
var ErrCrossOriginRedirect = errors.New("browseruse: refused to follow a redirect to another origin")

var errTooManyRedirects = errors.New("stopped after 10 redirects")

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

// redirectRule is the CheckRedirect of the policy's client: a redirect is
// followed only within the API origin, where the key may go, and the
// attempt's trace records that one was met. check is the caller's own rule,
// if any, applied after.
func redirectRule(base *url.URL, check func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
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
}
