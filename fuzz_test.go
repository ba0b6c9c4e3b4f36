package browseruse

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/browser-use/browseruse-go/gen"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; `make fuzz` explores
// from them, and plain `go test` replays them as regression tests.

const fuzzKey = "bu_fuzz_key_0123"

var fuzzNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func executeSkillOp(t testing.TB) *operation {
	rt, err := specRoutes()
	if err != nil {
		t.Fatal(err)
	}
	op := rt.match(http.MethodPost, "/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute")
	if op == nil {
		t.Fatal("the spec has no Execute Skill operation")
	}
	return op
}

// fuzzResponse is a response as send hands it on, with body already read
// and, like everything the server sent, cleared of the key by p.
func fuzzResponse(p *policy, status int, contentType string, body []byte) (*http.Response, []byte) {
	u, _ := url.Parse("https://api.example.com/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute")
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	resp := &http.Response{StatusCode: status, Header: h, Request: &http.Request{Method: http.MethodPost, URL: u}}
	return resp, p.redactResponse(resp, body)
}

// checkAPIError holds an *APIError to what every caller may rely on.
func checkAPIError(t *testing.T, e *APIError, status int) {
	t.Helper()
	if e.StatusCode != status {
		t.Fatalf("StatusCode = %d, want %d", e.StatusCode, status)
	}
	// 512 bytes of body; each invalid byte becomes a 3-byte U+FFFD.
	if !utf8.ValidString(e.Body) || len(e.Body) > snippetLimit+len("…") {
		t.Fatalf("Body snippet is %d bytes or not UTF-8: %q", len(e.Body), e.Body)
	}
	if msg := e.Error(); !strings.HasPrefix(msg, "browseruse: ") {
		t.Fatalf("Error() = %q", msg)
	}
}

// FuzzSkillResponse drives status x content type x body through what the
// client does with a response: a 2xx is decoded as the Execute Skill
// envelope (typed and raw) and held to the spec, anything else becomes an
// *APIError. Every outcome is exactly one of payload and error.
func FuzzSkillResponse(f *testing.F) {
	op := executeSkillOp(f)
	p := &policy{key: fuzzKey}
	// Large bodies take the decoder's fast path; leading whitespace changes
	// no JSON value, so padding must not change any outcome.
	pad := bytes.Repeat([]byte(" "), rawResultMin)

	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		status = 100 + (status%500+500)%500
		resp, body := fuzzResponse(p, status, contentType, body)
		if status < 200 || status > 299 {
			e := p.newAPIError(resp, body, op)
			checkAPIError(t, e, status)
			if strings.Contains(e.Error(), fuzzKey) || strings.Contains(e.Detail, fuzzKey) || strings.Contains(e.Body, fuzzKey) {
				t.Fatalf("the key shows in the error: %q", e.Error())
			}
			return
		}
		s := sent{resp: resp, body: body, op: op, attempts: 1}
		raw, rawErr := decodeSkillResponse[json.RawMessage](p, s)
		checkOneOf(t, status, raw, rawErr)
		typed, typedErr := decodeSkillResponse[map[string]any](p, s)
		checkOneOf(t, status, typed, typedErr)
		for _, err := range []error{rawErr, typedErr} {
			var e *APIError
			if errors.As(err, &e) && (strings.Contains(e.Error(), fuzzKey) || strings.Contains(e.Body, fuzzKey)) {
				t.Fatalf("the key shows in a rejected success: %q", e.Error())
			}
		}

		if raw != nil {
			var env struct{ Success *bool }
			if !isJSONMediaType(contentType) || json.Unmarshal(body, &env) != nil || env.Success == nil || !*env.Success {
				t.Fatalf("payload for a body that is not a successful envelope: %q %q", contentType, body)
			}
			if len(raw.Value) > 0 && !json.Valid(raw.Value) {
				t.Fatalf("result %q is not JSON", raw.Value)
			}
			// Whatever ExecuteSkill accepts, the generated path (Do) accepts.
			if err := p.checkSuccess(s, true); err != nil {
				t.Fatalf("ExecuteSkill accepted what Do refuses: %v", err)
			}
		}
		var skillErr *SkillError
		if errors.As(rawErr, &skillErr) != errors.As(typedErr, &skillErr) {
			t.Fatalf("raw and typed decoding disagree on skill failure: %v / %v", rawErr, typedErr)
		}
		// Through API(), the same body is a payload exactly when ExecuteSkill
		// gives a result or a skill failure, and otherwise an *APIError.
		genResp, genErr := viaGenerated(p, s)
		var apiErr *APIError
		switch {
		case (genErr == nil) != (rawErr == nil || errors.As(rawErr, &skillErr)):
			t.Fatalf("API() and ExecuteSkill disagree: %v / %v", genErr, rawErr)
		case genErr != nil && (!errors.As(genErr, &apiErr) || genResp != nil):
			t.Fatalf("API() returned %v and %T %v, want only an *APIError", genResp, genErr, genErr)
		case genErr == nil && genResp.JSON200 == nil:
			t.Fatalf("API() returned no payload and no error")
		}
		if genErr != nil {
			checkOneOf[int](t, status, nil, genErr)
		}

		s.body = append(append([]byte(nil), pad...), body...)
		padded, paddedErr := decodeSkillResponse[json.RawMessage](p, s)
		checkOneOf(t, status, padded, paddedErr)
		switch {
		case (raw == nil) != (padded == nil):
			t.Fatalf("padding changed the outcome: %v then %v", rawErr, paddedErr)
		case raw != nil && !sameJSON(raw.Value, padded.Value):
			t.Fatalf("padding changed the result: %q then %q", raw.Value, padded.Value)
		case raw != nil && (raw.LatencyMs != padded.LatencyMs || raw.Stderr != padded.Stderr):
			t.Fatalf("padding changed the metadata: %+v then %+v", raw, padded)
		case errors.As(rawErr, &skillErr) != errors.As(paddedErr, &skillErr):
			t.Fatalf("padding changed the error class: %v then %v", rawErr, paddedErr)
		}
	})
}

