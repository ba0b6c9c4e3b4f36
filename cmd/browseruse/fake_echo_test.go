package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// Under --fake the client's key is the fake's, and the fake echoes its
// parameters: the user's own key, typed into one, in any spelling, is not
// printed back, in a result or a batch record (README, Security: a result
// holding the key gets [redacted]). A new user's walkthrough found it
// printed whole.
func TestFake_TheUsersKeyTypedIntoAParameterIsNotEchoed(t *testing.T) {
	const key = "bu_FakeKeyForTesting0123456789"
	env := func(k string) string {
		if k == "BROWSER_USE_API_KEY" {
			return key
		}
		return ""
	}
	var escaped strings.Builder
	for _, ch := range key {
		fmt.Fprintf(&escaped, `\u%04x`, ch)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"a parameter", "", []string{"-p", "X=" + key}},
		{"a parameter's name", "", []string{"-p", key + "=1"}},
		{"a batch line", `{"k": "` + key + `"}` + "\n" + `{"k": "` + escaped.String() + `"}` + "\n", []string{"--batch", "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			c := &cli{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr, getenv: env}
			code := c.run(context.Background(), append([]string{"skills", "execute", "--fake", skill}, tc.args...))
			if code != exitOK {
				t.Fatalf("exit code %d:\n%s", code, stderr.String())
			}
			out := stdout.String() + stderr.String()
			if strings.Contains(out, "FakeKeyForTesting") || strings.Contains(out, `\u0046\u0061\u006b`) {
				t.Errorf("the key came back:\n%s", out)
			}
			if !strings.Contains(stdout.String(), "[redacted]") {
				t.Errorf("want [redacted] where the key was:\n%s", stdout.String())
			}
		})
	}
}
