package browseruse

import (
	"encoding/json"
	"testing"
	"time"
)

// The type check in front of goccy is cached: after the first call for a
// type it allocates nothing, so the hot path stays as it was.
func TestFastDecodes_CachedCheckAllocatesNothing(t *testing.T) {
	v := new([]fzProduct)
	fastDecodes(v, false)
	if n := testing.AllocsPerRun(100, func() { fastDecodes(v, false) }); n != 0 {
		t.Errorf("fastDecodes allocates %v times a call, want 0", n)
	}
}

func TestFastDecodes_ByType(t *testing.T) {
	var filled any = &fzInts{}
	for _, tt := range []struct {
		name string
		v    any
		want bool
	}{
		{"struct", new(fzProduct), true},
		{"map_of_any", new(map[string]any), true},
		{"text_keys", new(map[fzTextKey]int), false}, // the caller's UnmarshalText
		{"unmarshaler", new(fzMethods), false},
		{"string_tag_on_raw", new(struct {
			R json.RawMessage `json:"r,string"`
		}), false},
		{"string_tag", new(fzString), false},
		{"raw_and_time", new(struct {
			R json.RawMessage
			T time.Time
		}), true},
		{"filled_slice", &[]int{1}, false},
		{"int_keys", new(map[uint8]bool), true},
		{"recursive", new(fzTagged), true},
		{"float_keys", new(map[float64]int), false},
		{"nested_bool_keys", new(fzKeys), false},
		{"complex", new(complex128), false},
		{"empty_any", new(any), true},
		{"filled_any", &filled, false},
		{"not_a_pointer", fzProduct{}, false},
		{"nil_pointer", (*fzProduct)(nil), false},
	} {
		if got := fastDecodes(tt.v, false); got != tt.want {
			t.Errorf("%s: fastDecodes(%T) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
}
