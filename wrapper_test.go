package browseruse_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
	"github.com/browser-use/browseruse-go/gen"
)

var skillID = uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")

// setup starts a fake API and returns a client for it with retries off, so
// every scripted reply is seen exactly once.
func setup(t *testing.T, opts ...browseruse.Option) (*browseruse.Client, *browserusetest.Server) {
	t.Helper()
	srv := browserusetest.New(t)
	c, err := srv.Client(append([]browseruse.Option{browseruse.WithMaxRetries(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func TestExecuteSkill_Success(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	sess := uuid.MustParse("9b2e7c1d-0f7a-4a8e-8c1b-2d3e4f5a6b7c")
	res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"X": 10, "q": "hello"},
		SessionID:  &sess,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := res.Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Parameters["X"] != 10.0 || out.Parameters["q"] != "hello" {
		t.Errorf("result parameters = %v, want the ones sent", out.Parameters)
	}
	if res.LatencyMs != browserusetest.DefaultLatencyMs {
		t.Errorf("LatencyMs = %d, want %d", res.LatencyMs, browserusetest.DefaultLatencyMs)
	}

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("server saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Path != "/skills/"+skillID.String()+"/execute" || r.Method != http.MethodPost {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got := r.Header.Get(browseruse.KeyHeader); got != browserusetest.APIKey {
		t.Errorf("key header = %q, want the configured key", got)
	}
	var sentBody map[string]any
	if err := json.Unmarshal(r.Body, &sentBody); err != nil {
		t.Fatal(err)
	}
	if sentBody["sessionId"] != sess.String() {
		t.Errorf("sessionId sent = %v, want %s", sentBody["sessionId"], sess)
	}
}

func TestExecuteSkill_OmitsUnsetFields(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.Requests()[0].Body); got != "{}" {
		t.Errorf("body = %s, want {} (no null sessionId, no parameters)", got)
	}
}

func TestExecuteSkill_Errors(t *testing.T) {
	t.Parallel()
	html := []byte("<html><body><h1>502 Bad Gateway</h1></body></html>")
	for _, tt := range []struct {
		name       string
		reply      browserusetest.Reply
		sentinel   error
		status     int
		detail     string
		wantErrors int
	}{
		{"skill_not_finished_400", browserusetest.Reply{Status: 400, JSON: map[string]any{"detail": "Skill is not finished"}}, browseruse.ErrBadRequest, 400, "Skill is not finished", 0},
		{"insufficient_credits_402", browserusetest.Reply{Status: 402, JSON: map[string]any{"detail": "Insufficient credits"}}, browseruse.ErrInsufficientCredits, 402, "Insufficient credits", 0},
		{"not_found_404", browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}}, browseruse.ErrNotFound, 404, "Skill not found", 0},
		{"validation_422", browserusetest.Reply{Status: 422, JSON: map[string]any{"detail": []any{
			map[string]any{"loc": []any{"body", "parameters", "X"}, "msg": "Input should be a valid integer", "type": "int_parsing"},
		}}}, browseruse.ErrValidation, 422, "body.parameters.X: Input should be a valid integer", 1},
		{"too_many_sessions_429", browserusetest.Reply{Status: 429, JSON: map[string]any{"detail": "Too many concurrent active sessions"}}, browseruse.ErrTooManyRequests, 429, "Too many concurrent active sessions", 0},
		{"undocumented_401", browserusetest.Reply{Status: 401, JSON: map[string]any{"detail": "Invalid API key"}}, browseruse.ErrUnauthorized, 401, "Invalid API key", 0},
		{"undocumented_403", browserusetest.Reply{Status: 403, JSON: map[string]any{"detail": "Forbidden"}}, browseruse.ErrForbidden, 403, "Forbidden", 0},
		{"undocumented_500", browserusetest.Reply{Status: 500, JSON: map[string]any{"detail": "Internal Server Error"}}, browseruse.ErrServer, 500, "Internal Server Error", 0},
		{"html_502", browserusetest.Reply{Status: 502, Header: http.Header{"Content-Type": {"text/html"}}, Body: html}, browseruse.ErrServer, 502, "", 0},
		{"problem_json_401", browserusetest.Reply{Status: 401, Header: http.Header{"Content-Type": {"application/problem+json"}},
			JSON: map[string]any{"type": "about:blank", "title": "Unauthorized", "status": 401}}, browseruse.ErrUnauthorized, 401, "Unauthorized", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Without slot waits, a 429 is returned as it came instead of
			// waited out: this test is about how each status reads.
			c, srv := setup(t, browseruse.WithoutSlotWait())
			srv.Enqueue(tt.reply)
			res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 10}})
			if res != nil {
				t.Errorf("got a result %+v along with the error", res)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("err = %v, want one matching %v", err, tt.sentinel)
			}
			var apiErr *browseruse.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %T, want *APIError", err)
			}
			if apiErr.StatusCode != tt.status || apiErr.Detail != tt.detail {
				t.Errorf("status, detail = %d, %q; want %d, %q", apiErr.StatusCode, apiErr.Detail, tt.status, tt.detail)
			}
			if len(apiErr.Errors) != tt.wantErrors {
				t.Errorf("validation errors = %v, want %d", apiErr.Errors, tt.wantErrors)
			}
			if apiErr.Operation != "POST /skills/{skill_id}/execute" || apiErr.OperationID == "" {
				t.Errorf("operation = %q (%q)", apiErr.Operation, apiErr.OperationID)
			}
			if len(srv.Requests()) != 1 {
				t.Errorf("server saw %d requests, want exactly 1", len(srv.Requests()))
			}
		})
	}
}

