package browseruse

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unsafe"
)

// The key is taken out of everything a server supplies (status lines,
// headers, trailers and bodies, of the response and of every redirect before
// it) once, in the attempt that received it, before any error, log line or
// caller can see it. An error path added later cannot forget to redact: by
// then there is nothing left to redact. A server that echoes the key (an
// "invalid key bu_..." message, a request id, a content type) must not put it
// into the caller's logs.

const redacted = "[redacted]"

// redactResponse redacts resp, the responses to the redirects that led to
// it, and body, which it returns (a copy when anything was taken out: the
// caller may hand the original to nobody else).
func (p *policy) redactResponse(resp *http.Response, body []byte) []byte {
	key := string(p.key)
	if key == "" {
		return body
	}
	for r := resp; r != nil; {
		r.Status = redactString(r.Status, key)
		redactHeader(r.Header, key)
		redactHeader(r.Trailer, key)
		if r.Request == nil {
			break
		}
		r = r.Request.Response
	}
	// Read-only view: body is ours and is not written while it is scanned.
	spans := keySpans(unsafe.String(unsafe.SliceData(body), len(body)), key)
	if spans == nil {
		return body
	}
	out := make([]byte, 0, len(body))
	last := 0
	for _, s := range spans {
		out = append(append(out, body[last:s[0]]...), redacted...)
		last = s[1]
	}
	return append(out, body[last:]...)
}

func redactHeader(h http.Header, key string) {
	for name, vs := range h {
		for i, v := range vs {
			vs[i] = redactString(v, key)
		}
		if containsFold(name, key) { // header names are case-insensitive
			delete(h, name)
			h[redacted] = append(h[redacted], vs...)
		}
	}
}

func redactString(s, key string) string {
	spans := keySpans(s, key)
	if spans == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		b.WriteString(s[last:sp[0]])
		b.WriteString(redacted)
		last = sp[1]
	}
	b.WriteString(s[last:])
	return b.String()
}

func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
}

// keySpans finds every spelling of key in s, as [start, end) pairs: the key
// itself, or the key with any of its bytes written as a JSON escape
// ("\u0062u_..." or "\/"), which a JSON decoder turns back into the key. It
// returns nil, without allocating, when there is none: the common case
// costs a search for the key and for a backslash.
func keySpans(s, key string) [][2]int {
	lit := strings.Index(s, key)
	if lit < 0 && strings.IndexByte(s, '\\') < 0 {
		return nil
	}
	var spans [][2]int
	for next := 0; next < len(s); {
		if lit >= 0 && lit < next {
			if lit = strings.Index(s[next:], key); lit >= 0 {
				lit += next
			}
		}
		b := strings.IndexByte(s[next:], '\\')
		if b < 0 {
			if lit < 0 {
				break
			}
			spans = append(spans, [2]int{lit, lit + len(key)})
			next = lit + len(key)
			continue
		}
		b += next
		// A spelling with an escape starts at most len(key)-1 bytes before
		// its first backslash.
		from := max(next, b-len(key)+1)
		if lit >= 0 && lit < from {
			spans = append(spans, [2]int{lit, lit + len(key)})
			next = lit + len(key)
			continue
		}
		found := false
		for i := from; i <= b; i++ {
			if n := keyAt(s, i, key); n > 0 {
				spans = append(spans, [2]int{i, i + n})
				next, found = i+n, true
				break
			}
		}
		if !found {
			next = b + 1
		}
	}
	return spans
}

// keyAt is the length of the spelling of key that starts at s[i], 0 if none.
func keyAt(s string, i int, key string) int {
	j := i
	for k := 0; k < len(key); k++ {
		c := key[k]
		switch {
		case j >= len(s):
			return 0
		case s[j] == c:
			j++
		case s[j] != '\\' || j+1 >= len(s):
			return 0
		case s[j+1] == 'u' && j+6 <= len(s) && c < 0x80 && hexValue(s[j+2:j+6]) == int(c):
			j += 6
		case (s[j+1] == '/' || s[j+1] == '"' || s[j+1] == '\\') && s[j+1] == c:
			j += 2
		default:
			return 0
		}
	}
	return j - i
}

// hexValue decodes four hex digits, -1 if they are not.
func hexValue(h string) int {
	v := 0
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}

