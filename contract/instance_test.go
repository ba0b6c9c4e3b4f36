package contract

import (
	"fmt"
	"math"
	"strings"

	"github.com/dlclark/regexp2"
)

// Instances are built from the schemas so that Prism's request validation
// passes: the suite is about what the client does with each documented
// answer, and a request Prism refuses would only ever get the 422.

// instanceMode says how much of a schema an instance fills in.
type instanceMode int

const (
	// required sets only required properties: the smallest valid request.
	required instanceMode = iota
	// every sets every property the schema declares, to check that the
	// generated types can carry all of them and that what they send is valid.
	every
)

// Values for string formats, valid by every reading of the format.
var formatValues = map[string]string{
	"uuid":          "3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10",
	"date-time":     "2024-05-06T07:08:09Z",
	"date":          "2024-05-06",
	"time":          "07:08:09Z",
	"email":         "user@example.com",
	"idn-email":     "user@example.com",
	"uri":           "https://example.com/",
	"url":           "https://example.com/",
	"iri":           "https://example.com/",
	"uri-reference": "https://example.com/",
	"hostname":      "example.com",
	"idn-hostname":  "example.com",
	"ipv4":          "192.0.2.1",
	"ipv6":          "2001:db8::1",
	"duration":      "PT1S",
	"byte":          "eA==",
	"int64":         "1",
	"decimal":       "1",
}

// instance returns a JSON value (as encoding/json would decode it) that is
// valid against sch.
func (s *spec) instance(sch schema, mode instanceMode) (any, error) {
	return s.build(sch, mode, 0)
}

func (s *spec) build(raw schema, mode instanceMode, depth int) (any, error) {
	if depth > 24 {
		return nil, fmt.Errorf("schema nests deeper than 24 levels (a required cycle?)")
	}
	sch, err := s.resolve(raw)
	if err != nil {
		return nil, err
	}
	if depth > 6 {
		mode = required // keeps recursive schemas finite
	}
	if v, ok := sch["const"]; ok {
		return v, nil
	}
	if enum, ok := sch["enum"].([]any); ok && len(enum) > 0 {
		for _, v := range enum {
			if v != nil {
				return v, nil
			}
		}
		return nil, nil
	}
	if all, ok := sch["allOf"].([]any); ok && len(all) > 0 {
		return s.buildAllOf(sch, all, mode, depth)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts, ok := sch[key].([]any); ok && len(alts) > 0 {
			return s.build(pickAlternative(s, alts), mode, depth+1)
		}
	}

	switch schemaType(sch) {
	case "null":
		return nil, nil
	case "boolean":
		return true, nil
	case "integer":
		return number(sch, true)
	case "number":
		return number(sch, false)
	case "string":
		return stringValue(sch)
	case "array":
		return s.array(sch, mode, depth)
	case "object":
		return s.object(sch, mode, depth)
	}
	return "value", nil // {} accepts anything
}

// pickAlternative takes the first alternative that is not null: a nullable
// field is then set to a real value, which is what needs checking.
func pickAlternative(s *spec, alts []any) schema {
	for _, a := range alts {
		m, _ := a.(map[string]any)
		if r, err := s.resolve(m); err == nil && schemaType(r) != "null" {
			return m
		}
	}
	m, _ := alts[0].(map[string]any)
	return m
}

// buildAllOf merges the objects built for each part. A part that is not an
// object (a constrained string, say) stands for the whole.
func (s *spec) buildAllOf(sch schema, all []any, mode instanceMode, depth int) (any, error) {
	parts := all
	if rest := withoutAllOf(sch); schemaType(rest) != "" {
		parts = append(parts, rest) // properties beside the allOf
	}
	merged := map[string]any{}
	for _, part := range parts {
		m, _ := part.(map[string]any)
		v, err := s.build(m, mode, depth+1)
		if err != nil {
			return nil, err
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		for k, x := range obj {
			merged[k] = x
		}
	}
	return merged, nil
}

func withoutAllOf(sch schema) schema {
	out := schema{}
	for k, v := range sch {
		if k != "allOf" {
			out[k] = v
		}
	}
	return out
}

// schemaType reads "type", taking the first non-null entry of a list, and
// infers object or array from the keywords when there is none.
func schemaType(sch schema) string {
	switch t := sch["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, _ := x.(string); s != "" && s != "null" {
				return s
			}
		}
		if len(t) > 0 {
			return str(t[0])
		}
	}
	switch {
	case sch["properties"] != nil || sch["required"] != nil || sch["additionalProperties"] != nil:
		return "object"
	case sch["items"] != nil:
		return "array"
	}
	return ""
}

