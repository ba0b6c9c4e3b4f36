package browseruse_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
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
