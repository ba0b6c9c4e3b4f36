package browseruse

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors for the classes of API failure. An [*APIError] matches the
// one for its status with [errors.Is]:
//
//	if errors.Is(err, browseruse.ErrNotFound) { ... }
//
// [ErrSkillFailed] is matched by [*SkillError] instead: the API answered 200
// but the skill itself reported failure.
var (
	ErrBadRequest          = errors.New("browseruse: bad request")          // 400
	ErrUnauthorized        = errors.New("browseruse: unauthorized")         // 401
	ErrInsufficientCredits = errors.New("browseruse: insufficient credits") // 402
	ErrForbidden           = errors.New("browseruse: forbidden")            // 403
	ErrNotFound            = errors.New("browseruse: not found")            // 404
	ErrValidation          = errors.New("browseruse: validation failed")    // 422
	ErrTooManyRequests     = errors.New("browseruse: too many requests")    // 429
	ErrServer              = errors.New("browseruse: server error")         // any 5xx
	ErrSkillFailed         = errors.New("browseruse: skill failed")         // 200 with success: false
)

// sentinelFor maps a status to its sentinel; nil for statuses with none.
func sentinelFor(status int) error {
	switch {
	case status == http.StatusBadRequest:
		return ErrBadRequest
	case status == http.StatusUnauthorized:
		return ErrUnauthorized
	case status == http.StatusPaymentRequired:
		return ErrInsufficientCredits
	case status == http.StatusForbidden:
		return ErrForbidden
	case status == http.StatusNotFound:
		return ErrNotFound
	case status == http.StatusUnprocessableEntity:
		return ErrValidation
	case status == http.StatusTooManyRequests:
		return ErrTooManyRequests
	case status >= 500 && status <= 599:
		return ErrServer
	}
	return nil
}

// APIError is returned for every response the client cannot turn into the
// operation's documented success payload: any non-2xx status, documented or
// not, and a 2xx whose body is not what the spec promises (HTML from a proxy,
// truncated JSON, the wrong content type, JSON of another shape).
type APIError struct {
	// StatusCode is the HTTP status the server answered with.
	StatusCode int
	// Detail is the API's human-readable reason (FastAPI's "detail" string,
	// or a summary of Errors for validation failures).
	Detail string
	// Errors lists field-level problems, for 422 responses.
	Errors []ValidationError
	// RequestID is the server's request id header, when it sent one; quote it
	// to support.
	RequestID string
	// Operation names the operation that failed, as "METHOD /path/{template}".
	Operation string
	// OperationID is the operationId of that operation in the spec.
	OperationID string
	// Body is the start of the response body (at most 512 bytes), for
	// responses the client could not decode.
	Body string
	// RetryAfter is the server's Retry-After, when it sent one.
	RetryAfter time.Duration
	// Attempts is how many requests were sent for this call, retries included.
	Attempts int
	// Err is why the body could not be decoded, if it could not.
	Err error
}

// ValidationError is one field-level problem in a 422 response.
type ValidationError struct {
	// Loc is the path to the offending field, such as ["body", "sessionId"].
	Loc []any `json:"loc"`
	// Msg says what is wrong with it.
	Msg string `json:"msg"`
	// Type is the machine-readable error type, such as "uuid_parsing".
	Type string `json:"type"`
}

// String renders the problem as "loc.path: msg", as in APIError.Detail.
func (v ValidationError) String() string {
	parts := make([]string, len(v.Loc))
	for i, l := range v.Loc {
		parts[i] = fmt.Sprint(l)
	}
	if len(parts) == 0 {
		return v.Msg
	}
	return strings.Join(parts, ".") + ": " + v.Msg
}

// Error names the operation, the status, the API's detail, the request id
// and the attempts, everything a log line needs; never the key.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("browseruse: ")
	if e.Operation != "" {
		b.WriteString(e.Operation)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RequestID != "" {
		b.WriteString(" (request id ")
		b.WriteString(e.RequestID)
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		// In parentheses: the detail before it often ends a sentence.
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) and friends match by status.
func (e *APIError) Is(target error) bool {
	s := sentinelFor(e.StatusCode)
	return s != nil && s == target
}

// Unwrap returns the decode error, if any, so errors.As can reach a
// *json.SyntaxError and the like.
func (e *APIError) Unwrap() error { return e.Err }

// SkillError is returned when the API ran the skill and it reported failure
// (a 200 response with "success": false). It matches [ErrSkillFailed].
type SkillError struct {
	// Message is the skill's own error message.
	Message string
	// Stderr is the skill's standard error output.
	Stderr string
	// LatencyMs is how long the execution took, as reported by the API.
	LatencyMs int
	// Result is the raw result the skill returned along with its failure, if any.
	Result json.RawMessage
}

// Error is "browseruse: skill failed: " and the skill's own message.
func (e *SkillError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "no error message"
	}
	return "browseruse: skill failed: " + msg
}

