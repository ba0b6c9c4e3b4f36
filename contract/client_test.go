package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/gen"
)

// testKey is what the suite sends: Prism checks that a key is present, not
// which one.
const testKey = "bu_contract_suite_key"

// callTimeout bounds each call. Prism never answers some malformed requests,
// so without a bound a client bug would hang the suite instead of failing it.
const callTimeout = 10 * time.Second

// exchange is what the suite saw on the wire for one call, recorded by
// [recorder] through the call's context. The client turns responses into
// payloads and errors; this is how the suite knows what Prism actually said.
type exchange struct {
	status int
	// violations are the request problems in Prism's sl-violations header.
	// Any means the suite or the client sent a bad request.
	violations []string
}

// requestViolations picks the request problems out of an sl-violations
// header. Prism also lists problems with the answers it makes up itself
// (a sample string that misses a response pattern): those say nothing
// about the client and are left out.
func requestViolations(header string) []string {
	if header == "" {
		return nil
	}
	var all []struct {
		Location []any  `json:"location"`
		Message  string `json:"message"`
	}
	if err := json.Unmarshal([]byte(header), &all); err != nil {
		return []string{header}
	}
	var out []string
	for _, v := range all {
		if len(v.Location) == 0 || v.Location[0] != "response" {
			out = append(out, v.Message)
		}
	}
	return out
}

type exchangeKey struct{}

// recorded returns a context that records the call's exchange, with the
// suite's deadline.
func recorded(t *testing.T) (context.Context, *exchange) {
	ex := &exchange{}
	ctx, cancel := context.WithTimeout(context.WithValue(t.Context(), exchangeKey{}, ex), 2*callTimeout)
	t.Cleanup(cancel)
	return ctx, ex
}

// recorder is the transport under the client's policy: it records each
// response's status and Prism's verdict on the request, and lets a test
// change headers after the policy has set them (to send no key at all).
type recorder struct {
	next       http.RoundTripper
	editHeader func(http.Header)
}

func (r recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.editHeader != nil {
		req = req.Clone(req.Context())
		r.editHeader(req.Header)
	}
	resp, err := r.next.RoundTrip(req)
	if ex, ok := req.Context().Value(exchangeKey{}).(*exchange); ok && resp != nil {
		ex.status = resp.StatusCode
		ex.violations = requestViolations(resp.Header.Get("sl-violations"))
	}
	return resp, err
}

// newClient returns a client for Prism with retries and slot waits off, so
// a forced 429 or 5xx is seen exactly once.
func newClient(t *testing.T, editHeader func(http.Header)) *browseruse.Client {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	c, err := browseruse.New(
		browseruse.WithAPIKey(testKey),
		browseruse.WithBaseURL(prismURL),
		browseruse.WithHTTPClient(&http.Client{Transport: recorder{next: tr, editHeader: editHeader}}),
		browseruse.WithMaxRetries(0),
		browseruse.WithoutSlotWait(), // a forced 429 would be waited out
		browseruse.WithTimeout(callTimeout),
	)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// prefer asks Prism to answer with status, whatever it would pick itself.
func prefer(status int) gen.RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		req.Header.Set("Prefer", fmt.Sprintf("code=%d", status))
		return nil
	}
}
