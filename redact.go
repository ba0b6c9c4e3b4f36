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
func redactResponse(key string, resp *http.Response, body []byte) []byte {
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
		if nameShowsKey(name, key) {
			delete(h, name)
			h[redacted] = append(h[redacted], vs...)
		}
	}
}

// RedactKey returns s with every spelling of key in it replaced by
// "[redacted]": the key as it is, JSON-escaped and %-escaped, in any mix and
// letter case of the escapes, as the client takes it out of everything a
// server sends back. For a program's own messages that may quote what a
// user typed (a key pasted into the wrong place).
func RedactKey(s, key string) string { return redactString(s, key) }

func redactString(s, key string) string {
	if key == "" {
		return s
	}
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

// nameShowsKey reports whether a header or trailer name shows the key in
// any spelling keySpans knows, in any letter case: names are
// case-insensitive, and canonicalizing one changes the case of its letters.
// A name without escapes is compared as it is, so that the common case
// allocates nothing.
func nameShowsKey(name, key string) bool {
	if !strings.ContainsAny(name, `%\`) {
		return containsFold(name, key)
	}
	return showsKey(strings.ToLower(name), strings.ToLower(key))
}

func containsFold(s, substr string) bool {
	for i := 0; i+len(substr) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(substr)], substr) {
			return true
		}
	}
	return false
}

// keySpans finds every spelling of key in s, as [start, end) pairs: any text
// that reads as the key once its JSON escapes ("\u0062", "\/") and its
// %-escapes ("%62") are decoded, in any mix and nested up to escapeRounds
// deep ("%5Cu0062", "\u002562": a JSON escape %-escaped, a %-escape
// JSON-escaped). It is the one place that knows the spellings: everything a
// server supplies, and every error text, goes through it. It returns nil,
// without allocating, when there is none: the common case costs a search
// for the key, for a backslash and for a percent sign.
func keySpans(s, key string) [][2]int {
	lit, bs, pc := strings.Index(s, key), strings.IndexByte(s, '\\'), strings.IndexByte(s, '%')
	if lit < 0 && bs < 0 && pc < 0 {
		return nil
	}
	var spans [][2]int
	for next := 0; next < len(s); {
		lit = indexFrom(s, key, next, lit)
		bs = indexFrom(s, "\\", next, bs)
		pc = indexFrom(s, "%", next, pc)
		e := bs
		if e < 0 || pc >= 0 && pc < e {
			e = pc
		}
		if e < 0 {
			if lit < 0 {
				break
			}
			spans = append(spans, [2]int{lit, lit + len(key)})
			next = lit + len(key)
			continue
		}
		// Before its first escape a spelling is the key's own bytes, so it
		// starts at most len(key)-1 bytes before that escape.
		from := max(next, e-len(key)+1)
		if lit >= 0 && lit < from {
			spans = append(spans, [2]int{lit, lit + len(key)})
			next = lit + len(key)
			continue
		}
		found := false
		for i := from; i <= e; i++ {
			if n := keyAt(s, i, key); n > 0 {
				spans = append(spans, [2]int{i, i + n})
				next, found = i+n, true
				break
			}
		}
		if !found {
			next = e + 1
		}
	}
	return spans
}

// indexFrom is the index of sub in s at or after next, given last, the
// index found by an earlier search (-1: none after where it started).
func indexFrom(s, sub string, next, last int) int {
	if last < 0 || last >= next {
		return last
	}
	if i := strings.Index(s[next:], sub); i >= 0 {
		return next + i
	}
	return -1
}

// escapeRounds is how deeply escapes may nest in a spelling of the key:
// JSON in %, % in JSON, and one more round for good measure; and one round
// above that, because a body is redacted as it was sent and shown decoded
// (an error's detail, a result's strings): its JSON decoding takes one
// round off, and what is shown must not show the key within three rounds.
// Each round multiplies the work at a backslash or percent sign, so the
// limit stays finite.
const escapeRounds = 4

// keyAt is the length of the spelling of key that starts at s[i], 0 if none.
func keyAt(s string, i int, key string) int {
	if strings.HasPrefix(s[i:], key) {
		return len(key)
	}
	j := i
	for k := 0; k < len(key); k++ {
		c, n := decodedByte(s, j, escapeRounds)
		if n == 0 || c != key[k] {
			return 0
		}
		j += n
	}
	return j - i
}

// decodedByte is the first byte of s[j:] once its escapes are decoded
// rounds times over, and how many bytes of s it takes up (0 at the end of
// s). Each round reads the bytes the round below decoded, so the parts of
// an escape may themselves be escaped. A \u escape is read only for an
// ASCII character (the key's are), an invalid escape as its first byte.
func decodedByte(s string, j, rounds int) (byte, int) {
	if j >= len(s) {
		return 0, 0
	}
	if rounds == 0 {
		return s[j], 1
	}
	c, n := decodedByte(s, j, rounds-1)
	switch c {
	case '%':
		if v, m := decodedHex(s, j+n, rounds-1, 2); v >= 0 {
			return byte(v), n + m
		}
	case '\\':
		e, m := decodedByte(s, j+n, rounds-1)
		switch {
		case e == '"' || e == '\\' || e == '/':
			return e, n + m
		case e == 'u':
			if v, h := decodedHex(s, j+n+m, rounds-1, 4); v >= 0 && v < 0x80 {
				return byte(v), n + m + h
			}
		}
	}
	return c, n
}

// decodedHex reads digits hex digits through decodedByte: their value and
// the bytes of s they take up; -1 if they are not all hex digits.
func decodedHex(s string, j, rounds, digits int) (int, int) {
	v, n := 0, 0
	for range digits {
		c, m := decodedByte(s, j+n, rounds)
		d := hexDigit(c)
		if m == 0 || d < 0 {
			return -1, 0
		}
		v, n = v<<4|d, n+m
	}
	return v, n
}

// hexDigit is the value of the hex digit c, -1 if it is not one.
func hexDigit(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

// showsKey reports whether s shows the key in any spelling keySpans knows.
func showsKey(s, key string) bool {
	return key != "" && keySpans(s, key) != nil
}

func urlShowsKey(u *url.URL, key string) bool {
	return u != nil && (showsKey(u.Path, key) || showsKey(u.RawPath, key) || showsKey(u.RawQuery, key) ||
		showsKey(u.Fragment, key) || showsKey(u.RawFragment, key) || u.User != nil && showsKey(u.User.String(), key))
}

func headerShowsKey(h http.Header, key string) bool {
	for name, vs := range h {
		if nameShowsKey(name, key) || slices.ContainsFunc(vs, func(v string) bool { return showsKey(v, key) }) {
			return true
		}
	}
	return false
}

// redactURL is a copy of u with the key taken out of every part a server's
// Location can set on a same-origin redirect.
func redactURL(u *url.URL, key string) *url.URL {
	c := *u
	c.Path, c.RawPath = redactString(c.Path, key), ""
	c.RawQuery = redactString(c.RawQuery, key)
	c.Fragment, c.RawFragment = redactString(c.Fragment, key), ""
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
func redactError(key string, err error) error {
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
		c.URL = redactString(c.URL, key)
		c.Err = redactChain(c.Err, key)
		if !chainHolds(&c, key) {
			return &c
		}
	case interface{ Unwrap() error }:
		return redactedError{redactString(err.Error(), key), redactChain(e.Unwrap(), key)}
	case interface{ Unwrap() []error }:
		errs := slices.Clone(e.Unwrap())
		for i := range errs {
			errs[i] = redactChain(errs[i], key)
		}
		return redactedErrors{redactString(err.Error(), key), errs}
	}
	return redactedError{msg: redactString(err.Error(), key)}
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
