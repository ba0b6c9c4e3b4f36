package browseruse

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"
)

// unmarshalJSON is json.Unmarshal from encoding/json, about six times faster
// on a large result: what ExecuteSkillAs and SkillResult.Decode decode with
// unless WithJSONUnmarshal gives another decoder.
//
// goccy/go-json decodes first, into the types it is known to treat as
// encoding/json does (see fastDecodes); into any other, encoding/json
// decodes alone. Wherever goccy succeeds it gives encoding/json's value,
// which FuzzDecodeMatchesEncodingJSON holds it to (invalid UTF-8, duplicate
// and case-folded names, ,string, embedding, number ranges, map keys). Its
// errors differ, and it refuses a few inputs that encoding/json takes (a
// float32 at its very maximum): on any error or panic, encoding/json has the
// last word. It decodes into the target set back to zero, so what goccy
// wrote before it failed is gone and the caller sees exactly encoding/json's
// value and error. That holds because goccy only ever starts from a zero
// value and runs no code of the caller's (see fastDecodes): everything it
// wrote hangs off the target. A document that fails costs two decodes; a
// call that fails that way is rare.
func unmarshalJSON(data []byte, v any) error {
	return decodeJSON(data, v, false)
}

// unmarshalPresized is unmarshalJSON into a v that is zero but for empty
// slices made with room and never written (see presizedResult). goccy
// decodes into their arrays as into new ones, and so does encoding/json,
// which decodes the array's elements in place too: the value is the same.
func unmarshalPresized(data []byte, v any) error {
	return decodeJSON(data, v, true)
}

func decodeJSON(data []byte, v any, presized bool) (err error) {
	if !fastDecodes(v, presized) {
		return json.Unmarshal(data, v)
	}
	target := reflect.ValueOf(v).Elem()
	defer func() {
		if recover() != nil {
			target.SetZero()
			err = json.Unmarshal(data, v)
		}
	}()
	if gojson.Unmarshal(data, v) != nil {
		target.SetZero()
		return json.Unmarshal(data, v)
	}
	return nil
}

// The verdict on a target type, cached: the walk runs once per type, so the
// hot path costs a map lookup and allocates nothing.
var fastTypes sync.Map // reflect.Type -> bool

// fastDecodes reports whether goccy may decode into v. It may not where its
// acceptance is wider than encoding/json's: map keys other than strings and
// integers (goccy takes float, bool, array... keys that encoding/json
// refuses), kinds JSON cannot fill (complex, chan, func). Nor where a
// method of the caller's (UnmarshalJSON, UnmarshalText) would run: if goccy
// then failed, encoding/json would run it a second time. Nor into a value
// that is not zero: goccy reuses what it holds (a slice's backing array, a
// pointer in an any) by rules of its own, and what it wrote there before
// failing could not be undone; but into empty slices made with room, which
// presized vouches for (see unmarshalPresized), it may: setting the target
// to zero drops them whole.
func fastDecodes(v any, presized bool) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false // encoding/json's InvalidUnmarshalError
	}
	t := rv.Type().Elem()
	fast, ok := fastTypes.Load(t)
	if !ok {
		fast, _ = fastTypes.LoadOrStore(t, !callsMethods(t) && fastKinds(t, map[reflect.Type]bool{}))
	}
	return fast.(bool) && (presized || rv.Elem().IsZero())
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// fastKinds reports whether t, and every type it is made of, is one goccy
// decodes as encoding/json does. seen breaks cycles of recursive types.
func fastKinds(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true // being judged further up
	}
	seen[t] = true
	if hasMethod(t) {
		return true // json.RawMessage, time.Time: they decode themselves
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.String, reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return fastKinds(t.Elem(), seen)
	case reflect.Map:
		return mapKey(t.Key()) && fastKinds(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !fastKinds(f.Type, seen) || stringTag(f) {
				return false
			}
		}
		return true
	}
	return false // complex, chan, func, unsafe.Pointer
}

// mapKey reports whether encoding/json decodes map keys of type k.
func mapKey(k reflect.Type) bool {
	switch k.Kind() {
	case reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return reflect.PointerTo(k).Implements(textUnmarshalerType)
}

// stringTag reports whether f has the ,string option. goccy reads it more
// loosely than encoding/json ("+0" into a float64), and applies it to types
// that decode themselves where encoding/json does not.
func stringTag(f reflect.StructField) bool {
	_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
	return slices.Contains(strings.Split(opts, ","), "string")
}

// hasMethod reports whether t or *t has an UnmarshalJSON or UnmarshalText.
func hasMethod(t reflect.Type) bool {
	for _, m := range []reflect.Type{t, reflect.PointerTo(t)} {
		if m.Implements(unmarshalerType) || m.Implements(textUnmarshalerType) {
			return true
		}
	}
	return false
}
