package contract

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
)

// executeSkill finds the operation behind Client.ExecuteSkill in the spec,
// with a skill id valid for it.
func executeSkill(t *testing.T) (*spec, *specOp, uuid.UUID) {
	t.Helper()
	s := loadSpec(t)
	for _, op := range s.ops {
		if op.Method == http.MethodPost && op.Template == "/skills/{skill_id}/execute" {
			if len(op.PathParams) != 1 {
				t.Fatalf("%s has %d path parameters, want 1", op.Template, len(op.PathParams))
			}
			v, err := s.instance(op.PathParams[0].Schema, required)
			if err != nil {
				t.Fatal(err)
			}
			id, err := uuid.Parse(str(v))
			if err != nil {
				t.Fatalf("skill_id %v: %v", v, err)
			}
			return s, op, id
		}
	}
	t.Fatal("the spec has no POST /skills/{skill_id}/execute")
	return nil, nil, uuid.UUID{}
}

func TestExecuteSkill_Succeeds(t *testing.T) {
	needPrism(t)
	_, _, id := executeSkill(t)
	c := newClient(t, nil)
	ctx, ex := recorded(t)
	res, err := c.ExecuteSkill(ctx, id, browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.violations) > 0 {
		t.Errorf("Prism found the request invalid (sl-violations): %q", ex.violations)
	}
	var out any
	if err := res.Decode(&out); err != nil {
		t.Errorf("Decode: %v", err)
	}
}

// Prism checks that the key header is there, not what it holds, so a wrong
// key cannot be tested here: the requests go out with no key, or an empty one.
func TestExecuteSkill_WithoutKeyIsUnauthorized(t *testing.T) {
	needPrism(t)
	_, _, id := executeSkill(t)
	for name, edit := range map[string]func(http.Header){
		"missing": func(h http.Header) { h.Del(browseruse.KeyHeader) },
		"empty":   func(h http.Header) { h.Set(browseruse.KeyHeader, "") },
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, edit)
			ctx, _ := recorded(t)
			_, err := c.ExecuteSkill(ctx, id, browseruse.ExecuteSkillRequest{})
			if !errors.Is(err, browseruse.ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			var apiErr *browseruse.APIError
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
				t.Fatalf("err = %#v, want an *APIError with status 401", err)
			}
			if apiErr.Detail == "" {
				t.Errorf("Detail is empty: the problem+json detail was not read (body %q, err %v)", apiErr.Body, apiErr.Err)
			}
		})
	}
}

// TestExecuteSkill_EveryOptionalField sets every property of the request
// schema, as the spec declares them today, and checks that
// ExecuteSkillRequest carries them all and that the API accepts the result.
func TestExecuteSkill_EveryOptionalField(t *testing.T) {
	needPrism(t)
	s, op, id := executeSkill(t)
	if op.Body == nil {
		t.Fatal("Execute Skill has no JSON request body in the spec")
	}
	full, err := s.instance(op.Body, every)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(full)
	var req browseruse.ExecuteSkillRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		t.Fatalf("ExecuteSkillRequest cannot hold %s: %v", raw, err)
	}
	sent, _ := json.Marshal(req)
	var got, want map[string]any
	_ = json.Unmarshal(sent, &got)
	_ = json.Unmarshal(raw, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ExecuteSkillRequest does not carry every field:\n set  %s\n sent %s", raw, sent)
	}
	if len(want) == 0 {
		t.Fatalf("the request schema declares no properties: %s", raw)
	}

	c := newClient(t, nil)
	ctx, ex := recorded(t)
	_, err = c.ExecuteSkill(ctx, id, req)
	if len(ex.violations) > 0 {
		t.Errorf("Prism found the request invalid (sl-violations): %q", ex.violations)
	}
	if err != nil {
		t.Fatalf("ExecuteSkill with %s: %v", sent, err)
	}
}
