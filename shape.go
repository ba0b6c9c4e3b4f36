package browseruse

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// A shape is what the spec promises about a JSON success body that the
// generated types cannot check: encoding/json decodes {} into a struct whose
// required fields are silently zero (a payload with "success": false, in the
// Execute Skill case), and null into anything. So the policy holds a body to
// its top-level JSON type and to the required properties of its schema,
// present and of their type; what lies deeper is the generated parser's to
// check, whose failures come back through [successBody.ParseFailed].
//
// Shapes are read from the embedded spec, like the routes: a new operation
// or schema needs no code here. A schema construct this file does not model
// constrains nothing, so an unusual spec can make a check weaker, never make
// a documented body fail.
type shape struct {
	kinds    kinds      // of the body; 0: any
	required []property // members an object body must have
}

type property struct {
	name  string
	kinds kinds // of its value; 0: any
}

// kinds is a set of JSON value kinds; the zero set means "any".
type kinds uint8

const (
	kindBoolean kinds = 1 << iota
	kindNumber        // integer too: a fraction where an integer belongs fails the parser
	kindString
	kindArray
	kindObject
	kindNull // last, to read "string or null"
)

var kindNames = []string{"boolean", "number", "string", "array", "object", "null"}

// String reads "string or null".
func (k kinds) String() string {
	var names []string
	for i, n := range kindNames {
		if k&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, " or ")
}

// kindOf is the kind of the valid JSON value that starts with c.
func kindOf(c byte) kinds {
	switch c {
	case '{':
		return kindObject
	case '[':
		return kindArray
	case '"':
		return kindString
	case 't', 'f':
		return kindBoolean
	case 'n':
		return kindNull
	}
	return kindNumber
}

// check reports how body, which must be valid JSON, breaks the shape; nil if
// it does not (or there is no shape to hold it to).
func (sh *shape) check(body []byte) error {
	if sh == nil {
		return nil
	}
	i := skipSpace(body, 0)
	k := kindOf(body[i])
	if sh.kinds != 0 && sh.kinds&k == 0 {
		return fmt.Errorf("success body is %s, not the documented %s", k, sh.kinds)
	}
	if k != kindObject || len(sh.required) == 0 {
		return nil
	}
	// The kind of each required member as last seen (the member encoding/json
	// keeps); 0 for missing.
	var buf [16]kinds
	seen := buf[:0]
	if len(sh.required) <= len(buf) {
		seen = buf[:len(sh.required)]
	} else {
		seen = make([]kinds, len(sh.required))
	}
	i = skipSpace(body, i+1)
	for body[i] != '}' {
		keyEnd := skipString(body, i)
		key := body[i+1 : keyEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			var s string
			if json.Unmarshal(body[i:keyEnd], &s) == nil { // it is valid: cannot fail
				key = []byte(s)
			}
		}
		i = skipSpace(body, skipSpace(body, keyEnd)+1) // past the colon
		for j, p := range sh.required {
			// In any letter case, as encoding/json matches a member to a
			// field: the generated parser and ExecuteSkill take
			// {"Success": true}, so this check does too.
			if strings.EqualFold(p.name, string(key)) {
				seen[j] = kindOf(body[i])
			}
		}
		i = skipSpace(body, skipValue(body, i))
		if body[i] == ',' {
			i = skipSpace(body, i+1)
		}
	}
	for j, p := range sh.required {
		switch {
		case seen[j] == 0:
			return fmt.Errorf("success body lacks the required property %q", p.name)
		case p.kinds != 0 && p.kinds&seen[j] == 0:
			return fmt.Errorf("success body's required property %q is %s, not the documented %s", p.name, seen[j], p.kinds)
		}
	}
	return nil
}