func TestExecuteSkill_HTMLErrorKeepsStatusAndBody(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{Status: 502, Header: http.Header{"Content-Type": {"text/html"}, "X-Request-Id": {"req-123"}},
		Body: []byte("<html>Bad Gateway</html>")})
	_, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("err = %v, want *APIError", err)
	}
	if apiErr.Body != "<html>Bad Gateway</html>" || apiErr.RequestID != "req-123" || apiErr.Err == nil {
		t.Errorf("body %q, request id %q, decode err %v", apiErr.Body, apiErr.RequestID, apiErr.Err)
	}
	if !strings.Contains(err.Error(), "502") || !strings.Contains(err.Error(), "text/html") {
		t.Errorf("message %q should name the status and the content type", err)
	}
}

func TestExecuteSkill_MalformedSuccess(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		reply browserusetest.Reply
		want  string
	}{
		{"truncated_json", browserusetest.Reply{Body: []byte(`{"success": true, "result": {"a"`), OffSpec: true}, "unexpected end of JSON input"},
		{"wrong_content_type", browserusetest.Reply{Header: http.Header{"Content-Type": {"text/plain"}}, Body: []byte(`{"success": true}`), OffSpec: true}, "text/plain, not JSON"},
		{"html_200", browserusetest.Reply{Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte(`<html>login</html>`), OffSpec: true}, "not JSON"},
		{"missing_success", browserusetest.Reply{JSON: map[string]any{"result": 1}, OffSpec: true}, `"success" is missing`},
		{"wrong_type", browserusetest.Reply{JSON: map[string]any{"success": "yes"}, OffSpec: true}, "cannot unmarshal string"},
		{"empty_body", browserusetest.Reply{Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte{}, OffSpec: true}, "unexpected end of JSON input"},
		{"undocumented_201", browserusetest.Reply{Status: 201, JSON: map[string]any{"success": true}}, "status 201 is not a documented response"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			srv.Enqueue(tt.reply)
			res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
			var apiErr *browseruse.APIError
			if res != nil || !errors.As(err, &apiErr) {
				t.Fatalf("res, err = %v, %v; want nil and *APIError", res, err)
			}
			want := tt.reply.Status
			if want == 0 {
				want = 200
			}
			if apiErr.StatusCode != want || apiErr.Err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("status %d, err %q; want status %d and %q", apiErr.StatusCode, err, want, tt.want)
			}
		})
	}
}

func TestExecuteSkill_ContentTypeIsCaseInsensitive(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{Header: http.Header{"Content-Type": {"Application/JSON; Charset=UTF-8"}},
		JSON: map[string]any{"success": true, "result": 7}})
	res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if string(res.Result) != "7" {
		t.Errorf("result = %s", res.Result)
	}
}

func TestExecuteSkill_SkillFailed(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success": false, "result": nil, "error": "element #buy not found", "stderr": "Traceback ...", "latencyMs": 1234,
	}})
	res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if res != nil || !errors.Is(err, browseruse.ErrSkillFailed) {
		t.Fatalf("res, err = %v, %v; want nil and ErrSkillFailed", res, err)
	}
	var se *browseruse.SkillError
	if !errors.As(err, &se) {
		t.Fatalf("err = %T, want *SkillError", err)
	}
	if se.Message != "element #buy not found" || se.Stderr != "Traceback ..." || se.LatencyMs != 1234 {
		t.Errorf("skill error = %+v", se)
	}
	if errors.Is(err, browseruse.ErrServer) {
		t.Error("a failed skill must not look like a server error")
	}
}

