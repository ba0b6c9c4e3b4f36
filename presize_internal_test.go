package browseruse

import (
	"reflect"
	"strings"
	"testing"
)

// The slice made for a result never takes more than twice the body's bytes,
// however many braces the body holds: a short body full of them in a
// string costs no more than twice its length.
func TestPresizedResult_NoMoreThanTwiceTheBody(t *testing.T) {
	type wide struct {
		A, B, C, D, E, F, G, H string
	}
	body := []byte(`{"success":true,"result":[{"A":"a"}],"stderr":"` + strings.Repeat("{", 1<<20) + `"}`)
	var got []wide
	if !presizedResult(&got, body) {
		t.Fatal("no slice made for a body of a million braces")
	}
	if size := cap(got) * int(reflect.TypeFor[wide]().Size()); size > 2*len(body) {
		t.Errorf("made room for %d elements, %d bytes, for a body of %d", cap(got), size, len(body))
	}
}
