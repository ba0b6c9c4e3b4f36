// Command quickstart executes one Browser Use skill and prints its result.
//
// With BROWSER_USE_API_KEY set it calls the real API; without, it starts the
// spec-backed fake server from browserusetest in-process, so it runs offline.
// The skill receives exactly the key=value parameters given (a value is JSON
// when it parses as JSON, else a string); only the demo skill on the fake,
// the one used when no SKILL_ID is given, also gets the sample X=10.
//
//	go run ./cmd/quickstart [SKILL_ID] [key=value ...]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/google/uuid"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/browserusetest"
)

const usage = `usage: quickstart [SKILL_ID] [key=value ...]

Executes one Browser Use skill and prints its result. With
BROWSER_USE_API_KEY set it calls the API (BROWSER_USE_BASE_URL to point it
elsewhere); without, a built-in fake, whose demo skill (the default) also
gets X=10. A value is JSON when it parses as JSON, else a string.
`

// demoSkill is the skill id used when none is given; only the fake knows it.
const demoSkill = "3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprint(stdout, usage)
		return nil
	}
	key := getenv("BROWSER_USE_API_KEY")
	skill := demoSkill
	if len(args) > 0 && !strings.Contains(args[0], "=") {
		skill, args = args[0], args[1:]
	}
	// What was typed is not quoted back: a key pasted into the wrong
	// argument would be printed.
	skillID, err := uuid.Parse(skill)
	if err != nil {
		return fmt.Errorf("the skill id (first argument, %d characters) is not a UUID; run quickstart --help", len(skill))
	}
	// A skill receives exactly the parameters given. Only the demo, the
	// built-in skill on the fake, gets a sample one, so that the first run
	// shows parameters going in and coming back out.
	var params map[string]any
	if key == "" && skillID.String() == demoSkill {
		params = map[string]any{"X": 10}
	}
	for i, kv := range args {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("parameter %d of %d has no '=': want key=value", i+1, len(args))
		}
		val, err := parseValue(v)
		if err != nil {
			val = v // not JSON: a plain string
		}
		if params == nil {
			params = map[string]any{}
		}
		params[k] = val
	}

	var c *browseruse.Client
	if key != "" {
		fmt.Fprintln(stderr, "quickstart: calling the Browser Use API")
		opts := []browseruse.Option{browseruse.WithAPIKey(key)}
		if base := getenv("BROWSER_USE_BASE_URL"); base != "" {
			opts = append(opts, browseruse.WithBaseURL(base))
		}
		c, err = browseruse.New(opts...)
	} else {
		fmt.Fprintln(stderr, "quickstart: BROWSER_USE_API_KEY is not set; using the built-in fake server")
		srv := browserusetest.NewServer()
		defer srv.Close()
		c, err = srv.Client()
	}
	if err != nil {
		return err
	}

	res, err := c.ExecuteSkill(ctx, skillID, browseruse.ExecuteSkillRequest{Parameters: params})
	if errors.Is(err, browseruse.ErrNotFound) && key != "" && skillID.String() == demoSkill {
		// The README's first command, run with a key already exported.
		return fmt.Errorf("%w\nThis skill id is the built-in fake's demo, unknown to the API: pass one of your skills (quickstart SKILL_ID [key=value ...]),\nor unset BROWSER_USE_API_KEY to run the fake", err)
	}
	if err != nil {
		return err
	}
	// Indented as the skill returned it: decoding into any and encoding again
	// would round big numbers through float64 and reorder keys.
	var out json.RawMessage
	if err := res.Decode(&out); err != nil {
		return err
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, out, "", "  "); err != nil {
		return err
	}
	fmt.Fprintln(stdout, pretty.String())
	fmt.Fprintf(stderr, "quickstart: done in %d ms\n", res.LatencyMs)
	return nil
}

// parseValue reads a parameter value as exactly one JSON value. Numbers stay
// json.Number, so an id like 12345678901234567890 is sent digit for digit
// rather than rounded through float64.
func parseValue(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("more than one JSON value")
	}
	return v, nil
}
