// Package browserusetest provides a fake Browser Use API for tests, in the
// way net/http/httptest provides a fake HTTP server.
//
// The fake checks every request it receives against the vendored OpenAPI spec
// (formats included: a sessionId that is not a UUID gets the API's 422), then
// answers with a scripted [Reply] if a test queued one, or else with a valid
// default: Execute Skill succeeds and echoes its input. It checks its own
// answers against the spec too, so a test cannot accidentally script a reply
// the real API would never send; [Reply.OffSpec] says a reply is meant to be
// broken. It needs no network.
//
//	srv := browserusetest.New(t)
//	c, _ := srv.Client()
//	srv.Enqueue(browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}})
package browserusetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlclark/regexp2"
	"github.com/pb33f/jsonschema/v6"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/openapi"
)

// APIKey is the only key the fake accepts. [Server.Client] uses it.
const APIKey = "bu_test_key"

// Reply is one scripted answer.
type Reply struct {
	// Status is the HTTP status; 0 means 200.
	Status int
	// Header is added to the response. Content-Type defaults to
	// application/json when the reply has a body. Content-Length is set to
	// the body's length, unless the reply is OffSpec and sets its own: a
	// longer one scripts a body cut short.
	Header http.Header
	// JSON is marshalled as the body, unless Body is set.
	JSON any
	// Body is sent as is.
	Body []byte
	// OffSpec marks a reply that deliberately breaks the spec (truncated
	// JSON, HTML from a proxy), so the fake sends it without complaint.
	OffSpec bool
	// Handler, if set, answers instead of everything above: for faults such
	// as a dropped connection or a trickling body.
	Handler http.HandlerFunc
}

// Request is a request the fake received, as the handler saw it.
type Request struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the URL path, with the ids filled in.
	Path string
	// Header holds the request headers, the API key among them.
	Header http.Header
	// Body is the request body as sent.
	Body []byte
	// OperationID is the spec operation it matched, "" if none.
	OperationID string
}

// Server is a running fake. Its zero value is not usable: use [NewServer]
// or [New].
type Server struct {
	// URL is the base URL of form http://ipaddr:port with no trailing slash.
	// The spec's paths are served at its root.
	URL string

	srv *httptest.Server

	mu         sync.Mutex
	queue      []Reply
	requests   requestLog
	violations []error
	lim        limits
}

// NewServer starts a fake. The caller should call Close when finished, to
// shut it down. Reply violations are kept for [Server.Violations]; [New]
// turns them into test failures instead.
func NewServer() *Server {
	spec() // fail fast, outside any request, if the embedded spec is broken
	s := &Server{lim: limits{credits: -1}, requests: requestLog{max: -1}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// New starts a fake that is closed when tb's test ends, and fails the test
// if the fake was made to send a reply that breaks the spec.
func New(tb testing.TB) *Server {
	tb.Helper()
	s := NewServer()
	tb.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			tb.Errorf("browserusetest: %v", v)
		}
	})
	return s
}

// Close shuts the server down, waiting for requests in flight.
func (s *Server) Close() { s.srv.Close() }

// Client returns a browseruse client for this server, with its key, the
// server's own HTTP client and opts applied after them.
func (s *Server) Client(opts ...browseruse.Option) (*browseruse.Client, error) {
	base := []browseruse.Option{
		browseruse.WithAPIKey(APIKey),
		browseruse.WithBaseURL(s.URL),
		browseruse.WithHTTPClient(s.srv.Client()),
	}
	return browseruse.New(append(base, opts...)...)
}

// Enqueue scripts the answers to the next requests that pass validation, in
// order. When the queue is empty the fake answers with its defaults again.
func (s *Server) Enqueue(replies ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.queue = append(s.queue, replies...)
}

// Requests returns every request received so far, in order; after
// [Server.SetRequestLog], the last ones it keeps.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests.list()
}

// SetRequestLog keeps, for [Server.Requests], only the last n requests
// received (none for 0), so that a fake serving calls for long, as the
// command's --fake does, holds no more as it goes: each request kept holds
// its headers and body. A negative n keeps them all, the default.
// [Server.Stats] counts every call either way.
func (s *Server) SetRequestLog(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests.bound(n)
}

