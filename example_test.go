package browseruse_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"os"
	"slices"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

// The quickstart, against the fake server so that it runs anywhere. Against
// the real API, build the client with browseruse.New() and a key in
// $BROWSER_USE_API_KEY.
func Example() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, err := srv.Client() // browseruse.New() with the fake's URL and key
	if err != nil {
		log.Fatal(err)
	}

	skillID := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	res, err := c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"X": 10},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(res.Result))
	// Output: {"parameters":{"X":10}}
}

func ExampleAPIError() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	srv.Enqueue(browserusetest.Reply{Status: 402, JSON: map[string]any{"detail": "Insufficient credits"}})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	var apiErr *browseruse.APIError
	if errors.Is(err, browseruse.ErrInsufficientCredits) && errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Detail)
	}
	// Output: 402 Insufficient credits
}

// New reads the key from $BROWSER_USE_API_KEY; options override it and the
// base URL. The client never prints its key, whatever the verb.
func ExampleNew() {
	c, err := browseruse.New(
		browseruse.WithAPIKey("bu_0123456789abcdef"),
		browseruse.WithBaseURL(browseruse.DefaultBaseURL), // the default unless $BROWSER_USE_BASE_URL is set
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v\n%+v\n", c, c)
	// Output:
	// browseruse.Client{https://api.browser-use.com/api/v2}
	// browseruse.Client{https://api.browser-use.com/api/v2}
}

// Product is the shape of what the skill in the examples returns.
type Product struct {
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

// ExecuteSkillAs decodes the result into your type while reading the
// response: no map[string]any, no second pass.
func ExampleExecuteSkillAs() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	// What a product-search skill might return.
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success":   true,
		"result":    []map[string]any{{"name": "Standing desk", "price": 349.5}, {"name": "Desk lamp", "price": 29}},
		"latencyMs": 2140,
	}})

	skillID := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	r, err := browseruse.ExecuteSkillAs[[]Product](context.Background(), c, skillID, browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"query": "desk", "maxResults": 2},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range r.Value {
		fmt.Printf("%s: $%.2f\n", p.Name, p.Price)
	}
	fmt.Println("took", r.LatencyMs, "ms")
	// Output:
	// Standing desk: $349.50
	// Desk lamp: $29.00
	// took 2140 ms
}

// Decode turns the raw result of ExecuteSkill into any type JSON can fill.
func ExampleSkillResult_Decode() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()

	res, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"city": "Zurich"},
	})
	if err != nil {
		log.Fatal(err)
	}
	var out struct {
		Parameters struct {
			City string `json:"city"`
		} `json:"parameters"`
	}
	if err := res.Decode(&out); err != nil {
		log.Fatal(err)
	}
	fmt.Println(out.Parameters.City) // the fake echoes what the skill received
	// Output: Zurich
}

// A skill that ran and failed is not an API error: the call reached the API,
// was charged, and the skill's own error and stderr explain what happened.
func ExampleSkillError() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	srv.Enqueue(browserusetest.Reply{JSON: map[string]any{
		"success":   false,
		"error":     "selector #price not found",
		"stderr":    "navigated to /product/42\nwaited 30s for #price",
		"latencyMs": 30512,
	}})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	var skillErr *browseruse.SkillError
	if errors.Is(err, browseruse.ErrSkillFailed) && errors.As(err, &skillErr) {
		fmt.Println(err)
		fmt.Println(skillErr.Stderr)
	}
	// Output:
	// browseruse: skill failed: selector #price not found
	// navigated to /product/42
	// waited 30s for #price
}

// A 422 lists each problem with its location in the request.
func ExampleValidationError() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()
	srv.Enqueue(browserusetest.Reply{Status: 422, JSON: map[string]any{"detail": []map[string]any{
		{"loc": []any{"body", "parameters", "maxResults"}, "msg": "must be at most 50", "type": "less_than_equal"},
	}}})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{
		Parameters: map[string]any{"maxResults": 500},
	})
	var apiErr *browseruse.APIError
	if errors.Is(err, browseruse.ErrValidation) && errors.As(err, &apiErr) {
		for _, v := range apiErr.Errors {
			fmt.Println(v.Loc, v.Msg, v.Type)
		}
	}
	// Output: [body parameters maxResults] must be at most 50 less_than_equal
}

