package contract

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/dlclark/regexp2"
	"github.com/pb33f/jsonschema/v6"
)

// The Prism suite finds out that an instance is invalid only as a 422; this
// checks the builder directly against a JSON Schema validator, for the
// keywords the vendored spec does not happen to use yet.
func TestInstanceIsValid(t *testing.T) {
	defs := map[string]any{
		"Item": map[string]any{"type": "object", "required": []any{"id"}, "properties": map[string]any{
			"id": map[string]any{"type": "string", "format": "uuid"},
		}},
	}
	cases := map[string]string{
		"exclusive minimum":   `{"type": "integer", "exclusiveMinimum": 0, "maximum": 10}`,
		"negative maximum":    `{"type": "integer", "maximum": -3}`,
		"multiple of":         `{"type": "number", "minimum": -5.2, "multipleOf": 0.5}`,
		"min length":          `{"type": "string", "minLength": 10}`,
		"max length":          `{"type": "string", "maxLength": 3}`,
		"look-ahead pattern":  `{"type": "string", "pattern": "^(?!0+$)\\d{1,4}$"}`,
		"formats":             `{"type": "object", "required": ["a", "b", "c", "d", "e"], "properties": {"a": {"type": "string", "format": "uuid"}, "b": {"type": "string", "format": "date-time"}, "c": {"type": "string", "format": "email"}, "d": {"type": "string", "format": "uri"}, "e": {"type": "string", "format": "date"}}}`,
		"enum with null":      `{"enum": [null, "b", "c"]}`,
		"nullable first":      `{"anyOf": [{"type": "null"}, {"type": "string", "format": "date"}]}`,
		"type list":           `{"type": ["null", "integer"], "minimum": 4}`,
		"const":               `{"const": "fixed"}`,
		"nested ref":          `{"type": "object", "required": ["item"], "properties": {"item": {"$ref": "#/$defs/Item"}, "n": {"type": "integer"}}}`,
		"additional":          `{"type": "object", "additionalProperties": {"type": "integer", "minimum": 2}}`,
		"array":               `{"type": "array", "minItems": 2, "maxItems": 2, "items": {"$ref": "#/$defs/Item"}}`,
		"allOf":               `{"allOf": [{"$ref": "#/$defs/Item"}, {"type": "object", "required": ["x"], "properties": {"x": {"type": "boolean"}}}]}`,
		"no additional props": `{"type": "object", "additionalProperties": false, "properties": {"a": {"type": "string"}}}`,
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			var sch map[string]any
			if err := json.Unmarshal([]byte(text), &sch); err != nil {
				t.Fatal(err)
			}
			sch["$defs"] = defs
			s := &spec{doc: sch} // "#/$defs/..." resolves within the schema itself
			validator := compile(t, sch)
			for _, mode := range []instanceMode{required, every} {
				v, err := s.instance(sch, mode)
				if err != nil {
					t.Fatalf("mode %d: %v", mode, err)
				}
				raw, _ := json.Marshal(v)
				inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
				if err != nil {
					t.Fatal(err)
				}
				if err := validator.Validate(inst); err != nil {
					t.Errorf("mode %d: %s is not valid: %v", mode, raw, err)
				}
			}
		})
	}
}

func compile(t *testing.T, sch map[string]any) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseRegexpEngine(func(expr string) (jsonschema.Regexp, error) {
		re, err := regexp2.Compile(expr, regexp2.ECMAScript|regexp2.Unicode)
		if err != nil {
			return nil, err
		}
		return ecmaRegexp{re}, nil
	})
	if err := c.AddResource("schema.json", sch); err != nil {
		t.Fatal(err)
	}
	compiled, err := c.Compile("schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return compiled
}

type ecmaRegexp struct{ re *regexp2.Regexp }

func (r ecmaRegexp) MatchString(s string) bool { ok, _ := r.re.MatchString(s); return ok }
func (r ecmaRegexp) String() string            { return r.re.String() }
