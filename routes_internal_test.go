package browseruse

import (
	"net/http"
	"testing"
)

// A spec with the shapes that make matching hard: a literal segment beside a
// parameter at the same place, nested templates, and every success kind.
const routesSpec = `{"paths": {
  "/things/{thing_id}": {"get": {"operationId": "get_thing", "responses": {"200": {"content": {"application/json": {}}}}}},
  "/things/featured": {"get": {"operationId": "list_featured", "responses": {"200": {"content": {"application/json": {}}}}}},
  "/things/{thing_id}/run": {"parameters": [], "post": {"operationId": "execute", "responses": {
      "200": {"content": {"application/json": {}}}, "422": {"content": {"application/json": {}}}}}},
  "/boxes/{box_id}": {"delete": {"operationId": "delete_box", "responses": {"204": {"description": "gone"}}}},
  "/uploads": {"post": {"operationId": "upload", "responses": {"2XX": {"$ref": "#/components/responses/Created"}}}}
}, "components": {"responses": {"Created": {"content": {"application/problem+json": {}}}}}}`

func TestRouteTable_Match(t *testing.T) {
	rt, err := parseRoutes([]byte(routesSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/things/featured", "list_featured"}, // the literal wins over {thing_id}
		{http.MethodGet, "/things/3f1c", "get_thing"},
		{http.MethodGet, "/things/3f1c/", "get_thing"},
		{http.MethodPost, "/things/3f1c/run", "execute"},
		{http.MethodPost, "/things/featured/run", "execute"},
		{http.MethodGet, "/things/3f1c/run", ""},    // wrong method
		{http.MethodPost, "/things/3f1c/run/x", ""}, // longer than any template
		{http.MethodPost, "/things//run", ""},       // an empty parameter
		{http.MethodGet, "/things", ""},             // shorter
		{http.MethodDelete, "/boxes/9b2e", "delete_box"},
	} {
		got := ""
		if op := rt.match(tt.method, tt.path); op != nil {
			got = op.ID
		}
		if got != tt.want {
			t.Errorf("match(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}

func TestOperation_ExpectsJSON(t *testing.T) {
	rt, err := parseRoutes([]byte(routesSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path       string
		status             int
		documented, isJSON bool
	}{
		{http.MethodPost, "/things/a/run", 200, true, true},
		{http.MethodPost, "/things/a/run", 201, false, false}, // undocumented success
		{http.MethodDelete, "/boxes/a", 204, true, false},     // no content
		{http.MethodPost, "/uploads", 201, true, true},        // 2XX through a $ref, problem+json
	} {
		op := rt.match(tt.method, tt.path)
		documented, isJSON := op.expectsJSON(tt.status)
		if documented != tt.documented || isJSON != tt.isJSON {
			t.Errorf("%s %s %d: documented, JSON = %v, %v; want %v, %v", tt.method, tt.path, tt.status, documented, isJSON, tt.documented, tt.isJSON)
		}
	}
}
