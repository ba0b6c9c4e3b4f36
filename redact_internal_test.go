package browseruse

import (
	"strings"
	"testing"
)

func TestKeySpans_Spellings(t *testing.T) {
	const key = "bu_k1"
	for _, tt := range []struct {
		s    string
		want string // s with the spans found replaced
	}{
		{"no key here, 100% sure \\n", "no key here, 100% sure \\n"},
		{"bu_k1", "[redacted]"},
		{`\u0062u_k1`, "[redacted]"},
		{"%62%75%5F%6B%31", "[redacted]"},
		{"bu%5fk1 and bu_k1", "[redacted] and [redacted]"},
		{`%5Cu0062u_k1`, "[redacted]"},     // a JSON escape %-escaped
		{`\u002562u_k1`, "[redacted]"},     // a %-escape JSON-escaped
		{`%2562u_k1`, "[redacted]"},        // %-escaped twice
		{`%%62u_k1%`, "%[redacted]%"},      // a stray % before it
		{`x\\u0062u_k1`, "x[redacted]"},    // JSON-decoded, \u0062u_k1
		{`%6u_k1 %62u_k`, `%6u_k1 %62u_k`}, // near misses
		{`bu_k%3`, `bu_k%3`},               // cut inside an escape
		{`%25%36%32u_k1`, "[redacted]"},    // the parts of an escape escaped
		{`%5C%75%30%30%36%32u_k1`, "[redacted]"},
	} {
		if got := redactString(tt.s, key); got != tt.want {
			t.Errorf("redactString(%q) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

// A text with escapes but no key costs no allocation.
func TestKeySpans_NoKeyAllocatesNothing(t *testing.T) {
	s := strings.Repeat(`{"a":"100% \"sure\"\n","url":"https://x.test/a%20b"}`, 100)
	if n := testing.AllocsPerRun(20, func() { keySpans(s, fuzzKey) }); n != 0 {
		t.Errorf("keySpans allocates %v times, want 0", n)
	}
}