func TestExecuteSkillAs_FailedSkillWithOddResult(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": false, "result": "not a list", "error": "boom"}})
	_, err := browseruse.ExecuteSkillAs[[]int](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{})
	var se *browseruse.SkillError
	if !errors.As(err, &se) || se.Message != "boom" || string(se.Result) != `"not a list"` {
		t.Fatalf("err = %v, want *SkillError with message boom and the raw result", err)
	}
}

func TestSkillResult_Decode(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name   string
		result any
		into   func() any
		want   string
	}{
		{"object", map[string]any{"a": 1}, func() any { return new(map[string]int) }, "&map[a:1]"},
		{"array", []any{1, 2, 3}, func() any { return new([]int) }, "&[1 2 3]"},
		{"string", "hi", func() any { return new(string) }, "hi"},
		{"number", 2.5, func() any { return new(float64) }, "2.5"},
		{"bool", true, func() any { return new(bool) }, "true"},
		{"null_into_pointer", nil, func() any { return new(*int) }, "<nil>"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": true, "result": tt.result}})
			res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
			if err != nil {
				t.Fatal(err)
			}
			v := tt.into()
			if err := res.Decode(v); err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(v)
			switch p := v.(type) {
			case *string:
				got = *p
			case *float64:
				got = fmt.Sprint(*p)
			case *bool:
				got = fmt.Sprint(*p)
			case **int:
				got = fmt.Sprint(*p)
			}
			if got != tt.want {
				t.Errorf("decoded %s", got)
			}
		})
	}
}

func TestSkillResult_DecodeMismatch(t *testing.T) {
	t.Parallel()
	r := &browseruse.SkillResult{Result: json.RawMessage(`{"a":1}`)}
	var n int
	err := r.Decode(&n)
	if err == nil || !strings.Contains(err.Error(), "*int") {
		t.Errorf("err = %v, want a decode error naming the target type", err)
	}
}

// A decoder given to WithJSONUnmarshal does all the decoding of a result, and
// its error reaches the caller.
func TestWithJSONUnmarshal_DecodesResults(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	refuse := errors.New("refused by the caller's decoder")
	c, _ := setup(t, browseruse.WithJSONUnmarshal(func(data []byte, v any) error {
		calls.Add(1)
		if bytes.Contains(data, []byte("refuse me")) {
			return refuse
		}
		return json.Unmarshal(data, v)
	}))
	type echo struct {
		Parameters struct{ Q string } `json:"parameters"`
	}
	r, err := browseruse.ExecuteSkillAs[echo](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"q": "a"}})
	if err != nil || r.Value.Parameters.Q != "a" || calls.Load() != 1 {
		t.Fatalf("ExecuteSkillAs: %+v, %v after %d decoder calls, want the echo after 1", r, err, calls.Load())
	}
	res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"q": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	var out echo
	if err := res.Decode(&out); err != nil || out.Parameters.Q != "b" || calls.Load() != 3 {
		t.Fatalf("Decode: %+v, %v after %d decoder calls, want the echo after 3", out, err, calls.Load())
	}
	_, err = browseruse.ExecuteSkillAs[echo](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"q": "refuse me"}})
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, refuse) {
		t.Errorf("err = %v, want an *APIError wrapping the decoder's error", err)
	}
}

func TestExecuteSkill_LargeResult(t *testing.T) {
	t.Parallel()
	type item struct {
		ID    int    `json:"id"`
		Name  string `json:"name"`
		Price int    `json:"price"`
	}
	items := make([]item, 20000)
	for i := range items {
		items[i] = item{i, fmt.Sprintf("item-%d", i), i * 3}
	}
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": true, "result": items}})
	res, err := browseruse.ExecuteSkillAs[[]item](t.Context(), c, skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Value) != len(items) || res.Value[19999] != items[19999] {
		t.Errorf("got %d items, last %+v", len(res.Value), res.Value[len(res.Value)-1])
	}
}