// showsKey reports whether s shows the key as redactString finds it, or
// once its %-escapes are decoded, as a URL's reader would decode them.
func showsKey(s, key string) bool {
	if key == "" {
		return false
	}
	return keySpans(s, key) != nil || strings.IndexByte(s, '%') >= 0 && keySpans(unescapePercent(s), key) != nil
}

// redactText is redactString for text that may be %-escaped: when the key
// shows only once decoded, the decoded text is redacted and returned.
func redactText(s, key string) string {
	if key == "" {
		return s
	}
	s = redactString(s, key)
	if strings.IndexByte(s, '%') >= 0 {
		if d := unescapePercent(s); keySpans(d, key) != nil {
			return redactString(d, key)
		}
	}
	return s
}

// unescapePercent decodes every valid %XX of s and keeps the rest as it is,
// where url.PathUnescape would give up on the first invalid one.
func unescapePercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if v := hexValue("00" + s[i+1:i+3]); v >= 0 {
				b.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func urlShowsKey(u *url.URL, key string) bool {
	return u != nil && (showsKey(u.Path, key) || showsKey(u.RawPath, key) || showsKey(u.RawQuery, key) ||
		showsKey(u.Fragment, key) || showsKey(u.RawFragment, key) || u.User != nil && showsKey(u.User.String(), key))
}

func headerShowsKey(h http.Header, key string) bool {
	for name, vs := range h {
		if showsKey(name, key) || slices.ContainsFunc(vs, func(v string) bool { return showsKey(v, key) }) {
			return true
		}
	}
	return false
}

// redactURL is a copy of u with the key taken out of every part a server's
// Location can set on a same-origin redirect.
func redactURL(u *url.URL, key string) *url.URL {
	c := *u
	c.Path, c.RawPath = redactText(c.Path, key), ""
	c.RawQuery = redactText(c.RawQuery, key)
	c.Fragment, c.RawFragment = redactText(c.Fragment, key), ""
	if c.User != nil && showsKey(c.User.String(), key) {
		c.User = nil
	}
	return &c
}

// redactError takes the key out of a transport error: out of its text and
// out of every error below it that errors.Unwrap or errors.As can reach. A
// server puts it there by echoing it where the transport quotes what it
// read: a redirect's Location (in *url.Error's URL), a malformed status or
// header line. The chain is rebuilt, never modified: *url.Error is copied
// with its URL and Err redacted, a wrapper of another type whose own text
// holds the key becomes a redactedError over its redacted cause, and a leaf
// that holds it becomes one with its text alone. Errors that do not hold
// the key are kept as they are, so errors.Is still finds a sentinel such as
// io.ErrUnexpectedEOF or context.DeadlineExceeded below a rewritten one.
func (p *policy) redactError(err error) error {
	key := string(p.key)
	if key == "" || !chainHolds(err, key) {
		return err
	}
	return redactChain(err, key)
}

// chainHolds reports whether err or an error below it shows the key.
func chainHolds(err error, key string) bool {
	if err == nil {
		return false
	}
	if showsKey(err.Error(), key) {
		return true
	}
	switch e := err.(type) {
	case interface{ Unwrap() error }:
		return chainHolds(e.Unwrap(), key)
	case interface{ Unwrap() []error }:
		return slices.ContainsFunc(e.Unwrap(), func(e error) bool { return chainHolds(e, key) })
	}
	return false
}

func redactChain(err error, key string) error {
	if !chainHolds(err, key) {
		return err
	}
	switch e := err.(type) {
	case *url.Error:
		c := *e
		c.URL = redactText(c.URL, key)
		c.Err = redactChain(c.Err, key)
		if !chainHolds(&c, key) {
			return &c
		}
	case interface{ Unwrap() error }:
		return redactedError{redactText(err.Error(), key), redactChain(e.Unwrap(), key)}
	case interface{ Unwrap() []error }:
		errs := slices.Clone(e.Unwrap())
		for i := range errs {
			errs[i] = redactChain(errs[i], key)
		}
		return redactedErrors{redactText(err.Error(), key), errs}
	}
	return redactedError{msg: redactText(err.Error(), key)}
}

// redactedError stands for an error whose text held the key: it keeps
// errors.Is and errors.As working on the (redacted) error below it, if any.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }

// redactedErrors is redactedError for an error that wraps several.
type redactedErrors struct {
	msg  string
	errs []error
}

func (e redactedErrors) Error() string   { return e.msg }
func (e redactedErrors) Unwrap() []error { return e.errs }