// Violations returns the scripted replies that broke the spec without being
// marked OffSpec.
func (s *Server) Violations() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.violations)
}

type specModel struct {
	doc       *v3.Document
	validator validator.Validator
	opts      *config.ValidationOptions
}

// spec is built once per process: parsing and compiling schemas is the slow
// part, and the embedded spec never changes.
var spec = sync.OnceValue(func() *specModel {
	doc, err := libopenapi.NewDocument(openapi.V2)
	if err != nil {
		panic(fmt.Sprintf("browserusetest: embedded spec: %v", err))
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		panic(fmt.Sprintf("browserusetest: embedded spec: %v", err))
	}
	model.Model.Servers = nil // serve the paths at the root, as Prism does
	opts := []config.Option{
		config.WithFormatAssertions(),
		// Patterns in the spec are ECMAScript; Go's regexp has no look-ahead.
		config.WithRegexEngine(ecmaRegexp),
	}
	return &specModel{
		doc:       &model.Model,
		validator: validator.NewValidatorFromV3Model(&model.Model, opts...),
		opts:      config.NewValidationOptions(opts...),
	}
})

type ecmaRE struct{ re *regexp2.Regexp }

func (r ecmaRE) MatchString(s string) bool { ok, _ := r.re.MatchString(s); return ok }
func (r ecmaRE) String() string            { return r.re.String() }

func ecmaRegexp(expr string) (jsonschema.Regexp, error) {
	re, err := regexp2.Compile(expr, regexp2.ECMAScript|regexp2.Unicode)
	if err != nil {
		return nil, err
	}
	return ecmaRE{re}, nil
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))

	m := spec()
	item, _, template := paths.FindPath(r, m.doc, m.opts)
	var op *v3.Operation
	if item != nil {
		op = item.GetOperations().GetOrZero(strings.ToLower(r.Method))
	}
	rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	if op != nil {
		rec.OperationID = op.OperationId
	}
	s.mu.Lock()
	s.requests.add(rec)
	s.mu.Unlock()

	switch {
	case item == nil:
		writeJSON(w, http.StatusNotFound, detail("Not Found"))
		return
	case op == nil:
		writeJSON(w, http.StatusMethodNotAllowed, detail("Method Not Allowed"))
		return
	case r.Header.Get(browseruse.KeyHeader) == "":
		writeJSON(w, http.StatusUnauthorized, detail("Missing API key: send it in the X-Browser-Use-API-Key header"))
		return
	case r.Header.Get(browseruse.KeyHeader) != APIKey:
		writeJSON(w, http.StatusUnauthorized, detail("Invalid API key"))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if ok, errs := m.validator.ValidateHttpRequestSync(r); !ok {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": validationDetail(errs)})
		return
	}

	var refusal *Reply // checked against the spec like any reply
	var latency time.Duration
	if startsSession(op) {
		var status int
		var release func()
		status, latency, release = s.admit(r.Context())
		switch status {
		case http.StatusTooManyRequests:
			refusal = &Reply{Status: status, JSON: detail(TooManySessionsDetail)}
		case http.StatusPaymentRequired:
			refusal = &Reply{Status: status, JSON: detail(InsufficientCreditsDetail)}
		default:
			if latency > 0 {
				t := time.NewTimer(latency)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
				}
			}
			release()
		}
	}
	reply, scripted := Reply{}, true
	if refusal != nil {
		reply = *refusal
	} else {
		reply, scripted = s.next()
	}
	if reply.Handler != nil {
		reply.Handler(w, r)
		return
	}
	if !scripted {
		reply = defaultReply(r.Method, template, body, latency)
	}
	status, header, out := reply.render()
	if !reply.OffSpec {
		if err := checkReply(m, r, op, status, header, out); err != nil {
			err = fmt.Errorf("reply %d to %s %s breaks the spec: %w", status, r.Method, template, err)
			s.mu.Lock()
			s.violations = append(s.violations, err)
			s.mu.Unlock()
			writeJSON(w, http.StatusInternalServerError, detail("browserusetest: "+err.Error()))
			return
		}
	}
	for k, vs := range header {
		w.Header()[k] = vs
	}
	w.WriteHeader(status)
	w.Write(out)
}

