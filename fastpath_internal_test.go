package browseruse

// Tests that the per-call shortcuts taken for speed (see bench_test.go) give
// exactly what the general code they replace gives.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go/gen"
)

func TestNewExecuteSkillRequest_SameAsGenerated(t *testing.T) {
	t.Parallel()
	id := uuid.MustParse("0b7c9d4e-3a2f-4e8b-9c61-5d2a7f0e1b3c")
	in := ExecuteSkillRequest{Parameters: map[string]any{"q": "a b/c?d", "n": 3}}
	for _, base := range []string{
		"https://api.browser-use.com/api/v2",
		"https://api.browser-use.com/api/v2/",
		"https://api.browser-use.com",
		"http://127.0.0.1:8080/prefix/./api/../v2",
		"https://example.com/with%20space/v2",
	} {
		c, err := New(WithAPIKey("k"), WithBaseURL(base))
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.newExecuteSkillRequest(context.Background(), id, in)
		if err != nil {
			t.Fatal(err)
		}
		want, err := gen.NewExecuteSkillRequest(c.BaseURL()+"/", id, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.Method != want.Method || got.URL.String() != want.URL.String() || got.Host != want.Host {
			t.Errorf("%s: request %s %s (host %q), generated builds %s %s (host %q)",
				base, got.Method, got.URL, got.Host, want.Method, want.URL, want.Host)
		}
		if g, w := got.Header.Get("Content-Type"), want.Header.Get("Content-Type"); g != w || len(got.Header) != len(want.Header) {
			t.Errorf("%s: headers %v, generated sets %v", base, got.Header, want.Header)
		}
		gotBody, wantBody := readAll(t, got.Body), readAll(t, want.Body)
		if !bytes.Equal(gotBody, wantBody) || got.ContentLength != want.ContentLength || got.GetBody == nil {
			t.Errorf("%s: body %s (length %d), generated sends %s (length %d)",
				base, gotBody, got.ContentLength, wantBody, want.ContentLength)
		}
	}
}

func readAll(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Bodies that a scan for the result member could get wrong.
var envelopeCases = []string{
	`{"success":true,"result":{"a":[1,2,{"b":"}"}]},"latencyMs":5}`,
	`{"success":true,"result":[]}`,
	`{"success":true,"result":null,"stderr":"warn"}`,
	`{"success":true}`,
	`{}`,
	` { "success" : true , "result" : "x\"}],{[" , "latencyMs" : 12 } `,
	"{\n\t\"result\"\r\n:\t-1.5e+3\n,\"success\":false,\"error\":\"boom\"}",
	`{"success":true,"result":1,"result":{"last":true}}`,
	`{"success":true,"Result":"capitalised","RESULT":"shouting"}`,
	`{"success":true,"result":"backslash at the end \\","stderr":"a\\\"b"}`,
	`{"success":true,"r\u0065sult":"escaped name","result":"plain"}`,
	`{"success":true,"result":"plain","r\u0065sult":"escaped name last"}`,
	`{"success":true,"nested":{"result":"inner"},"result":"outer"}`,
	`{"success":true,"nested":{"result":"inner"}}`,
	`{"success":true,"result":true,"extra":[null,false,"]"]}`,
	`{"success":true,"result":"ſ and K folds","reſult":"long s"}`,
	`{"success":"yes","result":1}`,
	`{"success":true,"result":1,"latencyMs":"slow"}`,
	`[{"success":true,"result":1}]`,
	`"just a string"`,
	`null`,
}

func TestUnmarshalRawEnvelope_SameAsJSON(t *testing.T) {
	t.Parallel()
	for _, body := range envelopeCases {
		checkRawEnvelope(t, []byte(body))
	}
	// Large enough to take the fast path through unmarshalEnvelope.
	big := `{"success":true,"result":["` + strings.Repeat("x", rawResultMin) + `"],"latencyMs":3}`
	var env skillEnvelope[json.RawMessage]
	if err := unmarshalEnvelope([]byte(big), &env); err != nil || len(env.Result) != rawResultMin+4 || env.LatencyMs != 3 {
		t.Errorf("large body: result of %d bytes, latency %d, err %v", len(env.Result), env.LatencyMs, err)
	}
}

func FuzzUnmarshalRawEnvelope(f *testing.F) {
	for _, body := range envelopeCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if json.Valid(body) {
			checkRawEnvelope(t, body)
		}
	})
}

// checkRawEnvelope requires unmarshalRawEnvelope to decode the valid JSON body
// as json.Unmarshal does.
func checkRawEnvelope(t *testing.T, body []byte) {
	t.Helper()
	var got, want skillEnvelope[json.RawMessage]
	gotErr := unmarshalRawEnvelope(body, &got)
	wantErr := json.Unmarshal(body, &want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%s: error %v, json.Unmarshal says %v", body, gotErr, wantErr)
	}
	if gotErr != nil {
		return
	}
	if !bytes.Equal(got.Result, want.Result) || (got.Result == nil) != (want.Result == nil) {
		t.Errorf("%s: result %q, json.Unmarshal gives %q", body, got.Result, want.Result)
	}
	if (got.Success == nil) != (want.Success == nil) || (got.Success != nil && *got.Success != *want.Success) ||
		got.Error != want.Error || got.Stderr != want.Stderr || got.LatencyMs != want.LatencyMs {
		t.Errorf("%s: decoded %+v, json.Unmarshal gives %+v", body, got, want)
	}
}
