package browseruse

import (
	"bytes"
	"reflect"
)

// A large result is most often an array of objects ([]T of structs, maps,
// or pointers to them). Decoded into a nil slice, it grows as it is read:
// doubling from 64 elements, a 5,000-element result allocates about three
// times the slice it ends in and copies each element several times, which
// cost a third of its decoding time and half the bytes a call allocated.
// So the slice is made once, before decoding, with room for as many
// elements as the body has opening braces: every element opens one.
//
// That is a guess, and it can only be too large (braces of nested objects,
// braces in strings) or too small (null elements), never wrong: too small,
// the slice grows from there as before; too large, the slice is copied to
// its length once decoded (see trimSlice), so a result holds no more room
// than a grown one would. The slice made never takes more than twice the
// body's bytes (maxPresize), so that braces in a string cannot make a body
// cost much more memory than it has: the memory follows the bytes received
// (see readBody). A longer array grows from there, as before.

// decodeEnvelope decodes an Execute Skill body into env, a zero value, as
// the decoder of WithJSONUnmarshal does, else as unmarshalJSON does, with
// the result's slice made beforehand where presizedResult guesses a length.
func decodeEnvelope[T any](p *policy, body []byte, env *skillEnvelope[T]) error {
	if p.unmarshal != nil || !presizedResult(&env.Result, body) {
		return p.jsonUnmarshal()(body, env)
	}
	if err := unmarshalPresized(body, env); err != nil {
		return err // the caller drops env
	}
	if reflect.ValueOf(env.Result).Len() == 0 {
		// Empty, null or absent: decoded from zero, an absent result is
		// nil, as encoding/json leaves it, not the slice made for it.
		*env = skillEnvelope[T]{}
		return unmarshalJSON(body, env)
	}
	trimSlice(&env.Result)
	return nil
}

// presizeFrom is the least guess worth a slice of its own: shorter arrays
// are decoded in place as fast (goccy's first 64 elements go straight into
// the slice).
const presizeFrom = 64

// maxPresize bounds the slice made, in bytes, to this many times the
// body's: compact JSON takes fewer bytes than the Go values it decodes to
// (a 1-byte number fills an 8-byte int), so a bound of the body alone
// would cut short the guess for arrays of small objects.
const maxPresize = 2

// presizedResult makes *dst, a nil []E with E an object kind, an empty
// slice with room for the elements body seems to hold, and reports whether
// it did. Anything else is left alone, and so is a type goccy does not
// decode (fastDecodes): encoding/json would hand a slice made beforehand
// to the caller's UnmarshalJSON, which expects nil, and an empty result
// decoded again would run that method twice.
func presizedResult[T any](dst *T, body []byte) bool {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Slice || !objectKind(t.Elem()) || !fastDecodes(dst, false) {
		return false
	}
	n := bytes.Count(body, []byte{'{'}) - 1 // the envelope's own brace
	n = min(n, maxPresize*len(body)/max(int(t.Elem().Size()), 1))
	if n < presizeFrom {
		return false
	}
	reflect.ValueOf(dst).Elem().Set(reflect.MakeSlice(t, 0, n))
	return true
}

// objectKind reports whether a JSON object is what a value of type t is
// decoded from: a struct, a map, or a pointer to one.
func objectKind(t reflect.Type) bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Kind() == reflect.Struct || t.Kind() == reflect.Map
}

// trimSlice copies *dst, a slice, to a new one of its length when it has
// more than twice as much room, as much as a slice grown by doubling could
// have: a guess that was too large then costs one copy, not memory for as
// long as the caller keeps the result.
func trimSlice[T any](dst *T) {
	v := reflect.ValueOf(dst).Elem()
	if v.Cap() <= 2*v.Len()+presizeFrom {
		return
	}
	c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(c, v)
	v.Set(c)
}
