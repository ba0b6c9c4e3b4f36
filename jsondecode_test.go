package browseruse_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/google/uuid"
)

// sameAsEncodingJSON decodes data into a fresh value from fresh, through
// SkillResult.Decode and through json.Unmarshal, and wants the same.
func sameAsEncodingJSON[T any](t *testing.T, data string, fresh func() T) {
	t.Helper()
	got, want := fresh(), fresh()
	gotErr := (&browseruse.SkillResult{Result: json.RawMessage(data)}).Decode(got)
	wantErr := json.Unmarshal([]byte(data), want)
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && !strings.HasSuffix(gotErr.Error(), wantErr.Error()) {
		t.Errorf("%T from %s: error %v, encoding/json says %v", want, data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%T from %s: got %#v, encoding/json gives %#v", want, data, got, want)
	}
}

func TestDecode_MapKeysEncodingJSONRefuses(t *testing.T) {
	t.Parallel()
	sameAsEncodingJSON(t, `{"1.5":1,"2e1":2}`, func() *map[float64]int { return new(map[float64]int) })
	sameAsEncodingJSON(t, `{}`, func() *map[bool]string { return new(map[bool]string) })
	sameAsEncodingJSON(t, `{}`, func() *map[[2]int]int { return new(map[[2]int]int) })
	sameAsEncodingJSON(t, `{"a":1}`, func() *map[struct{ A int }]int { return new(map[struct{ A int }]int) })
	sameAsEncodingJSON(t, `{"a":1}`, func() *map[*string]int { return new(map[*string]int) })
	sameAsEncodingJSON(t, `{"m":{"1":true}}`, func() *struct{ M map[float32]bool } { return new(struct{ M map[float32]bool }) })
	sameAsEncodingJSON(t, `[{"x":1}]`, func() *[]map[bool]int { return new([]map[bool]int) })
}

func TestDecode_NullIntoAnAnyHoldingAPointerToAPointer(t *testing.T) {
	t.Parallel()
	type T struct{ A int }
	fresh := func() *any {
		p := &T{A: 1}
		var v any = &p
		return &v
	}
	sameAsEncodingJSON(t, `null`, fresh)
	got := fresh()
	if err := (&browseruse.SkillResult{Result: json.RawMessage(`null`)}).Decode(got); err != nil {
		t.Fatal(err)
	}
	if pp, ok := (*got).(**T); !ok || *pp != nil {
		t.Errorf("v = %#v, want it kept, with the *T it points at set to nil", *got)
	}
}

// appender is a json.Unmarshaler with an effect a second call would show:
// each call appends what it was given.
type appender []string

func (a *appender) UnmarshalJSON(b []byte) error { *a = append(*a, string(b)); return nil }

type withAppender struct {
	Tags appender `json:"tags"`
	F    float32  `json:"f"`
}

// A document the fast decoder refuses but encoding/json takes (a float32 at
// its maximum), or that both refuse: the caller's UnmarshalJSON runs once,
// and the value is encoding/json's, error or not.
func TestDecode_CallersUnmarshalerRunsOnce(t *testing.T) {
	t.Parallel()
	for _, data := range []string{
		`{"tags":"x","f":3.4028235e38}`,
		`{"tags":"x","f":"notanumber"}`,
	} {
		sameAsEncodingJSON(t, data, func() *withAppender { return new(withAppender) })
	}
}

func TestExecuteSkillAs_CallersUnmarshalerRunsOnce(t *testing.T) {
	t.Parallel()
	const result = `{"tags":"x","f":3.4028235e38}`
	c := clientAnswering(t, `{"success":true,"result":`+result+`,"latencyMs":1}`)
	r, err := browseruse.ExecuteSkillAs[withAppender](context.Background(), c, uuid.New(), browseruse.ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var want withAppender
	if err := json.Unmarshal([]byte(result), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.Value, want) {
		t.Errorf("ExecuteSkillAs gives %+v, encoding/json %+v", r.Value, want)
	}
}

// What the fast decoder wrote before it failed is not left behind: an
// overflowing number in an any leaves it nil, as encoding/json does.
func TestDecode_ValueAfterAnErrorIsEncodingJSONs(t *testing.T) {
	t.Parallel()
	type S struct {
		A any
		B int
	}
	sameAsEncodingJSON(t, `{"A":1e400,"B":2}`, func() *S { return new(S) })
	type F struct {
		M map[string]int
		S []struct{ A int }
		F float32
	}
	sameAsEncodingJSON(t, `{"M":{"a":1},"S":[{"A":1},{"A":"x"}],"F":1}`, func() *F { return new(F) })
	sameAsEncodingJSON(t, `{"M":{"a":1},"S":[{"A":1}],"F":1} junk`, func() *F { return new(F) })
}

// A filled value: encoding/json's rules for what it reuses hold.
func TestDecode_IntoAFilledValue(t *testing.T) {
	t.Parallel()
	got := []int{1}
	if err := (&browseruse.SkillResult{Result: json.RawMessage(`[]`)}).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := []int{1}
	_ = json.Unmarshal([]byte(`[]`), &want)
	if len(got) != 0 || cap(got) != cap(want) {
		t.Errorf("[] into []int{1}: len %d cap %d, encoding/json gives len %d cap %d", len(got), cap(got), len(want), cap(want))
	}
}

// code and count are a string-kind TextUnmarshaler and an int-kind
// json.Unmarshaler: ,string on them is encoding/json's business alone.
type code string

func (c *code) UnmarshalText(b []byte) error { *c = code("code:" + string(b)); return nil }

type count int

func (c *count) UnmarshalJSON(b []byte) error { *c = count(len(b)); return nil }

func TestDecode_StringTagOnAnUnmarshaler(t *testing.T) {
	t.Parallel()
	type S struct {
		C  code   `json:"c,string"`
		PC *code  `json:"pc,string"`
		N  count  `json:"n,string"`
		PN *count `json:"pn,string"`
	}
	for _, data := range []string{
		`{"c":"x"}`, `{"c":"\"x\""}`, `{"pc":"\"x\""}`, `{"pc":"x"}`,
		`{"n":"12"}`, `{"n":"\"abc\""}`, `{"n":12}`, `{"pn":"null"}`, `{"pn":null}`,
	} {
		sameAsEncodingJSON(t, data, func() *S { return new(S) })
	}
	// goccy reads a quoted "+0" as a number; encoding/json refuses it.
	type F struct {
		F float64 `json:"f,string"`
	}
	sameAsEncodingJSON(t, `{"f":"+0"}`, func() *F { return new(F) })
}

// clientAnswering is a client of a server that answers every call with body.
func clientAnswering(t *testing.T, body string) *browseruse.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := browseruse.New(browseruse.WithAPIKey("bu_k"), browseruse.WithBaseURL(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
