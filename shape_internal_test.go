package browseruse

import (
	"net/http"
	"strings"
	"testing"
)

// An invented spec with the schema constructs a shape is read from: $ref
// chains, allOf, anyOf with null, OpenAPI 3.0's nullable, type arrays, enum,
// writeOnly, a "2XX" range, a body with no schema and one that takes anything.
const shapesSpec = `{"paths": {
  "/widgets/{id}": {
    "get": {"operationId": "get_widget", "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/WidgetAlias"}}}}}},
    "put": {"operationId": "put_widget", "responses": {"2XX": {"content": {"application/json": {"schema": {"allOf": [
      {"$ref": "#/components/schemas/Widget"},
      {"type": "object", "required": ["etag"], "properties": {"etag": {"type": "string"}}}]}}}}}}
  },
  "/widgets": {"get": {"operationId": "list_widgets", "responses": {
    "200": {"content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Widget"}}}}},
    "203": {"content": {"application/json": {}}},
    "206": {"content": {"application/json": {"schema": {"anyOf": [{}, {"type": "null"}]}}}}}}},
  "/count": {"get": {"operationId": "count", "responses": {"200": {"content": {"application/json": {"schema": {"type": ["integer", "null"]}}}}}}}
}, "components": {"schemas": {
  "WidgetAlias": {"$ref": "#/components/schemas/Widget"},
  "Widget": {"type": "object", "required": ["id", "kind", "note", "size", "secret", "undeclared"], "properties": {
    "id": {"type": "string", "format": "uuid"},
    "kind": {"$ref": "#/components/schemas/Kind"},
    "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    "size": {"type": "integer", "nullable": true},
    "secret": {"type": "string", "writeOnly": true},
    "tags": {"type": "array", "items": {"type": "string"}}}},
  "Kind": {"enum": ["small", "large"]}
}}}`

func TestShape_Check(t *testing.T) {
	rt, err := parseRoutes([]byte(shapesSpec))
	if err != nil {
		t.Fatal(err)
	}
	const widget = `{"id": "7c0de000-0000-4000-8000-000000000000", "kind": "small", "note": null, "size": null, "undeclared": [1]}`
	for _, tt := range []struct {
		name, method, path string
		status             int
		body               string
		want               string // in the problem; "" for none
	}{
		{"documented", "GET", "/widgets/1", 200, widget, ""},
		{"spacing and an escaped name", "GET", "/widgets/1", 200,
			" {\"i\\u0064\":\"x\",\"kind\":\"large\" , \"note\":\"n\",\"size\":3,\"undeclared\":{}} ", ""},
		{"names in any case, as encoding/json", "GET", "/widgets/1", 200,
			`{"ID": "x", "Kind": "small", "NOTE": null, "Size": 1, "undeclared": 0}`, ""},
		{"the last duplicate counts", "GET", "/widgets/1", 200,
			`{"id": 1, "id": "x", "kind": "small", "note": null, "size": null, "undeclared": 0}`, ""},
		{"not an object", "GET", "/widgets/1", 200, `[]`, "is array, not the documented object"},
		{"a required member missing", "GET", "/widgets/1", 200,
			`{"id": "x", "kind": "small", "note": null, "undeclared": 0}`, `lacks the required property "size"`},
		{"a required member null", "GET", "/widgets/1", 200,
			strings.Replace(widget, `"small"`, "null", 1), `"kind" is null, not the documented string`},
		{"a required member of another type", "GET", "/widgets/1", 200,
			strings.Replace(widget, `"note": null`, `"note": 5`, 1), `"note" is number, not the documented string or null`},
		{"deeper levels are the parser's", "GET", "/widgets/1", 200,
			strings.Replace(widget, `[1]`, `[{"id": 5}]`, 1), ""},
		{"allOf adds its branches' required members", "PUT", "/widgets/1", 200, widget, `lacks the required property "etag"`},
		{"allOf satisfied", "PUT", "/widgets/1", 201,
			strings.Replace(widget, "{", `{"etag": "e", `, 1), ""},
		{"an array body", "GET", "/widgets", 200, `[{"id": 1}]`, ""},
		{"an array body given an object", "GET", "/widgets", 200, widget, "is object, not the documented array"},
		{"no schema", "GET", "/widgets", 203, `"anything"`, ""},
		{"a schema that takes anything", "GET", "/widgets", 206, `false`, ""},
		{"a type array", "GET", "/count", 200, `null`, ""},
		{"a type array refused", "GET", "/count", 200, `"3"`, "is string, not the documented number or null"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			op := rt.match(tt.method, tt.path)
			if op == nil {
				t.Fatalf("no operation for %s %s", tt.method, tt.path)
			}
			err := op.bodyShape(tt.status).check([]byte(tt.body))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%s: %v, want it accepted", tt.body, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("%s: %v, want %q", tt.body, err, tt.want)
			}
		})
	}
}

// A schema that refers to itself, or outside the spec, constrains nothing
// rather than failing New (or, contained in itself twice, hanging it).
func TestShape_UnresolvableSchemaConstrainsNothing(t *testing.T) {
	rt, err := parseRoutes([]byte(`{"paths": {"/a": {"get": {"responses": {
	  "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Loop"}}}},
	  "201": {"content": {"application/json": {"schema": {"$ref": "other.json#/Thing"}}}},
	  "202": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Twice"}}}}}}}},
	  "components": {"schemas": {"Loop": {"$ref": "#/components/schemas/Loop"},
	    "Twice": {"anyOf": [{"$ref": "#/components/schemas/Twice"}, {"$ref": "#/components/schemas/Twice"}, {"type": "string"}]}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	op := rt.match(http.MethodGet, "/a")
	for _, status := range []int{200, 201, 202} {
		if sh := op.bodyShape(status); sh != nil {
			t.Errorf("status %d: shape %+v, want none", status, sh)
		}
	}
}

// The check runs on every successful call through API(): a documented body
// costs one scan and no allocation.
func TestShape_CheckAllocatesNothing(t *testing.T) {
	sh := executeSkillOp(t).bodyShape(200)
	if sh == nil || len(sh.required) == 0 {
		t.Fatalf("Execute Skill's 200 has shape %+v, want one with a required property", sh)
	}
	body := []byte(`{"success": true, "result": {"items": [1, 2, {"success": false}]}, "stderr": "", "latencyMs": 12}`)
	if n := testing.AllocsPerRun(100, func() {
		if err := sh.check(body); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("check allocates %v times per call, want 0", n)
	}
}
