package browseruse

import (
	"errors"
	"net/http"
	"net/url"
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

// redactError takes the key out of a transport error. The one way it gets
// there is a server that puts it in a redirect's Location, which Go's
// *url.Error then quotes.
func (p *policy) redactError(err error) error {
	key := string(p.key)
	if key == "" || keySpans(err.Error(), key) == nil {
		return err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = redactString(ue.URL, key)
	}
	if msg := err.Error(); keySpans(msg, key) != nil {
		return redactedError{redactString(msg, key), err}
	}
	return err
}

// redactedError keeps errors.Is and errors.As working on an error whose
// message had to be rewritten.
type redactedError struct {
	msg string
	err error
}

func (e redactedError) Error() string { return e.msg }
func (e redactedError) Unwrap() error { return e.err }