func (s *spec) object(sch schema, mode instanceMode, depth int) (any, error) {
	out := map[string]any{}
	props, _ := sch["properties"].(map[string]any)
	want := map[string]bool{}
	for _, r := range asSlice(sch["required"]) {
		want[str(r)] = true
	}
	if mode == every {
		for name := range props {
			want[name] = true
		}
	}
	for name := range want {
		p, _ := props[name].(map[string]any)
		v, err := s.build(p, mode, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = v
	}
	if mode == every && props["key"] == nil {
		switch extra := sch["additionalProperties"].(type) {
		case bool:
			if extra {
				out["key"] = "value"
			}
		case map[string]any:
			v, err := s.build(extra, mode, depth+1)
			if err != nil {
				return nil, fmt.Errorf("additionalProperties: %w", err)
			}
			out["key"] = v
		}
	}
	return out, nil
}

func (s *spec) array(sch schema, mode instanceMode, depth int) (any, error) {
	n := intKeyword(sch, "minItems", 0)
	if mode == every && n == 0 {
		n = 1
	}
	if maxN := intKeyword(sch, "maxItems", -1); maxN >= 0 && n > maxN {
		n = maxN
	}
	items, _ := sch["items"].(map[string]any)
	out := make([]any, 0, n)
	for range n {
		v, err := s.build(items, mode, depth+1)
		if err != nil {
			return nil, fmt.Errorf("items: %w", err)
		}
		out = append(out, v)
	}
	return out, nil
}

func intKeyword(sch schema, key string, def int) int {
	if f, ok := sch[key].(float64); ok {
		return int(f)
	}
	return def
}

// number picks the lowest value the bounds allow, or 1 when there is no lower
// bound (0 and negatives are the likeliest to be refused by an API).
func number(sch schema, integer bool) (any, error) {
	lo, hi := math.Inf(-1), math.Inf(1)
	step := 1e-6
	if integer {
		step = 1
	}
	if f, ok := sch["minimum"].(float64); ok {
		lo = f
	}
	if f, ok := sch["exclusiveMinimum"].(float64); ok {
		lo = max(lo, f+step)
	}
	if f, ok := sch["maximum"].(float64); ok {
		hi = f
	}
	if f, ok := sch["exclusiveMaximum"].(float64); ok {
		hi = min(hi, f-step)
	}
	v := 1.0
	switch {
	case !math.IsInf(lo, -1):
		v = lo
	case hi < v:
		v = hi
	}
	if integer {
		v = math.Ceil(v)
	}
	if m, ok := sch["multipleOf"].(float64); ok && m > 0 {
		v = math.Ceil(v/m) * m
	}
	if v < lo || v > hi {
		return nil, fmt.Errorf("no number between %v and %v fits the schema", lo, hi)
	}
	if integer {
		return int64(v), nil
	}
	return v, nil
}

func stringValue(sch schema) (any, error) {
	base := "value"
	if f, ok := formatValues[str(sch["format"])]; ok {
		base = f
	}
	minLen, maxLen := intKeyword(sch, "minLength", 0), intKeyword(sch, "maxLength", -1)
	fit := func(v string) string {
		if n := len([]rune(v)); n < minLen {
			v += strings.Repeat("x", minLen-n)
		}
		if maxLen >= 0 && len([]rune(v)) > maxLen {
			v = string([]rune(v)[:maxLen])
		}
		return v
	}
	pattern, ok := sch["pattern"].(string)
	if !ok {
		return fit(base), nil
	}
	// Patterns are ECMAScript (look-ahead included), as Prism reads them.
	re, err := regexp2.Compile(pattern, regexp2.ECMAScript|regexp2.Unicode)
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	candidates := []string{base}
	for _, key := range []string{"default", "example"} {
		if v, ok := sch[key].(string); ok {
			candidates = append(candidates, v)
		}
	}
	for _, v := range asSlice(sch["examples"]) {
		if v, ok := v.(string); ok {
			candidates = append(candidates, v)
		}
	}
	candidates = append(candidates, "1", "0", "a", "A", "abc", "ABC", "a1", "1.5", "a-b", "a_b", "a.b",
		"user@example.com", "https://example.com/", "2024-05-06", "x")
	for _, c := range candidates {
		v := fit(c)
		if ok, _ := re.MatchString(v); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("no sample string matches pattern %q (give the schema an example that does)", pattern)
}