func TestExecuteSkill_ResponseCap(t *testing.T) {
	t.Parallel()
	c, srv := setup(t, browseruse.WithMaxResponseBytes(1024))
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": true, "result": strings.Repeat("x", 2048)}})
	_, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if !errors.Is(err, browseruse.ErrResponseTooLarge) || !strings.Contains(err.Error(), "1024 bytes") {
		t.Fatalf("err = %v, want ErrResponseTooLarge naming the cap", err)
	}
}

func TestExecuteSkill_InvalidSessionIDIsRefusedBySpec(t *testing.T) {
	t.Parallel()
	// The generated request type cannot hold a bad UUID, so send raw JSON
	// through the generated API: the fake must answer with the API's 422.
	c, _ := setup(t)
	_, err := c.API().ExecuteSkillWithBodyWithResponse(t.Context(), skillID, "application/json",
		bytes.NewReader([]byte(`{"sessionId": "not-a-uuid"}`)))
	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) || !errors.Is(err, browseruse.ErrValidation) {
		t.Fatalf("err = %v, want a 422 *APIError", err)
	}
	if len(apiErr.Errors) == 0 || fmt.Sprint(apiErr.Errors[0].Loc) != "[body sessionId]" {
		t.Errorf("validation errors = %+v, want one at body.sessionId", apiErr.Errors)
	}
}

// uuid.Nil is what an ID never set holds: as a skill or session ID it is
// refused, saying so, before anything is sent.
func TestExecuteSkill_NilIDsAreRefused(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	nilSession := uuid.Nil
	for _, tc := range []struct {
		skill uuid.UUID
		req   browseruse.ExecuteSkillRequest
		says  string
	}{
		{uuid.Nil, browseruse.ExecuteSkillRequest{}, "skill ID is uuid.Nil"},
		{skillID, browseruse.ExecuteSkillRequest{SessionID: &nilSession}, "session ID is uuid.Nil"},
	} {
		_, err := c.ExecuteSkill(t.Context(), tc.skill, tc.req)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("err = %v, want it to say %q", err, tc.says)
		}
		if _, err := browseruse.ExecuteSkillAs[any](t.Context(), c, tc.skill, tc.req); err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("ExecuteSkillAs: err = %v, want it to say %q", err, tc.says)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestAPI_ReturnsPayloadOrError(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil || resp.JSON200 == nil || !resp.JSON200.Success {
		t.Fatalf("resp, err = %+v, %v; want the success payload", resp, err)
	}

	srv.Enqueue(browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}})
	resp, err = c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if resp != nil || !errors.Is(err, browseruse.ErrNotFound) {
		t.Fatalf("resp, err = %+v, %v; want nil and ErrNotFound", resp, err)
	}

	// A case-varied JSON content type still yields the payload, where the
	// generated parser alone would leave every field nil.
	srv.Enqueue(browserusetest.Reply{Header: http.Header{"Content-Type": {"APPLICATION/JSON"}}, JSON: map[string]any{"success": true}})
	resp, err = c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil || resp.JSON200 == nil {
		t.Fatalf("resp, err = %+v, %v; want the payload", resp, err)
	}

	for _, reply := range []browserusetest.Reply{
		{Status: 201, JSON: map[string]any{"success": true}},
		{Body: []byte(`{"success":`), OffSpec: true},
		{Header: http.Header{"Content-Type": {"text/html"}}, Body: []byte("<html/>"), OffSpec: true},
	} {
		srv.Enqueue(reply)
		resp, err = c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
		var apiErr *browseruse.APIError
		if resp != nil || !errors.As(err, &apiErr) || apiErr.StatusCode != max(reply.Status, 200) {
			t.Errorf("reply %d %s: resp, err = %+v, %v; want nil and an *APIError keeping the status", reply.Status, reply.Body, resp, err)
		}
	}
}

