package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// TestEveryOperationRefusesUndocumentedShapes answers each documented JSON
// success of each operation, through the in-process fake (no Prism needed),
// with JSON bodies its schema does not allow: another top-level type, an
// object without the required properties, and a valid body with one
// optional property of another type. Each must come back from the generated
// client as an *APIError keeping the status and saying why, never as a
// payload or a bare json error: that holds for every operation with no code
// that names one.
func TestEveryOperationRefusesUndocumentedShapes(t *testing.T) {
	s := loadSpec(t)
	operationsSeen.Store(int64(len(s.ops)))
	srv := browserusetest.NewServer()
	t.Cleanup(srv.Close)
	c, err := srv.Client(browseruse.WithMaxRetries(0), browseruse.WithTimeout(callTimeout))
	if err != nil {
		t.Fatal(err)
	}
	bindings, _ := bind(c, s) // TestEveryDocumentedStatus reports binding problems
	for _, op := range s.ops {
		for _, status := range op.Statuses {
			sch, _ := s.resolve(op.Schemas[status])
			if status < 200 || status > 299 || sch == nil {
				continue
			}
			bodies, err := undocumentedBodies(s, sch)
			if err != nil {
				t.Errorf("%s/%d: %v", op.ID, status, err)
				continue
			}
			for _, body := range bodies {
				shapePairs.checked.Add(1)
				ok := t.Run(op.ID+"/"+strconv.Itoa(status)+"/"+body.name, func(t *testing.T) {
					b := bindings[op]
					if b == nil {
						t.Fatalf("no generated method for %s %s", op.Method, op.Template)
					}
					srv.Enqueue(browserusetest.Reply{Status: status, Body: []byte(body.json), OffSpec: true})
					ctx, _ := recorded(t)
					resp, err, setupErr := b.call(ctx, s, op, required)
					if setupErr != nil {
						t.Fatalf("building the request: %v", setupErr)
					}
					var apiErr *browseruse.APIError
					if !errors.As(err, &apiErr) || !resp.IsNil() {
						t.Fatalf("%s: got %T (%v) and a response: %v; want only an *APIError", b.name, err, err, !resp.IsNil())
					}
					if apiErr.StatusCode != status || apiErr.OperationID != op.ID || apiErr.Err == nil {
						t.Errorf("status %d, operation %q, reason %v; want %d, %q and a reason", apiErr.StatusCode, apiErr.OperationID, apiErr.Err, status, op.ID)
					}
				})
				if !ok {
					shapePairs.failed.Add(1)
				}
			}
		}
	}
}

type namedBody struct{ name, json string }

// undocumentedBodies returns JSON bodies that sch, resolved, does not allow.
func undocumentedBodies(s *spec, sch schema) ([]namedBody, error) {
	typ := schemaType(sch)
	var out []namedBody
	for _, b := range []struct{ typ, body string }{
		{"object", `{}`}, {"array", `[]`}, {"string", `"str"`}, {"number", `7`}, {"boolean", `true`},
	} {
		if b.typ != typ && !(b.typ == "number" && typ == "integer") {
			out = append(out, namedBody{b.typ, b.body})
		}
	}
	if typ != "object" {
		return out, nil
	}
	requiredNames, _ := sch["required"].([]any)
	if len(requiredNames) > 0 {
		out = append(out, namedBody{"no_required_property", `{}`})
	}
	// A valid body with one optional property of another type: what the
	// generated types, not the top-level check, must refuse.
	props, _ := sch["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for name := range props {
		if !slices.Contains(requiredNames, any(name)) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		prop, err := s.resolve(props[name])
		if err != nil {
			return nil, err
		}
		wrong := `[1]`
		switch pt, _ := prop["type"].(string); pt {
		case "array":
			wrong = `{"x": 1}`
		case "string", "integer", "number", "boolean", "object":
		default:
			continue // a union or anything: the generated type may take any JSON
		}
		valid, err := s.instance(sch, required)
		if err != nil {
			return nil, fmt.Errorf("building a valid body: %w", err)
		}
		v, ok := valid.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("the instance of an object schema is %T", valid)
		}
		v[name] = json.RawMessage(wrong)
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		out = append(out, namedBody{"optional_" + name + "_mistyped", string(raw)})
		break
	}
	return out, nil
}
