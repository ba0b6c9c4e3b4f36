package main

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// escapeText makes text a server supplied (the skill's error and stderr, the
// API's error detail) safe to print on a terminal: a buggy or hostile skill
// could otherwise move the cursor, retitle the window, rewrite what was
// printed before or reorder a line with bidi controls. Control characters
// (C0 but newline and tab, DEL, C1), bidi embeddings, overrides and isolates
// are written as \r, \xNN or \uNNNN, and bytes that are not UTF-8 as \xNN, so the
// reader still sees that something was there and what.
func escapeText(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`) // the one a stray Windows line end brings: keep it readable
		case unsafeRune(r) && r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return true
		}
		i += size
	}
	return false
}

// unsafeRune reports whether a terminal may act on r rather than show it.
func unsafeRune(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case r < 0x20 || r == 0x7f: // C0, including \r and ESC; DEL
		return true
	case r >= 0x80 && r <= 0x9f: // C1, including CSI (0x9b) and OSC (0x9d)
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// escapeJSON does for a JSON document what escapeText does for text, without
// changing what it means: JSON strings may hold C1 controls, DEL and bidi
// controls raw, and each becomes the \uNNNN escape any JSON reader decodes to
// the same character; a byte that is not UTF-8 becomes \ufffd, which is what
// a reader would decode it to. Outside strings, valid JSON holds none of
// these, so every one replaced is inside a string.
func escapeJSON(b []byte) []byte {
	if !needsEscape(string(b)) {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			out = append(out, `\ufffd`...)
		case unsafeRune(r):
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}