// Is makes errors.Is(err, ErrSkillFailed) true.
func (e *SkillError) Is(target error) bool { return target == ErrSkillFailed }

// Response headers that carry a request id, in the order they are tried.
var requestIDHeaders = []string{"X-Request-Id", "Request-Id", "X-Correlation-Id", "Cf-Ray"}

const snippetLimit = 512

// newAPIError builds the error for a response the client will not hand on as
// a success. body is what was read of it (already capped).
func newAPIError(resp *http.Response, body []byte, op *operation) *APIError {
	e := &APIError{StatusCode: resp.StatusCode}
	if op != nil {
		e.Operation, e.OperationID = op.String(), op.ID
	} else if resp.Request != nil {
		e.Operation = resp.Request.Method + " " + resp.Request.URL.Path
	}
	for _, h := range requestIDHeaders {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = v
			break
		}
	}
	if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
		e.RetryAfter = d
	}
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		// The caller fills Err; the body is the evidence.
		e.Body = snippet(body)
		return e
	}
	e.Detail, e.Errors, e.Err = decodeErrorBody(resp.Header.Get("Content-Type"), body)
	if e.Err != nil || (e.Detail == "" && len(e.Errors) == 0) {
		e.Body = snippet(body)
	}
	return e
}

// decodeErrorBody reads the shapes the API and the proxies in front of it
// answer errors with: FastAPI's {"detail": "..."} and {"detail": [ ... ]},
// a bare ValidationError, and RFC 9457 problem+json. A body that is none of
// these leaves detail empty and says why in err.
func decodeErrorBody(contentType string, body []byte) (detail string, list []ValidationError, err error) {
	if len(body) == 0 {
		return "", nil, nil
	}
	if !isJSONMediaType(contentType) {
		return "", nil, fmt.Errorf("error body is %q, not JSON", mediaType(contentType))
	}
	var shape struct {
		Detail json.RawMessage `json:"detail"`
		Title  string          `json:"title"`
		ValidationError
	}
	if err := json.Unmarshal(body, &shape); err != nil {
		return "", nil, fmt.Errorf("decoding error body: %w", err)
	}
	switch {
	case len(shape.Detail) > 0 && shape.Detail[0] == '"':
		_ = json.Unmarshal(shape.Detail, &detail)
	case len(shape.Detail) > 0 && shape.Detail[0] == '[':
		if err := json.Unmarshal(shape.Detail, &list); err != nil {
			return "", nil, fmt.Errorf("decoding validation errors: %w", err)
		}
	case len(shape.Detail) > 0 && shape.Detail[0] == '{':
		var one ValidationError
		if err := json.Unmarshal(shape.Detail, &one); err == nil && one.Msg != "" {
			list = []ValidationError{one}
		}
	case shape.Msg != "":
		list = []ValidationError{shape.ValidationError}
	}
	if detail == "" && len(list) > 0 {
		msgs := make([]string, len(list))
		for i, v := range list {
			msgs[i] = v.String()
		}
		detail = strings.Join(msgs, "; ")
	}
	if detail == "" {
		detail = shape.Title
	}
	return detail, list, nil
}

func mediaType(ct string) string {
	mt, _, _ := strings.Cut(ct, ";")
	if mt = strings.TrimSpace(mt); mt == "" {
		return "no content type"
	}
	return mt
}

// snippet keeps the start of a body for an error message, cut at a rune
// boundary.
func snippet(body []byte) string {
	truncated := len(body) > snippetLimit
	if truncated {
		cut := snippetLimit
		for cut > 0 && !utf8.RuneStart(body[cut]) {
			cut--
		}
		body = body[:cut]
	}
	// Invalid bytes become U+FFFD, three bytes each: cut again so the
	// snippet keeps its documented size.
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	for len(s) > snippetLimit {
		_, size := utf8.DecodeLastRuneInString(s)
		s, truncated = s[:len(s)-size], true
	}
	if truncated {
		s += "…"
	}
	return s
}

// maxRetryAfter is what a Retry-After too long for a Duration reads as:
// still far longer than any cap, so the call returns instead of waiting.
const maxRetryAfter = time.Duration(math.MaxInt64)

// parseRetryAfter reads delay-seconds (RFC 9110: digits only) or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if strings.Trim(v, "0123456789") == "" {
		s, err := strconv.ParseInt(v, 10, 64)
		if err != nil || s > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter, true // only digits, so the error is overflow
		}
		return time.Duration(s) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}
