package contract

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// specOp is what the suite needs to know about one operation of the spec.
type specOp struct {
	ID       string
	Method   string
	Template string // e.g. /skills/{skill_id}/execute

	PathParams  []specParam // in the order they appear in Template
	OtherParams []specParam // query, header and cookie parameters

	Body         schema // JSON request body schema; nil when there is none
	BodyRequired bool

	// Statuses are the documented response codes, sorted. Ranges such as
	// "2XX" and "default" cannot be forced with Prefer: code=N and are left
	// out.
	Statuses []int
	// JSON tells, per status, whether its documented body is JSON.
	JSON map[int]bool
	// Schemas holds, per status, the schema of its JSON body.
	Schemas map[int]schema
}

type specParam struct {
	Name     string
	In       string
	Required bool
	Schema   schema
}

// schema is a JSON Schema object as decoded from the spec, $refs unresolved.
type schema = map[string]any

// spec is the parsed document, kept whole so that $refs can be followed.
type spec struct {
	doc map[string]any
	ops []*specOp
}

func parseSpec(raw []byte) (*spec, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parsing spec: %w", err)
	}
	s := &spec{doc: doc}
	paths, _ := doc["paths"].(map[string]any)
	for template, rawItem := range paths {
		item, err := s.resolve(rawItem)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", template, err)
		}
		shared, _ := item["parameters"].([]any)
		for method, rawOp := range item {
			m := strings.ToUpper(method)
			switch m {
			case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch,
				http.MethodDelete, http.MethodHead, http.MethodOptions, http.MethodTrace:
			default:
				continue // "parameters", "summary", extensions
			}
			o, _ := rawOp.(map[string]any)
			op, err := s.operation(m, template, o, shared)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", m, template, err)
			}
			s.ops = append(s.ops, op)
		}
	}
	slices.SortFunc(s.ops, func(a, b *specOp) int {
		return strings.Compare(a.Template+" "+a.Method, b.Template+" "+b.Method)
	})
	return s, nil
}

func (s *spec) operation(method, template string, o map[string]any, shared []any) (*specOp, error) {
	op := &specOp{Method: method, Template: template, JSON: map[int]bool{}, Schemas: map[int]schema{}}
	op.ID, _ = o["operationId"].(string)

	// Operation-level parameters override path-level ones with the same
	// name and location.
	byKey := map[string]specParam{}
	var order []string
	for _, list := range [][]any{shared, asSlice(o["parameters"])} {
		for _, raw := range list {
			p, err := s.resolve(raw)
			if err != nil {
				return nil, err
			}
			sp := specParam{In: str(p["in"]), Name: str(p["name"])}
			sp.Required, _ = p["required"].(bool)
			sp.Schema, _ = p["schema"].(map[string]any)
			key := sp.In + ":" + sp.Name
			if _, seen := byKey[key]; !seen {
				order = append(order, key)
			}
			byKey[key] = sp
		}
	}
	for _, key := range order {
		if p := byKey[key]; p.In != "path" {
			op.OtherParams = append(op.OtherParams, p)
		}
	}
	for _, seg := range templateParams(template) {
		p, ok := byKey["path:"+seg]
		if !ok {
			return nil, fmt.Errorf("path parameter %q is not declared", seg)
		}
		op.PathParams = append(op.PathParams, p)
	}

	if o["requestBody"] != nil {
		rb, err := s.resolve(o["requestBody"])
		if err != nil {
			return nil, err
		}
		op.BodyRequired, _ = rb["required"].(bool)
		content, _ := rb["content"].(map[string]any)
		for mt, rawMedia := range content {
			if !isJSON(mt) {
				continue
			}
			media, _ := rawMedia.(map[string]any)
			op.Body, _ = media["schema"].(map[string]any)
			if op.Body == nil {
				op.Body = schema{}
			}
			break
		}
	}

	responses, _ := o["responses"].(map[string]any)
	for code, rawResp := range responses {
		n, err := strconv.Atoi(code)
		if err != nil || n < 100 || n > 599 {
			continue
		}
		r, err := s.resolve(rawResp)
		if err != nil {
			return nil, err
		}
		content, _ := r["content"].(map[string]any)
		for mt, rawMedia := range content {
			if !isJSON(mt) {
				continue
			}
			op.JSON[n] = true
			media, _ := rawMedia.(map[string]any)
			if sch, ok := media["schema"].(map[string]any); ok {
				op.Schemas[n] = sch
			}
		}
		op.Statuses = append(op.Statuses, n)
	}
	slices.Sort(op.Statuses)
	return op, nil
}

// resolve follows local $refs ("#/components/..."), as many as are chained.
func (s *spec) resolve(v any) (map[string]any, error) {
	m, _ := v.(map[string]any)
	for range 32 {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m, nil
		}
		target, err := s.pointer(ref)
		if err != nil {
			return nil, err
		}
		m = target
	}
	return nil, fmt.Errorf("$ref chain too long at %v", m["$ref"])
}

func (s *spec) pointer(ref string) (map[string]any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %q: only local references are supported", ref)
	}
	var cur any = s.doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch c := cur.(type) {
		case map[string]any:
			cur = c[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("$ref %q: bad index %q", ref, tok)
			}
			cur = c[i]
		default:
			cur = nil
		}
		if cur == nil {
			return nil, fmt.Errorf("$ref %q does not resolve", ref)
		}
	}
	m, ok := cur.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %q is not an object", ref)
	}
	return m, nil
}

// templateParams lists the {names} of a path template in order.
func templateParams(template string) []string {
	var names []string
	for rest := template; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}

// isJSON accepts application/json and application/*+json, with parameters.
func isJSON(mediaType string) bool {
	mt, _, _ := strings.Cut(mediaType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
func str(v any) string    { s, _ := v.(string); return s }
