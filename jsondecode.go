package browseruse

import (
	"encoding"
	"encoding/json"
	"reflect"
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
// and case-folded names, ,string, Unmarshalers, embedding, number ranges,
// map keys, values already filled). Its errors differ, and it refuses a few
// inputs that encoding/json takes (a float32 at its very maximum): on any
// error or panic, encoding/json decodes again and has the last word, so the
// caller sees exactly its value and error. A document that fails costs two
// decodes; a call that fails that way is rare.
func unmarshalJSON(data []byte, v any) (err error) {
	if !fastDecodes(v) {
		return json.Unmarshal(data, v)
	}
	defer func() {
		if recover() != nil {
			err = json.Unmarshal(data, v)
		}
	}()
	if gojson.Unmarshal(data, v) != nil {
		return json.Unmarshal(data, v)
	}
	return nil
}

// The verdict on a target type, cached: the walk runs once per type, so the
// hot path costs a map lookup and allocates nothing.
type typeVerdict uint8

const (
	fastType      typeVerdict = 1 << iota // goccy treats it as encoding/json does
	fillableIface                         // it can hold an interface the caller filled
)

var typeVerdicts sync.Map // reflect.Type -> typeVerdict

// fastDecodes reports whether goccy may decode into v. It may not where its
// acceptance is wider than encoding/json's: map keys other than strings,
// integers and TextUnmarshalers (goccy takes float, bool, array... keys
// that encoding/json refuses), kinds JSON cannot fill (complex, chan, func).
// Nor may it into a value holding an interface the caller filled:
// encoding/json decodes through a pointer held there, by rules of its own
// (null into an any holding a **T sets the *T to nil and keeps the any).
func fastDecodes(v any) bool {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return false // encoding/json's InvalidUnmarshalError
	}
	t := rv.Type().Elem()
	verdict, ok := typeVerdicts.Load(t)
	if !ok {
		verdict, _ = typeVerdicts.LoadOrStore(t, judge(t))
	}
	tv := verdict.(typeVerdict)
	return tv&fastType != 0 && (tv&fillableIface == 0 || rv.Elem().IsZero())
}

func judge(t reflect.Type) typeVerdict {
	var tv typeVerdict
	if fastKinds(t, map[reflect.Type]bool{}) {
		tv |= fastType
	}
	if holdsIface(t, map[reflect.Type]bool{}) {
		tv |= fillableIface
	}
	return tv
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
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return true // it decodes itself
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
			if !fastKinds(t.Field(i).Type, seen) {
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

// holdsIface reports whether a value of type t can hold an interface that
// decoding goes through: one reached through fields, elements and pointers,
// not through a map (each map value is decoded into a fresh one).
func holdsIface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return holdsIface(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsIface(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}
