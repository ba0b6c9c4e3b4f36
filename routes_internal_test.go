package browseruse

import (
	"net/http"
	"testing"
)

// A spec with the shapes that make matching hard: a literal segment beside a
// parameter at the same place, nested templates, and every success kind.
const routesSpec = `{"paths": {
  "/skills/{skill_id}": {"get": {"operationId": "get_skill", "responses": {"200": {"content": {"application/json": {}}}}}},
  "/skills/marketplace": {"get": {"operationId": "list_marketplace", "responses": {"200": {"content": {"application/json": {}}}}}},
  "/skills/{skill_id}/execute": {"parameters": [], "post": {"operationId": "execute", "responses": {
      "200": {"content": {"application/json": {}}}, "422": {"content": {"application/json": {}}}}}},
  "/sessions/{session_id}": {"delete": {"operationId": "delete_session", "responses": {"204": {"description": "gone"}}}},
  "/files": {"post": {"operationId": "upload", "responses": {"2XX": {"$ref": "#/components/responses/Created"}}}}
}, "components": {"responses": {"Created": {"content": {"application/problem+json": {}}}}}}`

func TestRouteTable_Match(t *testing.T) {
	rt, err := parseRoutes([]byte(routesSpec))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		method, path, want string
	}{
		{http.MethodGet, "/skills/marketplace", "list_marketplace"}, // the literal wins over {skill_id}
		{http.MethodGet, "/skills/3f1c", "get_skill"},
		{http.MethodGet, "/skills/3f1c/", "get_skill"},
		{http.MethodPost, "/skills/3f1c/execute", "execute"},
		{http.MethodPost, "/skills/marketplace/execute", "execute"},
		{http.MethodGet, "/skills/3f1c/execute", ""},    // wrong method
		{http.MethodPost, "/skills/3f1c/execute/x", ""}, // longer than any template
		{http.MethodPost, "/skills//execute", ""},       // an empty parameter
		{http.MethodGet, "/skills", ""},                 // shorter
		{http.MethodDelete, "/sessions/9b2e", "delete_session"},
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
		{http.MethodPost, "/skills/a/execute", 200, true, true},
		{http.MethodPost, "/skills/a/execute", 201, false, false}, // undocumented success
		{http.MethodDelete, "/sessions/a", 204, true, false},      // no content
		{http.MethodPost, "/files", 201, true, true},              // 2XX through a $ref, problem+json
	} {
		op := rt.match(tt.method, tt.path)
		documented, isJSON := op.expectsJSON(tt.status)
		if documented != tt.documented || isJSON != tt.isJSON {
			t.Errorf("%s %s %d: documented, JSON = %v, %v; want %v, %v", tt.method, tt.path, tt.status, documented, isJSON, tt.documented, tt.isJSON)
		}
	}
}