// A call the API refused for one session too many (429) was not run: it is
// sent again once a session frees, even with retries off. WithMaxRetries
// bounds the other retries, of requests that never reached the server.
func ExampleWithMaxRetries() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client(browseruse.WithMaxRetries(0))
	srv.Enqueue(browserusetest.Reply{
		Status: 429,
		Header: http.Header{"Retry-After": {"0"}},
		JSON:   map[string]any{"detail": "Too many concurrent executions"},
	})

	_, err := c.ExecuteSkill(context.Background(), uuid.New(), browseruse.ExecuteSkillRequest{})
	fmt.Println(err, len(srv.Requests()))
	// Output: <nil> 2
}

// WithLogger logs one line per HTTP attempt, at debug level whatever its
// outcome; the key is never among the attributes. Here time and duration are
// dropped so the output is stable.
func ExampleWithLogger() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{}
			}
			return a
		},
	}))
	c, _ := srv.Client(browseruse.WithLogger(logger))

	skillID := uuid.MustParse("3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10")
	_, _ = c.ExecuteSkill(context.Background(), skillID, browseruse.ExecuteSkillRequest{})
	// Output:
	// level=DEBUG msg="browseruse request" method=POST path=/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute status=200 attempt=1
}

// ExecuteSkillBatch runs one skill over many inputs through the client's
// gate and yields each result as it completes, with its input's index.
// Here the fake account has credits for three runs: the 402 stops the
// batch, and the inputs left are reported as not attempted.
func ExampleClient_ExecuteSkillBatch() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	srv.SetCredits(3)
	c, _ := srv.Client()

	reqs := make([]browseruse.ExecuteSkillRequest, 5)
	for i := range reqs {
		reqs[i].Parameters = map[string]any{"page": i + 1}
	}
	out := make([]string, len(reqs))
	for r := range c.ExecuteSkillBatch(context.Background(), uuid.New(), slices.Values(reqs),
		browseruse.BatchOptions{Concurrency: 1}) {
		switch {
		case errors.Is(r.Err, browseruse.ErrNotAttempted):
			out[r.Index] = "not attempted"
		case r.Err != nil:
			out[r.Index] = "failed: " + r.Err.Error()
		default:
			out[r.Index] = "ok: " + string(r.Result.Result)
		}
	}
	for i, line := range out {
		fmt.Println(i, line)
	}
	// Output:
	// 0 ok: {"parameters":{"page":1}}
	// 1 ok: {"parameters":{"page":2}}
	// 2 ok: {"parameters":{"page":3}}
	// 3 failed: browseruse: POST /skills/{skill_id}/execute: 402 Payment Required: Insufficient credits
	// 4 not attempted
}

// ExecuteSkillBatchAs decodes each result into your type as it is read;
// here the fake echoes each input's parameters.
func ExampleExecuteSkillBatchAs() {
	srv := browserusetest.NewServer()
	defer srv.Close()
	c, _ := srv.Client()

	type echo struct {
		Parameters struct {
			Page int `json:"page"`
		} `json:"parameters"`
	}
	reqs := make([]browseruse.ExecuteSkillRequest, 3)
	for i := range reqs {
		reqs[i].Parameters = map[string]any{"page": 10 * (i + 1)}
	}
	pages := make([]int, len(reqs))
	for r := range browseruse.ExecuteSkillBatchAs[echo](context.Background(), c, uuid.New(), slices.Values(reqs), browseruse.BatchOptions{}) {
		if r.Err != nil {
			fmt.Println(r.Index, r.Err)
			continue
		}
		pages[r.Index] = r.Result.Value.Parameters.Page
	}
	fmt.Println(pages)
	// Output: [10 20 30]
}

// A program's own message that quotes what a user typed may hold the key,
// in any spelling.
func ExampleRedactKey() {
	const key = "bu_0123456789abcdef"
	fmt.Println(browseruse.RedactKey(`unknown skill "bu_0123456789abcdef", or %62u_0123456789abcdef, or \u0062u_0123456789abcdef`, key))
	// Output: unknown skill "[redacted]", or [redacted], or [redacted]
}
