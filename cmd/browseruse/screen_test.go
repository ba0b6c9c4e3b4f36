package main

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// screen is the few terminal controls the spinner and the bar use, applied
// as a terminal applies them, so a test checks what the user would see:
// \r, \n, ESC[nA (cursor up, column kept), ESC[J (erase to the end of the
// screen), ESC[K (erase to the end of the line). Other escapes fail the test.
type screen struct {
	t        *testing.T
	lines    [][]rune
	row, col int
}

func newScreen(t *testing.T) *screen { return &screen{t: t, lines: [][]rune{nil}} }

func (s *screen) Write(p []byte) (int, error) {
	rs := []rune(string(p))
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\r':
			s.col = 0
		case '\n':
			s.row++
			if s.row == len(s.lines) {
				s.lines = append(s.lines, nil)
			}
		case '\x1b':
			i = s.escape(rs, i)
		default:
			line := s.lines[s.row]
			for len(line) <= s.col {
				line = append(line, ' ')
			}
			line[s.col] = r
			s.lines[s.row], s.col = line, s.col+1
		}
	}
	return len(p), nil
}

// escape applies the CSI sequence starting at rs[i] and returns the index
// of its last rune.
func (s *screen) escape(rs []rune, i int) int {
	j := i + 2
	for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9') {
		j++
	}
	if i+1 >= len(rs) || rs[i+1] != '[' || j >= len(rs) {
		s.t.Fatalf("screen: unexpected escape %q", string(rs[i:]))
	}
	n, _ := strconv.Atoi(string(rs[i+2 : j]))
	switch rs[j] {
	case 'A':
		s.row = max(s.row-max(n, 1), 0)
	case 'J':
		s.eraseLine()
		s.lines = s.lines[:s.row+1]
	case 'K':
		s.eraseLine()
	default:
		s.t.Fatalf("screen: unexpected escape %q", string(rs[i:j+1]))
	}
	return j
}

func (s *screen) eraseLine() {
	if line := s.lines[s.row]; len(line) > s.col {
		s.lines[s.row] = line[:s.col]
	}
}

// text is the screen's lines, trailing blanks trimmed, the last empty line
// (the cursor's, after a final newline) dropped.
func (s *screen) text() []string {
	var out []string
	for _, l := range s.lines {
		out = append(out, strings.TrimRight(string(l), " "))
	}
	if len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// A frame shorter than the one before ("5s" after "4.9s") leaves no tail
// of it on the line.
func TestSpinner_ShorterFrameLeavesNoTail(t *testing.T) {
	var out syncBuffer
	ticks := make(chan time.Time) // unbuffered: a send returns once the spinner has the tick
	elapsed := []time.Duration{4900 * time.Millisecond, 5 * time.Second}
	i := 0
	sp := runSpinner(&out, "executing skill", ticks, func() time.Duration { i++; return elapsed[i-1] })
	ticks <- time.Time{}
	ticks <- time.Time{}
	sp.Stop()
	// The line as it was before Stop erased it.
	scr := newScreen(t)
	scr.Write([]byte(strings.TrimSuffix(out.String(), eraseLine)))
	if got, want := scr.text(), []string{"⠙ executing skill… 5s"}; !slices.Equal(got, want) {
		t.Errorf("the screen shows %q, want %q", got, want)
	}
}