// A 200 that is JSON but not the documented ExecuteSkillResponse is an
// *APIError keeping the status, through API() as through ExecuteSkill: not
// a payload whose missing "success" reads as false, not a bare json error.
func TestAPI_UndocumentedShapeIsAPIError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, body string
		reason     string // in the wrapped reason
		jsonErr    bool   // the reason wraps the generated parser's *json.UnmarshalTypeError
	}{
		{"empty_object", `{}`, `lacks the required property "success"`, false},
		{"array", `[]`, "is array, not the documented object", false},
		{"string", `"str"`, "is string, not the documented object", false},
		{"null", `null`, "is null, not the documented object", false},
		{"success_not_boolean", `{"success":"yes"}`, `"success" is string, not the documented boolean`, false},
		{"success_null", `{"success":null}`, `"success" is null, not the documented boolean`, false},
		// Below the top level the generated types are the check: the parser
		// hands its failure back to the policy (api/templates).
		{"optional_field_wrong_type", `{"success":true,"latencyMs":"fast"}`, "cannot unmarshal string", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, srv := setup(t)
			reply := browserusetest.Reply{Body: []byte(tt.body), OffSpec: true}

			srv.Enqueue(reply)
			resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
			var apiErr *browseruse.APIError
			if resp != nil || !errors.As(err, &apiErr) {
				t.Fatalf("API(): resp, err = %+v, %v (%T); want nil and an *APIError", resp, err, err)
			}
			if apiErr.StatusCode != 200 || apiErr.Err == nil || !strings.Contains(apiErr.Err.Error(), tt.reason) {
				t.Errorf("API(): status %d, reason %v; want 200 and %q", apiErr.StatusCode, apiErr.Err, tt.reason)
			}
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) != tt.jsonErr {
				t.Errorf("API(): errors.As(err, *json.UnmarshalTypeError) = %v, want %v", !tt.jsonErr, tt.jsonErr)
			}
			if apiErr.Body != tt.body || apiErr.OperationID == "" {
				t.Errorf("API(): Body %q, OperationID %q; want the body and the operation", apiErr.Body, apiErr.OperationID)
			}

			// ExecuteSkill decodes by itself, and refuses the same bodies.
			srv.Enqueue(reply)
			res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
			if res != nil || !errors.As(err, &apiErr) || apiErr.StatusCode != 200 || apiErr.Err == nil {
				t.Errorf("ExecuteSkill: res, err = %+v, %v; want nil and an *APIError with status 200 and a reason", res, err)
			}
		})
	}

	// The documented shape still parses, with every optional field null.
	c, srv := setup(t)
	srv.Enqueue(browserusetest.Reply{Body: []byte(`{"success":false,"result":null,"error":null,"stderr":null,"latencyMs":null}`)})
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil || resp.JSON200 == nil || resp.JSON200.Success {
		t.Fatalf("resp, err = %+v, %v; want the payload of a failed skill", resp, err)
	}
}

