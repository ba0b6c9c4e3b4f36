package browseruse

// Tests that the per-call shortcuts taken for speed (see bench_test.go) give
// exactly what the general code they replace gives.

import (
	"bytes"
	"context"
	"io"
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
