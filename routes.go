package browseruse

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/browser-use/browseruse-go/openapi"
)

// operation is what the policy needs to know about one operation of the spec:
// its name for errors, and which successful statuses it documents with which
// kind of body. It is read from the embedded spec, so operations added by a
// newer spec get the same treatment without any code here.
type operation struct {
	ID       string // operationId as upstream publishes it
	Method   string
	Template string // path template, e.g. /skills/{skill_id}/execute

	segments []string
	success  map[int]bool   // documented 2xx status -> has a JSON body
	anyJSON  bool           // a "2XX" entry with a JSON body
	any2xx   bool           // a "2XX" entry at all
	shapes   map[int]*shape // documented 2xx status -> its JSON body's shape; nil for none
	anyShape *shape         // the "2XX" entry's
	// gated: the spec documents a 429 for it, the account's limit on
	// concurrent sessions, so its calls pass the client's gate (gate.go).
	gated bool
}

// String names the operation in errors and logs.
func (o *operation) String() string {
	if o == nil {
		return ""
	}
	return o.Method + " " + o.Template
}

// template is the operation's path template, "" for no operation.
func (o *operation) template() string {
	if o == nil {
		return ""
	}
	return o.Template
}

// expectsJSON reports whether status is a documented success for o and
// whether its body must then be JSON.
func (o *operation) expectsJSON(status int) (documented, isJSON bool) {
	if o == nil {
		return true, false // not an operation of the spec: nothing to hold it to
	}
	if j, ok := o.success[status]; ok {
		return true, j
	}
	return o.any2xx, o.anyJSON
}

// bodyShape is the shape a JSON body of a documented 2xx status must have:
// nil when there is nothing to hold it to.
func (o *operation) bodyShape(status int) *shape {
	if o == nil {
		return nil
	}
	if _, ok := o.success[status]; ok {
		return o.shapes[status]
	}
	return o.anyShape
}

type routeTable struct {
	byMethod map[string][]*operation
}

var (
	routesOnce sync.Once
	routes     *routeTable
	routesErr  error
)

// specRoutes parses the embedded spec once per process.
func specRoutes() (*routeTable, error) {
	routesOnce.Do(func() { routes, routesErr = parseRoutes(openapi.V2) })
	return routes, routesErr
}

// specResponse, specOperation and specDoc are the parts of the spec the
// route table reads.
type specResponse struct {
	Ref     string `json:"$ref"`
	Content map[string]struct {
		Schema *schema `json:"schema"`
	} `json:"content"`
}

type specOperation struct {
	OperationID string                  `json:"operationId"`
	Responses   map[string]specResponse `json:"responses"`
}

type specDoc struct {
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		Responses map[string]specResponse `json:"responses"`
		Schemas   schemas                 `json:"schemas"`
	} `json:"components"`
}

func parseRoutes(spec []byte) (*routeTable, error) {
	var doc specDoc
	if err := json.Unmarshal(spec, &doc); err != nil {
		return nil, fmt.Errorf("browseruse: embedded OpenAPI spec: %w", err)
	}
	t := &routeTable{byMethod: map[string][]*operation{}}
	for path, item := range doc.Paths {
		for method, raw := range item {
			m := strings.ToUpper(method)
			switch m {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
				http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodTrace:
			default:
				continue // "parameters", "summary", extensions
			}
			var o specOperation
			if err := json.Unmarshal(raw, &o); err != nil {
				return nil, fmt.Errorf("browseruse: embedded OpenAPI spec: %s %s: %w", m, path, err)
			}
			entry := &operation{
				ID: o.OperationID, Method: m, Template: path,
				segments: strings.Split(strings.Trim(path, "/"), "/"),
				success:  map[int]bool{},
				shapes:   map[int]*shape{},
			}
			for code, r := range o.Responses {
				if r.Ref != "" {
					r = doc.Components.Responses[strings.TrimPrefix(r.Ref, "#/components/responses/")]
				}
				entry.addResponse(code, r, doc.Components.Schemas)
			}
			t.byMethod[m] = append(t.byMethod[m], entry)
		}
	}
	return t, nil
}

// addResponse records what the spec documents for one status code (or
// 2XX) of the operation: a 429 gates it, a success is JSON or not and has
// a shape to check.
func (e *operation) addResponse(code string, r specResponse, all schemas) {
	isJSON := false
	var sh *shape
	for mt, c := range r.Content {
		if isJSONMediaType(mt) {
			// Two JSON media types with different schemas: the generated
			// parser takes either, so hold to neither.
			if isJSON {
				sh = nil
			} else {
				sh = all.shapeOf(c.Schema)
			}
			isJSON = true
		}
	}
	switch {
	case code == "429":
		e.gated = true
	case strings.EqualFold(code, "2XX"):
		e.any2xx, e.anyJSON, e.anyShape = true, isJSON, sh
	case len(code) == 3 && code[0] == '2':
		var n int
		if _, err := fmt.Sscanf(code, "%d", &n); err == nil {
			e.success[n] = isJSON
			e.shapes[n] = sh
		}
	}
}

// match finds the operation for a request path (relative to the API base
// path). Literal segments win over parameters, as OpenAPI requires, so
// a literal /things/featured is not taken for /things/{thing_id}.
func (t *routeTable) match(method, path string) *operation {
	if t == nil {
		return nil
	}
	path = strings.Trim(path, "/")
	var best *operation
	bestLiterals := -1
	for _, o := range t.byMethod[method] {
		if literals, ok := o.matches(path); ok && literals > bestLiterals {
			best, bestLiterals = o, literals
		}
	}
	return best
}

// matches walks path against o's template one segment at a time, without
// splitting it: this runs on every call. literals counts the segments that
// matched literally.
func (o *operation) matches(path string) (literals int, ok bool) {
	rest, more := path, true
	for _, s := range o.segments {
		if !more {
			return 0, false // the path is shorter
		}
		var seg string
		seg, rest, more = strings.Cut(rest, "/")
		switch {
		case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			if seg == "" {
				return 0, false
			}
		case s == seg:
			literals++
		default:
			return 0, false
		}
	}
	return literals, !more
}

// isJSONMediaType accepts application/json, application/problem+json and the
// like, in any letter case and with parameters.
func isJSONMediaType(ct string) bool {
	mt, _, _ := strings.Cut(ct, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}
