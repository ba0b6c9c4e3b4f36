package browseruse_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
)

type presizeItem struct {
	ID   int               `json:"id"`
	Name string            `json:"name"`
	Tags map[string]string `json:"tags"`
}

// A large array result comes back with the value encoding/json gives, in a
// slice that holds no more room than it needs, however well the client
// guessed its length from the body: exactly (one object an element), too
// high (nested objects, braces in strings), too low (null elements).
func TestExecuteSkillAs_ArrayResultSizedToFit(t *testing.T) {
	t.Parallel()
	elems := func(n int, elem func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = elem(i)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	plain := func(i int) string { return `{"id":` + strconv.Itoa(i) + `,"name":"n` + strconv.Itoa(i) + `"}` }
	for _, tt := range []struct {
		name, result, stderr string
		maxCap               int
	}{
		{"one_brace_each", elems(3000, plain), "", 3000},
		{"nested_objects", elems(3000, func(i int) string { return `{"id":1,"tags":{"a":"b"}}` }), "", 2*3000 + 64},
		{"braces_in_strings", elems(100, plain), strings.Repeat("{", 200000), 100},
		{"null_elements", elems(3000, func(i int) string {
			if i%2 == 0 {
				return "null"
			}
			return plain(i)
		}), "", 2*3000 + 64},
		{"empty", "[]", strings.Repeat("{", 5000), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := `{"success":true,"result":` + tt.result + `,"stderr":"` + tt.stderr + `"}`
			r := executeCanned[[]presizeItem](t, body)
			var want []presizeItem
			if err := json.Unmarshal([]byte(tt.result), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(r.Value, want) {
				t.Fatalf("decoded %d elements, not encoding/json's %d (or not the same)", len(r.Value), len(want))
			}
			if cap(r.Value) > tt.maxCap {
				t.Errorf("the result has room for %d elements; %d are needed, at most %d allowed", cap(r.Value), len(r.Value), tt.maxCap)
			}
		})
	}
}

// A result left out of a body with many braces elsewhere is nil, as
// encoding/json leaves it, not an empty slice.
func TestExecuteSkillAs_AbsentArrayResultIsNil(t *testing.T) {
	t.Parallel()
	for _, result := range []string{``, `"result":null,`} {
		body := `{"success":true,` + result + `"stderr":"` + strings.Repeat("{", 1000) + `"}`
		if r := executeCanned[[]presizeItem](t, body); r.Value != nil {
			t.Errorf("%q: result %#v, want nil", body[:40], r.Value)
		}
	}
}

// countedRows decodes itself, counting its runs and the receivers it finds
// already made.
type countedRows []presizeItem

var countedRowsRuns, countedRowsMade int

func (r *countedRows) UnmarshalJSON(b []byte) error {
	countedRowsRuns++
	if *r != nil {
		countedRowsMade++
	}
	return json.Unmarshal(b, (*[]presizeItem)(r))
}

// A result type with an UnmarshalJSON of its own runs as encoding/json runs
// it: once, on a nil receiver (docs/decoding.md). Before, the client made
// the slice for it beforehand and, for an empty result, decoded again: the
// method saw a receiver already made, and ran twice.
func TestExecuteSkillAs_AResultsOwnUnmarshalJSONRunsOnceOnNil(t *testing.T) {
	many := `[` + strings.TrimSuffix(strings.Repeat(`{"id":1},`, 100), ",") + `]`
	for _, result := range []string{"[]", "null", many} {
		body := `{"success":true,"result":` + result + `,"stderr":"` + strings.Repeat("{", 5000) + `"}`
		countedRowsRuns, countedRowsMade = 0, 0
		var want struct{ Result countedRows }
		if err := json.Unmarshal([]byte(body), &want); err != nil {
			t.Fatal(err)
		}
		wantRuns, wantMade := countedRowsRuns, countedRowsMade
		countedRowsRuns, countedRowsMade = 0, 0
		executeCanned[countedRows](t, body)
		if countedRowsRuns != wantRuns || countedRowsMade != wantMade {
			t.Errorf("result %.12s: UnmarshalJSON ran %d times (%d on a slice made), encoding/json %d (%d)",
				result, countedRowsRuns, countedRowsMade, wantRuns, wantMade)
		}
	}
}

// executeCanned runs ExecuteSkillAs[T] against a server that answers body.
func executeCanned[T any](t *testing.T, body string) *browseruse.Result[T] {
	t.Helper()
	srv, _ := newCannedServer(t, []byte(body))
	defer srv.Close()
	c := newBenchClient(t, browseruse.WithBaseURL(srv.URL))
	r, err := browseruse.ExecuteSkillAs[T](t.Context(), c, benchSkill, benchInput)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