// viaGenerated is what ExecuteSkillWithResponse returns for s: the policy's
// check and body (as Do hands them on), then the generated parser.
func viaGenerated(p *policy, s sent) (*gen.ExecuteSkillHTTPResponse, error) {
	resp := *s.resp
	resp.Header = resp.Header.Clone()
	s.resp = &resp
	if err := p.checkSuccess(s, true); err != nil {
		return nil, err
	}
	resp.Body = newSuccessBody(p, s)
	return gen.ParseExecuteSkillHTTPResponse(&resp)
}

func checkOneOf[T any](t *testing.T, status int, res *Result[T], err error) {
	t.Helper()
	if (res == nil) == (err == nil) {
		t.Fatalf("got payload %v and error %v: want exactly one", res, err)
	}
	if err == nil {
		return
	}
	var apiErr *APIError
	var skillErr *SkillError
	switch {
	case errors.As(err, &apiErr):
		checkAPIError(t, apiErr, status)
		if apiErr.Err == nil {
			t.Fatalf("a 2xx refused without saying why: %v", err)
		}
	case errors.As(err, &skillErr):
		if !errors.Is(err, ErrSkillFailed) || skillErr.Error() == "" {
			t.Fatalf("skill failure %v does not match ErrSkillFailed", err)
		}
	default:
		t.Fatalf("error %T %v is neither *APIError nor *SkillError", err, err)
	}
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// FuzzDecodeErrorBody feeds error bodies of every shape (FastAPI detail
// string, list or object, bare validation error, problem+json, HTML, junk)
// to the decoder: it must not panic, must give either a reading or a
// reason, never both, and the error built from a non-empty body must carry
// something of it (Detail, Errors or the Body snippet).
func FuzzDecodeErrorBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		detail, list, err := decodeErrorBody(contentType, body)
		if err != nil && (detail != "" || list != nil) {
			t.Fatalf("both a reading (%q, %v) and an error (%v)", detail, list, err)
		}
		for _, v := range list {
			_ = v.String()
		}
		resp, body := fuzzResponse(&policy{}, 422, contentType, body)
		e := newAPIError(resp, body, nil)
		checkAPIError(t, e, 422)
		if len(body) > 0 && e.Detail == "" && len(e.Errors) == 0 && e.Body == "" {
			t.Fatalf("the error for %q kept nothing of it", body)
		}
	})
}

// FuzzParseRetryAfter: a server's Retry-After can never produce a negative
// wait (which would mean "retry at once, forever") or a panic.
func FuzzParseRetryAfter(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, fuzzNow)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}