// schema is the part of a JSON Schema (as OpenAPI 3.0 and 3.1 write it) that
// a shape is made of.
type schema struct {
	Ref        string             `json:"$ref"`
	Type       json.RawMessage    `json:"type"` // "string" or ["string", "null"]
	Nullable   bool               `json:"nullable"`
	Enum       []json.RawMessage  `json:"enum"`
	Const      json.RawMessage    `json:"const"`
	AnyOf      []*schema          `json:"anyOf"`
	OneOf      []*schema          `json:"oneOf"`
	AllOf      []*schema          `json:"allOf"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	WriteOnly  bool               `json:"writeOnly"`
}

// schemas resolves the spec's local references, #/components/schemas/Name.
type schemas map[string]*schema

// maxRefDepth stops a reference cycle (a schema that is an alias of itself),
// which then constrains nothing.
const maxRefDepth = 32

// maxNesting bounds how deep kindsOf follows anyOf, oneOf and allOf: real
// schemas nest them two or three deep, and a schema that contains itself in
// two branches would otherwise cost 2^depth steps.
const maxNesting = 8

func (c schemas) resolve(s *schema) *schema {
	for depth := 0; s != nil && s.Ref != ""; depth++ {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		if !ok || depth == maxRefDepth {
			return nil // an external or cyclic reference: unknown
		}
		s = c[name]
	}
	return s
}

// shapeOf is the shape of a body documented by s; nil when s constrains
// neither the body's kind nor any member.
func (c schemas) shapeOf(s *schema) *shape {
	s = c.resolve(s)
	sh := &shape{kinds: c.kindsOf(s, 0)}
	if s != nil {
		// allOf: the body must match every branch, so it has each one's
		// required properties. anyOf and oneOf require nothing for sure.
		for _, part := range append([]*schema{s}, s.AllOf...) {
			part = c.resolve(part)
			if part == nil {
				continue
			}
			for _, name := range part.Required {
				ps := c.propertyOf(s, name)
				if ps != nil && ps.WriteOnly {
					continue // sent, never received (OpenAPI 3.0 and 3.1 alike)
				}
				sh.required = append(sh.required, property{name: name, kinds: c.kindsOf(ps, 0)})
			}
		}
	}
	if sh.kinds == 0 && len(sh.required) == 0 {
		return nil
	}
	return sh
}

// propertyOf finds the schema of s's property name, in s or its allOf.
func (c schemas) propertyOf(s *schema, name string) *schema {
	for _, part := range append([]*schema{s}, s.AllOf...) {
		if part = c.resolve(part); part != nil && part.Properties[name] != nil {
			return c.resolve(part.Properties[name])
		}
	}
	return nil
}

// kindsOf is the set of kinds a value of schema s may have; 0 for any.
func (c schemas) kindsOf(s *schema, depth int) kinds {
	if s = c.resolve(s); s == nil || depth == maxNesting {
		return 0
	}
	var k kinds
	switch {
	case len(s.Type) > 0:
		k = kindsOfType(s.Type)
	case len(s.Const) > 0:
		k = kindOf(s.Const[skipSpace(s.Const, 0)])
	case len(s.Enum) > 0:
		for _, v := range s.Enum {
			k |= kindOf(v[skipSpace(v, 0)])
		}
	case len(s.AnyOf) > 0 || len(s.OneOf) > 0:
		for _, branch := range append(s.AnyOf, s.OneOf...) {
			b := c.kindsOf(branch, depth+1)
			if b == 0 {
				return 0 // one branch takes anything
			}
			k |= b
		}
	case len(s.AllOf) > 0:
		k = ^kinds(0)
		for _, part := range s.AllOf {
			if b := c.kindsOf(part, depth+1); b != 0 {
				k &= b
			}
		}
		if k == ^kinds(0) {
			return 0
		}
	default:
		return 0
	}
	if k != 0 && s.Nullable {
		k |= kindNull
	}
	return k
}

// kindsOfType is the set of kinds a schema's "type" (one name or a list)
// allows; 0 for any, or a name it does not know.
func kindsOfType(raw json.RawMessage) kinds {
	var names []string
	if json.Unmarshal(raw, &names) != nil {
		var one string
		if json.Unmarshal(raw, &one) != nil {
			return 0
		}
		names = []string{one}
	}
	var k kinds
	for _, n := range names {
		switch n {
		case "null":
			k |= kindNull
		case "boolean":
			k |= kindBoolean
		case "integer", "number":
			k |= kindNumber
		case "string":
			k |= kindString
		case "array":
			k |= kindArray
		case "object":
			k |= kindObject
		default:
			return 0
		}
	}
	return k
}

// The skip functions take valid JSON and an index at the start of a token and
// return the index just past it.

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

func skipString(data []byte, i int) int {
	for j := i + 1; ; {
		q := j + bytes.IndexByte(data[j:], '"')
		backslashes := 0
		for data[q-1-backslashes] == '\\' {
			backslashes++
		}
		if backslashes%2 == 0 {
			return q + 1
		}
		j = q + 1
	}
}

func skipValue(data []byte, i int) int {
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for j := i; ; {
			switch data[j] {
			case '"':
				j = skipString(data, j)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
			j++
		}
	}
	for i < len(data) {
		switch data[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i
		}
		i++
	}
	return i
}
