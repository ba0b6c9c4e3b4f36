package browserusetest

import (
	"regexp"
	"testing"
)

// Upstream patterns are ECMAScript and some use look-ahead, which Go's
// regexp rejects; the fake must compile and apply them, not skip them.
func TestECMARegexp_LookAhead(t *testing.T) {
	const expr = `^(?!0+$)\d{1,4}$`
	if _, err := regexp.Compile(expr); err == nil {
		t.Fatal("Go's regexp compiled a look-ahead: this test no longer proves anything")
	}
	re, err := ecmaRegexp(expr)
	if err != nil {
		t.Fatal(err)
	}
	for s, want := range map[string]bool{"42": true, "0042": true, "0000": false, "12345": false, "x1": false} {
		if got := re.MatchString(s); got != want {
			t.Errorf("MatchString(%q) = %v, want %v", s, got, want)
		}
	}
}
