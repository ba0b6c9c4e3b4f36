package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Under --fake the client's key is the fake's, and the fake echoes its
// parameters: the user's own key, typed into one, in any spelling, is not
// printed back, in a result or a batch record (README, Security: a result
// holding the key gets [redacted]), and what is printed stays JSON, so a
// rerun of the batch resumes. A new user's walkthrough found the key
// printed whole; a review, that redacting the printed text broke the JSON
// for a key that is a number or ends in a backslash.
func TestFake_TheUsersKeyTypedIntoAParameterIsNotEchoed(t *testing.T) {
	for _, key := range []string{"bu_FakeKeyForTesting0123456789", "12345678", `bu_abcdefgh\`, `bu_ab\"cdefgh`, `bu_ab\u003ccdefg`} {
		keyJSON, _ := json.Marshal(key)
		var escaped strings.Builder
		for _, ch := range key {
			fmt.Fprintf(&escaped, `\u%04x`, ch)
		}
		env := func(k string) string {
			if k == "BROWSER_USE_API_KEY" {
				return key
			}
			return ""
		}
		out := filepath.Join(t.TempDir(), "out.jsonl")
		for _, tc := range []struct {
			name  string
			stdin string
			args  []string
		}{
			{"a parameter", "", []string{"-p", "X=" + key}},
			{"a parameter's name", "", []string{"-p", key + "=1"}},
			{"pasted into JSON as it is", `{"X": "` + key + `"}`, []string{"--params-json", "-"}},
			{"a batch line", `{"k": ` + string(keyJSON) + `, "l": ["` + escaped.String() + `"]}` + "\n", []string{"--batch", "-", "--out", out}},
			{"the batch resumed", `{"k": ` + string(keyJSON) + `, "l": ["` + escaped.String() + `"]}` + "\n" + `{"X": 1}` + "\n", []string{"--batch", "-", "--out", out}},
		} {
			t.Run(fmt.Sprintf("%s/%s", key, tc.name), func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				if tc.args[0] == "--params-json" && !json.Valid([]byte(tc.stdin)) {
					t.Skip("not JSON with this key")
				}
				c := &cli{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr, getenv: env}
				code := c.run(context.Background(), append([]string{"skills", "execute", "--fake", skill}, tc.args...))
				if code != exitOK {
					t.Fatalf("exit code %d:\n%s", code, stderr.String())
				}
				docs := []string{stdout.String()} // one result, indented
				if strings.Contains(tc.name, "batch") {
					b, err := os.ReadFile(out)
					if err != nil {
						t.Fatal(err)
					}
					docs = strings.Split(strings.TrimSpace(string(b)), "\n") // a record a line
				}
				for _, doc := range docs {
					if strings.Contains(doc, key) { // as printed: a key holding \" is spelled again
						t.Errorf("the key in what was printed:\n%s", doc)
					}
					var v struct {
						Result     json.RawMessage `json:"result"`
						Parameters map[string]any  `json:"parameters"`
					}
					if err := json.Unmarshal([]byte(doc), &v); err != nil {
						t.Fatalf("not JSON: %v\n%s", err, doc)
					}
					if v.Result != nil { // a batch record
						if err := json.Unmarshal(v.Result, &v); err != nil {
							t.Fatalf("result not JSON: %v\n%s", err, doc)
						}
					}
					if _, plain := v.Parameters["X"]; holdsKey(v.Parameters, key) || !plain && !holdsKey(v.Parameters, "[redacted]") {
						t.Errorf("parameters echoed %v, want the key as [redacted]", v.Parameters)
					}
				}
				if strings.Contains(stderr.String(), key) {
					t.Errorf("the key on stderr:\n%s", stderr.String())
				}
			})
		}
	}
}

// holdsKey reports whether key is in a name or a string of v.
func holdsKey(v any, key string) bool {
	switch v := v.(type) {
	case map[string]any:
		for name, x := range v {
			if strings.Contains(name, key) || holdsKey(x, key) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if holdsKey(x, key) {
				return true
			}
		}
	case string:
		return strings.Contains(v, key)
	case float64:
		return fmt.Sprint(int64(v)) == key
	}
	return false
}
