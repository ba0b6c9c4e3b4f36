package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/gen"
	"github.com/browser-use/browseruse-go/openapi"
)

// sentinels maps statuses to the error a caller matches them with, as the
// README's error table promises. Every 5xx is ErrServer; a status not listed
// matches none of them.
var sentinels = map[int]error{
	http.StatusBadRequest:          browseruse.ErrBadRequest,
	http.StatusUnauthorized:        browseruse.ErrUnauthorized,
	http.StatusPaymentRequired:     browseruse.ErrInsufficientCredits,
	http.StatusForbidden:           browseruse.ErrForbidden,
	http.StatusNotFound:            browseruse.ErrNotFound,
	http.StatusUnprocessableEntity: browseruse.ErrValidation,
	http.StatusTooManyRequests:     browseruse.ErrTooManyRequests,
}

func sentinelFor(status int) error {
	if status >= 500 && status <= 599 {
		return browseruse.ErrServer
	}
	return sentinels[status]
}

var allSentinels = []error{
	browseruse.ErrBadRequest, browseruse.ErrUnauthorized, browseruse.ErrInsufficientCredits,
	browseruse.ErrForbidden, browseruse.ErrNotFound, browseruse.ErrValidation,
	browseruse.ErrTooManyRequests, browseruse.ErrServer, browseruse.ErrSkillFailed,
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	s, err := parseSpec(openapi.V2)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.ops) == 0 {
		t.Fatal("the spec has no operations: nothing would be checked")
	}
	return s
}

// TestEveryDocumentedStatus forces each documented status of each operation
// with Prefer: code=N and checks the client's answer: the success payload
// for a 2xx, for anything else an *APIError matching the status's sentinel.
func TestEveryDocumentedStatus(t *testing.T) {
	needPrism(t)
	s := loadSpec(t)
	c := newClient(t, nil)
	bindings, problems := bind(c, s)
	for _, p := range problems {
		t.Error(p)
	}
	operationsSeen.Store(int64(len(s.ops)))
	for _, op := range s.ops {
		if len(op.Statuses) == 0 {
			t.Errorf("%s %s documents no status", op.Method, op.Template)
		}
		for _, status := range op.Statuses {
			prismPairs.checked.Add(1)
			ok := t.Run(op.ID+"/"+strconv.Itoa(status), func(t *testing.T) {
				b := bindings[op]
				if b == nil {
					t.Fatalf("no generated method for %s %s", op.Method, op.Template)
				}
				checkStatus(t, s, op, b, status, prefer(status))
			})
			if !ok {
				prismPairs.failed.Add(1)
			}
		}
	}
}

// checkStatus calls op, which the server has been told to answer with
// status, and checks what the client made of the answer.
func checkStatus(t *testing.T, s *spec, op *specOp, b *binding, status int, editors ...gen.RequestEditorFn) {
	ctx, ex := recorded(t)
	resp, err, setupErr := b.call(ctx, s, op, required, editors...)
	if setupErr != nil {
		t.Fatalf("building the request: %v", setupErr)
	}
	if len(ex.violations) > 0 {
		t.Errorf("Prism found the request invalid (sl-violations): %q", ex.violations)
	}
	if ex.status != status {
		t.Errorf("the server answered %d, want the forced %d", ex.status, status)
	}
	if err != nil && strings.Contains(err.Error(), testKey) {
		t.Errorf("the error reveals the API key: %v", err)
	}

	if status >= 200 && status <= 299 {
		if err != nil {
			t.Fatalf("%s: documented success %d returned an error: %v", b.name, status, err)
		}
		checkPayload(t, resp, op, status)
		return
	}

	var apiErr *browseruse.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("%s: status %d returned %T (%v), want *browseruse.APIError", b.name, status, err, err)
	}
	if !resp.IsNil() {
		t.Errorf("%s: status %d returned a response along with the error", b.name, status)
	}
	if apiErr.StatusCode != status {
		t.Errorf("StatusCode = %d, want %d", apiErr.StatusCode, status)
	}
	if apiErr.OperationID != op.ID {
		t.Errorf("OperationID = %q, want %q: the client matched the request to the wrong operation", apiErr.OperationID, op.ID)
	}
	if apiErr.Attempts != 1 {
		t.Errorf("Attempts = %d with retries off, want 1", apiErr.Attempts)
	}
	want := sentinelFor(status)
	for _, sentinel := range allSentinels {
		if got := errors.Is(err, sentinel); got != (sentinel == want) {
			t.Errorf("errors.Is(err, %v) = %v for status %d", sentinel, got, status)
		}
	}
	if op.JSON[status] && apiErr.Err != nil {
		t.Errorf("the documented %d body did not decode: %v", status, apiErr.Err)
	}
	if status == http.StatusUnprocessableEntity && op.JSON[status] && len(apiErr.Errors) == 0 {
		t.Errorf("a documented 422 body gave no Errors (Detail %q, Body %q)", apiErr.Detail, apiErr.Body)
	}
}