func (s *Server) next() (Reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		return Reply{}, false
	}
	r := s.queue[0]
	s.queue = s.queue[1:]
	return r, true
}

func (r Reply) render() (int, http.Header, []byte) {
	status := r.Status
	if status == 0 {
		status = http.StatusOK
	}
	header := r.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	body := r.Body
	if body == nil && r.JSON != nil {
		var err error
		if body, err = json.Marshal(r.JSON); err != nil {
			body = []byte(fmt.Sprintf(`{"detail":%q}`, "browserusetest: reply JSON: "+err.Error()))
			status = http.StatusInternalServerError
		}
	}
	if len(body) > 0 && header.Get("Content-Type") == "" {
		header.Set("Content-Type", "application/json")
	}
	if !r.OffSpec || header.Get("Content-Length") == "" {
		// An off-spec reply keeps a scripted length, so a test can send a
		// truncated body.
		header.Set("Content-Length", strconv.Itoa(len(body)))
	}
	return status, header, body
}

// DefaultLatencyMs is the latency the default Execute Skill reply reports
// when the skill took under a millisecond ([Server.SetLatency] unset).
const DefaultLatencyMs = 1

// defaultReply answers operations the fake knows; the rest need a script.
// An Execute Skill reports the latency it played, as the API reports the
// skill's.
func defaultReply(method, template string, body []byte, latency time.Duration) Reply {
	if method == http.MethodPost && template == "/skills/{skill_id}/execute" {
		var in struct {
			Parameters json.RawMessage `json:"parameters"`
		}
		_ = json.Unmarshal(body, &in) // validated already
		params := in.Parameters
		if len(params) == 0 || string(params) == "null" {
			params = json.RawMessage("{}")
		}
		return Reply{JSON: map[string]any{
			"success":   true,
			"result":    map[string]any{"parameters": params},
			"latencyMs": max(DefaultLatencyMs, latency.Milliseconds()),
		}}
	}
	return Reply{Status: http.StatusNotImplemented, JSON: detail(
		"browserusetest: no default reply for " + method + " " + template + "; script one with Enqueue"), OffSpec: true}
}

// checkReply validates a reply against what the spec documents for status.
// Statuses the spec does not list (401, 500, 502 ...) are not held to it.
func checkReply(m *specModel, r *http.Request, op *v3.Operation, status int, header http.Header, body []byte) error {
	if op.Responses == nil || op.Responses.Codes.GetOrZero(strconv.Itoa(status)) == nil {
		return nil
	}
	resp := &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(bytes.NewReader(body)), Request: r}
	if ok, errs := m.validator.ValidateHttpResponse(r, resp); !ok {
		return joinValidation(errs)
	}
	return nil
}

func joinValidation(errs []*verrors.ValidationError) error {
	var all []error
	for _, e := range errs {
		msg := e.Message
		for _, f := range e.SchemaValidationErrors {
			msg += "; " + f.Error()
		}
		all = append(all, errors.New(msg))
	}
	return errors.Join(all...)
}

// validationDetail renders validator errors in the API's 422 shape.
func validationDetail(errs []*verrors.ValidationError) []map[string]any {
	var out []map[string]any
	for _, e := range errs {
		where := "body"
		switch e.ValidationType {
		case "path", "query", "header", "cookie":
			where = e.ValidationType
		}
		if e.ParameterName != "" {
			out = append(out, map[string]any{
				"loc": []any{where, e.ParameterName}, "msg": e.Message + ": " + e.Reason, "type": e.ValidationSubType,
			})
			continue
		}
		if len(e.SchemaValidationErrors) == 0 {
			out = append(out, map[string]any{"loc": []any{where}, "msg": e.Message + ": " + e.Reason, "type": e.ValidationType})
			continue
		}
		for _, f := range e.SchemaValidationErrors {
			loc := []any{where}
			for _, p := range f.InstancePath {
				loc = append(loc, p)
			}
			out = append(out, map[string]any{"loc": loc, "msg": f.Reason, "type": e.ValidationType})
		}
	}
	return out
}

func detail(msg string) map[string]any { return map[string]any{"detail": msg} }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}
