package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

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

func TestEscapeJSON_KeepsTheMeaning(t *testing.T) {
	t.Parallel()
	in := "{\n  \"a\": \"csi \u009b2J, rlo \u202e, del \x7f, bad \xff, ok é\\n\",\n  \"b\": [1, true]\n}"
	want := "{\n  \"a\": \"csi \\u009b2J, rlo \\u202e, del \\u007f, bad \\ufffd, ok é\\n\",\n  \"b\": [1, true]\n}"
	got := escapeJSON([]byte(in))
	if string(got) != want {
		t.Fatalf("escapeJSON = %q, want %q", got, want)
	}
	var before, after any
	if err := json.Unmarshal([]byte(in), &before); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &after); err != nil {
		t.Fatalf("escaped JSON no longer parses: %v", err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("escaping changed the value: %v, was %v", after, before)
	}
	if plain := []byte(`{"a": "plain"}`); &escapeJSON(plain)[0] != &plain[0] {
		t.Error("JSON with nothing to escape was copied")
	}
}