// The body of a response from API() carries what the policy needs to reject
// it; nothing reachable from the response, even by reflection (as a
// pretty-printer walks it), may hold the key.
func TestAPI_KeyNotReachableFromResponse(t *testing.T) {
	// Not parallel: the walk below reads package state of the standard
	// library reachable from the response (time.Local, lazily set by any
	// test that formats a time), which the race detector rightly reports.
	c, _ := setup(t)
	resp, err := c.API().ExecuteSkillWithResponse(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if path := findString(reflect.ValueOf(resp), browserusetest.APIKey, "resp", map[uintptr]bool{}); path != "" {
		t.Errorf("the key is reachable at %s", path)
	}
}

// findString walks v through pointers, interfaces, structs (unexported
// fields too), slices and maps, and returns the path to the first string or
// byte slice that contains s.
func findString(v reflect.Value, s, path string, seen map[uintptr]bool) string {
	switch v.Kind() {
	case reflect.String:
		if strings.Contains(v.String(), s) {
			return path
		}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return ""
		}
		if v.Kind() == reflect.Pointer {
			if seen[v.Pointer()] {
				return ""
			}
			seen[v.Pointer()] = true
		}
		return findString(v.Elem(), s, path, seen)
	case reflect.Struct:
		for i := range v.NumField() {
			if p := findString(v.Field(i), s, path+"."+v.Type().Field(i).Name, seen); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if v.Kind() == reflect.Slice && strings.Contains(string(v.Bytes()), s) {
				return path
			}
			return ""
		}
		for i := range v.Len() {
			if p := findString(v.Index(i), s, fmt.Sprintf("%s[%d]", path, i), seen); p != "" {
				return p
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p := findString(it.Key(), s, path+"{key}", seen); p != "" {
				return p
			}
			if p := findString(it.Value(), s, fmt.Sprintf("%s[%v]", path, it.Key()), seen); p != "" {
				return p
			}
		}
	}
	return ""
}

func TestNew_NeedsKey(t *testing.T) {
	t.Setenv("BROWSER_USE_API_KEY", "")
	_, err := browseruse.New()
	if err == nil || !strings.Contains(err.Error(), "BROWSER_USE_API_KEY") {
		t.Fatalf("err = %v, want one that says how to provide a key", err)
	}
	t.Setenv("BROWSER_USE_API_KEY", "bu_from_env")
	c, err := browseruse.New()
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != browseruse.DefaultBaseURL {
		t.Errorf("base URL = %s", c.BaseURL())
	}
}

func TestNew_KeyFromEnvIsSent(t *testing.T) {
	srv := browserusetest.New(t)
	t.Setenv("BROWSER_USE_API_KEY", browserusetest.APIKey)
	t.Setenv("BROWSER_USE_BASE_URL", srv.URL)
	c, err := browseruse.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
}

func TestExecuteSkill_WrongKey(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	c, err := browseruse.New(browseruse.WithAPIKey("bu_wrong"), browseruse.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if !errors.Is(err, browseruse.ErrUnauthorized) || strings.Contains(err.Error(), "bu_wrong") {
		t.Fatalf("err = %v, want ErrUnauthorized without the key in it", err)
	}
}

func TestNew_BadOptions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opt  browseruse.Option
		want string
	}{
		{"empty_key", browseruse.WithAPIKey(""), "empty key"},
		{"key_with_newline", browseruse.WithAPIKey("bu_a\r\nX-Evil: 1"), "control characters"},
		// A server echoing it as JSON escapes (\u00e9) would spell it in
		// a way the redaction does not read.
		{"key_outside_ascii", browseruse.WithAPIKey("bu_clé_secrète_0123456789"), "outside ASCII"},
		{"ftp_url", browseruse.WithBaseURL("ftp://example.com"), "scheme"},
		{"no_host", browseruse.WithBaseURL("https://"), "no host"},
		{"plain_http_remote", browseruse.WithBaseURL("http://api.example.com/api/v2"), "unencrypted"},
		{"credentials_in_url", browseruse.WithBaseURL("https://user:pw@example.com"), "credentials"},
		{"negative_retries", browseruse.WithMaxRetries(-1), "negative"},
		{"zero_cap", browseruse.WithMaxResponseBytes(0), "not positive"},
		{"nil_http_client", browseruse.WithHTTPClient(nil), "nil client"},
		{"nil_unmarshal", browseruse.WithJSONUnmarshal(nil), "nil function"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := browseruse.New(browseruse.WithAPIKey("bu_k"), tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "pw@") {
				t.Errorf("error repeats the URL's credentials: %v", err)
			}
		})
	}
	// A key pasted into the base URL: the error says what is wrong with the
	// URL without repeating the key, in any spelling, whether or not it is
	// the configured one (a new key pasted beside an old one in the
	// environment: a review found that one printed).
	const key = "bu_KeyInTheURL0123456789"
	for _, configured := range []string{key, "bu_another_key"} {
		for _, u := range []string{
			"https://api.example.com/api/v2?api_key=" + key,
			"http://api.example.com/" + key,
			"ftp://api.example.com/?k=" + url.QueryEscape(key),
			"https://api.example.com/#" + strings.ReplaceAll(key, "_", "%5F"),
			"https://api.example.com/%zz" + key,
			"://" + key,
		} {
			_, err := browseruse.New(browseruse.WithAPIKey(configured), browseruse.WithBaseURL(u))
			if err == nil || !strings.Contains(err.Error(), "base URL") {
				t.Errorf("%s: err = %v, want one about the base URL", u, err)
				continue
			}
			if msg := err.Error(); strings.Contains(msg, "KeyInTheURL") {
				t.Errorf("the error repeats the key: %v", err)
			}
		}
	}
	// One New accepts as a URL holds the key in its path or host: it would
	// be printed wherever the URL is (a review found it in %v of the
	// client, log lines and spans).
	for _, tt := range []struct{ url, key string }{
		{"https://api.example.com/" + key, key},
		{"https://api.example.com/v2/" + strings.ReplaceAll(key, "_", "%5F"), key},
		{"https://bu-KeyInTheURL0123456789.example.com", "bu-KeyInTheURL0123456789"}, // lower-cased by New
		{"https://api.example.com/bu%20KeyInTheURL01", "bu%20KeyInTheURL01"},         // a review: printed as typed by %v
	} {
		_, err := browseruse.New(browseruse.WithAPIKey(tt.key), browseruse.WithBaseURL(tt.url))
		if err == nil || !strings.Contains(err.Error(), "holds the API key") || strings.Contains(err.Error(), "KeyInTheURL") {
			t.Errorf("%s: err = %v, want it refused without the key", tt.url, err)
		}
	}
	// A key too short to be one refuses no URL (a review: key "api"
	// refused the default base URL, saying it held the key).
	for _, k := range []string{"api", "v2", "1"} {
		if _, err := browseruse.New(browseruse.WithAPIKey(k), browseruse.WithBaseURL("http://127.0.0.1:4010/api/v2")); err != nil {
			t.Errorf("key %q: %v", k, err)
		}
	}
	// Plain http to loopback is fine (the fake, Prism); elsewhere only on request.
	for _, u := range []string{"http://127.0.0.1:4010", "http://localhost:8080/api", "http://[::1]:1"} {
		if _, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL("http://api.example.com"), browseruse.WithInsecureHTTP()); err != nil {
		t.Errorf("WithInsecureHTTP: %v", err)
	}
}

