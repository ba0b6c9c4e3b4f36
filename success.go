package browseruse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Do implements gen.HttpRequestDoer, for the operations reached through
// [Client.API]. On success the response's body holds what was read, and its
// Content-Type is normalised so the generated parser recognises JSON. Either
// way the generated ...WithResponse method then returns the documented
// success payload or an error, never a response with every field nil.
func (p *policy) Do(req *http.Request) (*http.Response, error) {
	s, err := p.send(req, nil)
	if err != nil {
		return nil, err
	}
	if err := p.checkSuccess(s, true); err != nil {
		return nil, err
	}
	s.resp.Body = newSuccessBody(p, s)
	withoutKey(s.resp, p.apiKey())
	return s.resp, nil
}

// withoutKey replaces every request reachable from resp that shows the key
// (the request as sent and, after redirects, each one before it, through
// Request.Response.Request...) with a copy without it: without the key's
// header, and with the key taken out of its URL and its other headers, where
// a server that echoes the key in a same-origin redirect's Location puts it
// (and net/http then in the next hop's Referer). The caller gets the
// response, and with it the requests.
func withoutKey(resp *http.Response, key string) {
	for ; resp != nil && resp.Request != nil; resp = resp.Request.Response {
		r := resp.Request
		if r.Header.Get(KeyHeader) == "" && !urlShowsKey(r.URL, key) && !headerShowsKey(r.Header, key) {
			continue
		}
		r = r.WithContext(r.Context())
		r.Header = r.Header.Clone()
		r.Header.Del(KeyHeader)
		redactHeader(r.Header, key)
		if urlShowsKey(r.URL, key) {
			r.URL = redactURL(r.URL, key)
		}
		if r.Response != nil {
			prev := *r.Response // copied, so the loop can repoint its Request
			r.Response = &prev
		}
		resp.Request = r
	}
}

// checkSuccess holds a 2xx response to what the spec documents for its
// operation: a documented status and, where the spec promises JSON, a JSON
// content type and, with parseJSON, a body that parses. ExecuteSkill passes
// parseJSON false: it decodes the body itself, and a second pass over a large
// result would cost as much as the decode.
func (p *policy) checkSuccess(s sent, parseJSON bool) error {
	documented, wantJSON := s.op.expectsJSON(s.resp.StatusCode)
	var problem error
	switch ct := s.resp.Header.Get("Content-Type"); {
	case !documented:
		problem = fmt.Errorf("status %d is not a documented response of this operation", s.resp.StatusCode)
	case !wantJSON:
		return nil
	case !isJSONMediaType(ct):
		problem = fmt.Errorf("success body is %s, not JSON", mediaType(ct))
	case parseJSON && !json.Valid(s.body):
		problem = jsonProblem(s.body)
	case parseJSON && s.op.bodyShape(s.resp.StatusCode).check(s.body) != nil:
		problem = s.op.bodyShape(s.resp.StatusCode).check(s.body) // only on this error path
	default:
		// The generated parser matches "json" case-sensitively. Setting a
		// header allocates, so only a content type that needs it is touched.
		if lower := strings.ToLower(ct); lower != ct {
			s.resp.Header.Set("Content-Type", lower)
		}
		return nil
	}
	return p.rejected(s, problem)
}

// rejected is the error for a 2xx response that is not the documented
// success: it keeps the status and says what was wrong.
func (p *policy) rejected(s sent, problem error) *APIError {
	e := newAPIError(s.resp, s.body, s.op)
	e.Attempts, e.Err = s.attempts, problem
	return e
}

// jsonProblem explains why body is not valid JSON.
func jsonProblem(body []byte) error {
	if len(body) == 0 {
		return errors.New("success body is empty")
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("success body is not valid JSON: %w", err)
	}
	return errors.New("success body is not valid JSON")
}

// successBody is the body [policy.Do] hands to the generated parser: the
// bytes read and, for when they do not decode into the operation's documented
// type, ParseFailed. The generated Parse functions call it for any failure
// (see api/templates/client-with-responses.tmpl), and return its error.
type successBody struct {
	bytes.Reader
	// fail builds the policy's error. A closure rather than the policy
	// itself: the caller keeps this body in the response, and a closure is
	// opaque to reflection, so a pretty-printer dumping the response cannot
	// reach the key through it.
	fail func(error) error
}

func newSuccessBody(p *policy, s sent) *successBody {
	b := &successBody{fail: func(err error) error {
		return p.rejected(s, fmt.Errorf("success body does not fit the documented schema: %w", err))
	}}
	b.Reset(s.body)
	return b
}

// Close does nothing: the response was read, and closed, by the policy.
func (b *successBody) Close() error { return nil }

// ParseFailed makes a body the generated types cannot hold an [*APIError]
// keeping the status, like any other 2xx that is not the documented success.
func (b *successBody) ParseFailed(err error) error { return b.fail(err) }