// checkPayload asserts that a success response carries what the spec
// documents: the decoded JSON payload, or the status alone for a body that
// is not JSON (a 204).
func checkPayload(t *testing.T, resp reflect.Value, op *specOp, status int) {
	t.Helper()
	if resp.IsNil() {
		t.Fatal("nil response without an error")
	}
	r := resp.Elem()
	if hr, _ := r.FieldByName("HTTPResponse").Interface().(*http.Response); hr == nil || hr.StatusCode != status {
		t.Errorf("HTTPResponse = %v, want status %d", hr, status)
	}
	if !op.JSON[status] {
		return
	}
	field := jsonField(r.Type(), status)
	if field == "" {
		t.Fatalf("%v has no field for the documented JSON %d body", r.Type(), status)
	}
	if f := r.FieldByName(field); f.IsNil() {
		t.Errorf("%s is nil for a documented JSON %d response (body %q)", field, status, r.FieldByName("Body").Bytes())
	}
}

// jsonField names the generated field for a status's JSON body: JSON200
// for application/json, ApplicationProblemJSON200 and the like otherwise.
func jsonField(t reflect.Type, status int) string {
	suffix := fmt.Sprintf("JSON%d", status)
	if _, ok := t.FieldByName(suffix); ok {
		return suffix
	}
	for i := range t.NumField() {
		if f := t.Field(i); strings.HasSuffix(f.Name, suffix) && f.Type.Kind() == reflect.Pointer {
			return f.Name
		}
	}
	return ""
}

// TestEveryFieldIsAccepted sends, for each operation, a request with every
// parameter and body property the spec declares, through the generated
// types. It catches types that drop or mangle a field and serialisations
// the API would refuse, which requests with only required fields never
// exercise.
func TestEveryFieldIsAccepted(t *testing.T) {
	needPrism(t)
	s := loadSpec(t)
	c := newClient(t, nil)
	bindings, _ := bind(c, s) // TestEveryDocumentedStatus reports binding problems
	for _, op := range s.ops {
		b := bindings[op]
		success := firstSuccess(op)
		if b == nil || success == 0 || (op.Body == nil && len(op.OtherParams) == 0) {
			continue
		}
		t.Run(op.ID, func(t *testing.T) {
			if b.body != nil {
				checkBodyRoundTrip(t, s, op.Body, b.body)
			}
			ctx, ex := recorded(t)
			_, err, setupErr := b.call(ctx, s, op, every, prefer(success))
			if setupErr != nil {
				t.Fatalf("building the request: %v", setupErr)
			}
			if len(ex.violations) > 0 {
				t.Errorf("Prism found the request invalid (sl-violations): %q", ex.violations)
			}
			if err != nil {
				t.Errorf("%s with every field set: %v", b.name, err)
			}
		})
	}
}

func firstSuccess(op *specOp) int {
	for _, s := range op.Statuses {
		if s >= 200 && s <= 299 {
			return s
		}
	}
	return 0
}

// checkBodyRoundTrip asserts that a body with every property set survives
// the generated request type: what the caller can express is what is sent.
func checkBodyRoundTrip(t *testing.T, s *spec, sch schema, typ reflect.Type) {
	t.Helper()
	want, err := s.instance(sch, every)
	if err != nil {
		t.Fatalf("building the body: %v", err)
	}
	v, err := convert(want, typ)
	if err != nil {
		t.Fatalf("the generated type cannot hold the body: %v", err)
	}
	raw, err := json.Marshal(v.Interface())
	if err != nil {
		t.Fatalf("marshalling %v: %v", typ, err)
	}
	var got any
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	wantRaw, _ := json.Marshal(want)
	var wantNorm any
	_ = json.Unmarshal(wantRaw, &wantNorm)
	if !reflect.DeepEqual(got, wantNorm) {
		t.Errorf("%v does not carry every field:\n set  %s\n sent %s", typ, wantRaw, raw)
	}
}