func TestClient_NeverPrintsKey(t *testing.T) {
	t.Parallel()
	const key = "bu_secret_do_not_print"
	c, err := browseruse.New(browseruse.WithAPIKey(key))
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
		if out := fmt.Sprintf(format, c); strings.Contains(out, key) || strings.Contains(out, fmt.Sprintf("%x", key)) {
			t.Errorf("%s of the client shows the key: %s", format, out)
		}
	}
	// The generated client holds the policy in an exported field, and its
	// own printing must not show the key one level down either.
	// A Client value (a struct embedding one, or *c) too: with a verb fmt
	// finds wrong for its fields, it printed them raw, key included.
	gc := c.API().ClientInterface.(*gen.Client)
	embedding := struct{ C browseruse.Client }{*c}
	for name, v := range map[string]any{"*c": *c, "a struct embedding *c": embedding, "*c.API()": *c.API(), "gen.Client": *gc, "gen.Client.Client": gc.Client} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
			if out := fmt.Sprintf(format, v); strings.Contains(out, key) {
				t.Errorf("%s of %s shows the key: %s", format, name, out)
			}
		}
	}
}

// A zero Client, say a field of a config struct not yet set, prints as
// one; with the value receivers of String and Format it printed a panic
// note (review).
func TestClient_ZeroValuePrints(t *testing.T) {
	t.Parallel()
	holder := struct {
		N int
		C browseruse.Client
	}{N: 1}
	for _, v := range []any{browseruse.Client{}, holder} {
		if out := fmt.Sprintf("%v", v); strings.Contains(out, "PANIC") || !strings.Contains(out, "browseruse.Client{}") {
			t.Errorf("%%v of %T: %s", v, out)
		}
	}
}

func TestExecuteSkill_ContextCancelled(t *testing.T) {
	t.Parallel()
	c, _ := setup(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestExecuteSkill_UnencodableParameters(t *testing.T) {
	t.Parallel()
	c, srv := setup(t)
	_, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"f": func() {}}})
	if err == nil || !strings.Contains(err.Error(), "encoding request") {
		t.Fatalf("err = %v, want an encoding error", err)
	}
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("server saw %d requests for a body that cannot be encoded", n)
	}
}

func TestWithBaseURL_KeepsPathPrefix(t *testing.T) {
	t.Parallel()
	var gotPath, gotKey string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath, gotKey = r.URL.Path, r.Header.Get(browseruse.KeyHeader)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success":true,"result":null}`)
	}))
	defer srv.Close()
	c, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(srv.URL+"/api/v2/"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/api/v2/skills/" + skillID.String() + "/execute"; gotPath != want || gotKey != "bu_k" {
		t.Errorf("path %q key %q; want %q and the key", gotPath, gotKey, want)
	}
	if string(res.Result) != "null" {
		t.Errorf("result = %q, want null", res.Result)
	}
}

// countingTransport proves the caller's transport carries the requests.
type countingTransport struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

func TestWithHTTPClient_KeepsCallersClient(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	rt := &countingTransport{next: http.DefaultTransport}
	hc := &http.Client{Transport: rt}
	c, err := browseruse.New(browseruse.WithAPIKey(browserusetest.APIKey), browseruse.WithBaseURL(srv.URL), browseruse.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ExecuteSkill(t.Context(), skillID, browseruse.ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	if rt.n.Load() != 1 {
		t.Errorf("caller's transport carried %d requests, want 1", rt.n.Load())
	}
	if hc.CheckRedirect != nil || hc.Transport != rt {
		t.Error("the caller's *http.Client was modified")
	}
}
