package main

import (
	"bytes"
	"encoding/json"

	"github.com/browser-use/browseruse-go"
)

// fakeParams takes the key in BROWSER_USE_API_KEY out of the parameters
// sent to --fake's server, which echoes them. Under --fake the client's key
// is the fake's, so the library's redaction of results does not cover the
// user's own, typed into a parameter by mistake: it came back whole. Taken
// out of the names and strings sent, the echo is JSON like any other;
// redacting the printed text instead broke it for keys that are numbers,
// field names or end in a backslash (a review).
func (c *cli) fakeParams(a *executeArgs, params map[string]any) map[string]any {
	key := c.redactedKey()
	if !a.fake || params == nil || key == "" {
		return params
	}
	return withoutKeyIn(params, key).(map[string]any)
}

// withoutKeyIn is v with key redacted in every object name and string.
func withoutKeyIn(v any, key string) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for name, x := range v {
			out[withoutKeyInString(name, key)] = withoutKeyIn(x, key)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = withoutKeyIn(x, key)
		}
		return out
	case string:
		return withoutKeyInString(v, key)
	case json.Number:
		if s := browseruse.RedactKey(string(v), key); s != string(v) {
			return s
		}
	}
	return v
}

// withoutKeyInString is s with key redacted, or "[redacted]" whole if the
// key is in s as the echo prints it: a key holding a JSON escape (\" or
// \u003c) pasted into JSON input is decoded into s, and encoding the echo
// spells it again (a review).
func withoutKeyInString(s, key string) string {
	if r := browseruse.RedactKey(s, key); r != s {
		return r
	}
	for _, html := range []bool{true, false} {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(html)
		_ = enc.Encode(s)
		if printed := string(escapeJSON(b.Bytes())); browseruse.RedactKey(printed, key) != printed {
			return "[redacted]"
		}
	}
	return s
}
