package browserusetest_test

// Regression tests for the defects of issue 13 that concern the fake.

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

func TestHardening_ScriptedContentLengthWins(t *testing.T) {
	t.Parallel()
	srv := browserusetest.New(t)
	// An off-spec reply that declares more than it sends: a body cut short.
	srv.Enqueue(browserusetest.Reply{
		Header:  http.Header{"Content-Length": {"100"}},
		Body:    []byte(`{"success":tr`),
		OffSpec: true,
	})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+skillPath, strings.NewReader(`{"parameters":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(browseruse.KeyHeader, browserusetest.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.ContentLength != 100 || !errors.Is(err, io.ErrUnexpectedEOF) || string(body) != `{"success":tr` {
		t.Errorf("Content-Length %d, body %q, err %v; want 100, the scripted body, then unexpected EOF",
			resp.ContentLength, body, err)
	}
}
