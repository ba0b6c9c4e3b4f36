package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestRun_WithoutKeyUsesTheFake(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), []string{"q=hello", "n=3"}, &stdout, &stderr, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Parameters map[string]any `json:"parameters"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("stdout is not the result JSON: %v\n%s", err, stdout.String())
	}
	if out.Parameters["X"] != 10.0 || out.Parameters["q"] != "hello" || out.Parameters["n"] != 3.0 {
		t.Errorf("parameters echoed = %v", out.Parameters)
	}
	if !strings.Contains(stderr.String(), "built-in fake") {
		t.Errorf("stderr should say the fake was used: %q", stderr.String())
	}
}

func TestRun_WithKeyCallsTheAPI(t *testing.T) {
	// The "real API" here is a fake whose reply only a real call would get.
	srv := browserusetest.New(t)
	srv.Enqueue(browserusetest.Reply{Status: 404, JSON: map[string]any{"detail": "Skill not found"}})
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), nil, &stdout, &stderr, env(map[string]string{
		"BROWSER_USE_API_KEY": browserusetest.APIKey, "BROWSER_USE_BASE_URL": srv.URL,
	}))
	if !errors.Is(err, browseruse.ErrNotFound) || stdout.Len() != 0 {
		t.Fatalf("err = %v, stdout %q; want ErrNotFound and no output", err, stdout.String())
	}
	if len(srv.Requests()) != 1 {
		t.Errorf("the API saw %d requests, want 1", len(srv.Requests()))
	}
	// The demo's id is the fake's only: the error says what to do instead
	// (a new user's walkthrough, with a key exported, saw a bare 404).
	if !strings.Contains(err.Error(), "pass one of your skills") || !strings.Contains(err.Error(), "unset BROWSER_USE_API_KEY") {
		t.Errorf("err = %v, want it to say the default id is the fake's demo and what to do", err)
	}
}

// Bad input is an error that says what was wrong, without quoting it: a
// key pasted as the skill id or a parameter would be printed.
func TestRun_BadInput(t *testing.T) {
	const key = "bu_PastedKey0123456789"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{key}, "not a UUID"},
		{[]string{"3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10", key}, "want key=value"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(t.Context(), tt.args, &stdout, &stderr, env(map[string]string{"BROWSER_USE_API_KEY": key}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want one saying %q", tt.args, err, tt.want)
			continue
		}
		if strings.Contains(err.Error()+stdout.String()+stderr.String(), "PastedKey") {
			t.Errorf("%q: the key is printed: %v", tt.args, err)
		}
	}
}

func TestRun_WithKeySendsExactlyTheParametersGiven(t *testing.T) {
	// A stand-in for the real API: it keeps each body and answers success.
	var bodies [][]byte
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, b)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"success": true, "result": "ok", "latencyMs": 1}`)
	}))
	defer api.Close()
	getenv := env(map[string]string{"BROWSER_USE_API_KEY": "bu_test_key", "BROWSER_USE_BASE_URL": api.URL})

	cases := []struct {
		args []string
		want string // the parameters sent, as JSON; "" for none
	}{
		{[]string{"9b2d1c4e-0f6a-4b8e-8c3d-2a1e5f7b9c0d", "query=desk", "n=3", "big=12345678901234567890"},
			`{"big":12345678901234567890,"n":3,"query":"desk"}`},
		{[]string{"9b2d1c4e-0f6a-4b8e-8c3d-2a1e5f7b9c0d"}, ""},
		// The demo skill's id against the real API: still no sample parameter.
		{[]string{"3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10", "query=desk"}, `{"query":"desk"}`},
		{[]string{"query=desk"}, `{"query":"desk"}`},
	}
	for i, tc := range cases {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), tc.args, &stdout, &stderr, getenv); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		var body struct {
			Parameters json.RawMessage `json:"parameters"`
		}
		if err := json.Unmarshal(bodies[i], &body); err != nil {
			t.Fatalf("%q: body %s: %v", tc.args, bodies[i], err)
		}
		if string(body.Parameters) != tc.want {
			t.Errorf("%q: sent parameters %s, want %s", tc.args, body.Parameters, tc.want)
		}
	}
}

func TestRun_PrintsBigNumbersDigitForDigit(t *testing.T) {
	// The fake echoes the parameters: what quickstart prints is what the
	// skill returned, not a float64 rounding of it.
	var stdout, stderr bytes.Buffer
	if err := run(t.Context(), []string{"id=12345678901234567890"}, &stdout, &stderr, env(nil)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), `"id": 12345678901234567890`) {
		t.Errorf("stdout does not show the id digit for digit:\n%s", stdout.String())
	}
}

func TestRun_HelpPrintsUsage(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "help"} {
		var stdout, stderr bytes.Buffer
		if err := run(t.Context(), []string{arg}, &stdout, &stderr, env(nil)); err != nil || !strings.HasPrefix(stdout.String(), "usage: quickstart") {
			t.Errorf("%s: err %v, stdout %q: want the usage", arg, err, stdout.String())
		}
	}
}
