package browserusetest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// NewServer starts a fake of the API; Client returns a browseruse client
// with the fake's URL and key. With nothing scripted, Execute Skill succeeds
// and echoes the parameters it received.
func ExampleServer() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, err := srv.Client()
	if err != nil {
		log.Fatal(err)
	}

	res, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"query": "desk"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res.Result))
	// Output: {"parameters":{"query":"desk"}}
}

// In a test, New ties the fake to the test: it is closed when the test ends,
// and a scripted reply that breaks the spec fails the test.
func ExampleNew() {
	testPriceLookup := func(t *testing.T) {
		srv := browserusetest.New(t)
		c, err := srv.Client(browseruse.WithMaxRetries(0))
		if err != nil {
			t.Fatal(err)
		}
		srv.Enqueue(browserusetest.Reply{JSON: map[string]any{"success": true, "result": 349.5}})

		r, err := browseruse.ExecuteSkillAs[float64](t.Context(), c, uuid.New(), browseruse.ExecuteSkillRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Value != 349.5 {
			t.Errorf("price = %v, want 349.5", r.Value)
		}
	}
	_ = testPriceLookup // a func TestPriceLookup(t *testing.T) in your package
}

// Enqueue scripts the next answers in order; the fake goes back to its
// defaults when the queue is empty.
func ExampleServer_Enqueue() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client(browseruse.WithMaxRetries(0))
	srv.Enqueue(
		browserusetest.Reply{Status: http.StatusNotFound, JSON: map[string]any{"detail": "Skill not found"}},
		browserusetest.Reply{JSON: map[string]any{"success": false, "error": "login required"}},
	)

	for range 3 {
		_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
		switch {
		case errors.Is(err, browseruse.ErrNotFound):
			fmt.Println("not found")
		case errors.Is(err, browseruse.ErrSkillFailed):
			fmt.Println("skill failed:", err.(*browseruse.SkillError).Message)
		case err == nil:
			fmt.Println("ok")
		}
	}
	// Output:
	// not found
	// skill failed: login required
	// ok
}

// Requests shows what the client sent, for assertions on the wire format.
func ExampleServer_Requests() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	session := uuid.MustParse("9b2d1c4e-0f6a-4b8e-8c3d-2a1e5f7b9c0d")

	_, _ = c.ExecuteSkill(context.Background(), uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10"),
		browseruse.ExecuteSkillRequest{Parameters: map[string]any{"X": 10}, SessionID: &session})

	for _, r := range srv.Requests() {
		var body map[string]any
		_ = json.Unmarshal(r.Body, &body)
		fmt.Println(r.Method, r.Path, r.OperationID != "")
		fmt.Println(body["parameters"], body["sessionId"])
	}
	// Output:
	// POST /skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute true
	// map[X:10] 9b2d1c4e-0f6a-4b8e-8c3d-2a1e5f7b9c0d
}

// OffSpec sends a reply the real API should never send, such as a proxy's
// cut-off body, to test how your code copes: the client turns it into an
// *APIError that keeps the status and wraps the decode error, here a
// *json.SyntaxError.
func ExampleReply_offSpec() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client(browseruse.WithMaxRetries(0))
	srv.Enqueue(browserusetest.Reply{Body: []byte(`{"success": true, "resu`), OffSpec: true})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	var apiErr *browseruse.APIError
	var syntaxErr *json.SyntaxError
	if errors.As(err, &apiErr) && errors.As(err, &syntaxErr) {
		fmt.Println(apiErr.StatusCode, syntaxErr)
	}
	// Output: 200 unexpected end of JSON input
}

// Handler answers in place of a scripted status and body, for faults at the
// HTTP level such as a connection dropped mid-answer.
func ExampleReply_handler() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client(browseruse.WithMaxRetries(0))
	srv.Enqueue(browserusetest.Reply{Handler: func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler) // drop the connection without an answer
	}})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	var apiErr *browseruse.APIError
	fmt.Println(err != nil, errors.As(err, &apiErr))
	// Output: true false
}

// SetConcurrencyLimit, SetLatency and SetCredits make the fake behave like
// an account with a plan: here 2 concurrent sessions and skills of 10 ms.
// Twenty goroutines share one client; its gate waits out the 429s, so no
// call fails and the fake never runs more than 2 at once.
func ExampleServer_SetConcurrencyLimit() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetConcurrencyLimit(2)
	srv.SetLatency(10 * time.Millisecond)
	c, _ := srv.Client()

	var failed atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{}); err != nil {
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	st := srv.Stats()
	fmt.Println("failed:", failed.Load(), "executions:", st.Executions, "max concurrent:", st.MaxConcurrent)
	// Output: failed: 0 executions: 20 max concurrent: 2
}
