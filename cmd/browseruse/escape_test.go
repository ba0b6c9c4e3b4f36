package main

import "testing"

func TestEscapeText(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"plain text, ünïcödé, 日本語, emoji 🙂", "plain text, ünïcödé, 日本語, emoji 🙂"},
		{"lines\n\tindented\n", "lines\n\tindented\n"},
		{"title\x1b]0;x\x07", `title\x1b]0;x\x07`},
		{"over\rwrite", `over\rwrite`},
		{"nul\x00 del\x7f", `nul\x00 del\x7f`},
		{"c1 csi \u009b2J and nel \u0085", `c1 csi \u009b2J and nel \u0085`},
		{"bidi \u202aa\u202bb\u202cc\u202dd\u202ee \u2066f\u2067g\u2068h\u2069", `bidi \u202aa\u202bb\u202cc\u202dd\u202ee \u2066f\u2067g\u2068h\u2069`},
		{"not utf-8: \xff\xfe, cut \xe2\x82", `not utf-8: \xff\xfe, cut \xe2\x82`},
		{"the replacement character itself: \ufffd", "the replacement character itself: \ufffd"},
	}
	for _, tc := range cases {
		if got := escapeText(tc.in); got != tc.want {
			t.Errorf("escapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
