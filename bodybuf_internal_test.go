package browseruse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
)

var bufSkill = uuid.MustParse("7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f")

// servedBody starts a server that answers every Execute Skill call with
// body, its length declared, and returns a client for it.
func servedBody(t *testing.T, body []byte, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	c, err := New(append([]Option{WithAPIKey("bu_k"), WithBaseURL(srv.URL)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// scribbleGiven makes every buffer given back for reuse be overwritten with
// '#', which no body of these tests holds, for the rest of the test, and
// returns how many of at least size bytes (a whole body's buffer, not one
// grown out of) were given back so far.
func scribbleGiven(t *testing.T, size int) func() int {
	t.Helper()
	var n atomic.Int64
	h := func(b []byte) {
		if len(b) >= size {
			n.Add(1)
		}
		for i := range b {
			b[i] = '#'
		}
	}
	if !givenHook.CompareAndSwap(nil, &h) {
		t.Fatal("another test scribbles")
	}
	t.Cleanup(func() { givenHook.Store(nil) })
	return func() int { return int(n.Load()) }
}

// richItem holds every kind of value a decoder could make point into its
// input: strings plain, escaped and not ASCII, bytes, raw JSON, numbers kept
// as text, map keys, values under any.
type richItem struct {
	S    string            `json:"s"`
	Esc  string            `json:"esc"`
	Uni  string            `json:"uni"`
	B    []byte            `json:"b"`
	Raw  json.RawMessage   `json:"raw"`
	Num  json.Number       `json:"num"`
	Any  any               `json:"any"`
	Map  map[string]string `json:"map"`
	When time.Time         `json:"when"`
	Ptr  *string           `json:"ptr"`
	List []string          `json:"list"`
}

// richResult is a result of about 200 KiB, so that its body is read into a
// pooled buffer.
func richResult() []byte {
	var b bytes.Buffer
	b.WriteString("[")
	for i := range 600 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"s":"item %d","esc":"tab\t quote\" slash\\ \u00e9 %d","uni":"caf\u00e9 \u2603 %d",`+
			`"b":"aGVsbG8gd29ybGQ=","raw":{"k":[1,"two",{"three":3}],"i":%d},"num":12345678901234567890%d,`+
			`"any":{"nested":["x%d",{"y":"z"}],"f":1.5},"map":{"key %d":"value %d"},`+
			`"when":"2026-12-02T07:00:00Z","ptr":"pointed %d","list":["a%d","b","c"]}`,
			i, i, i, i, i, i, i, i, i, i)
	}
	b.WriteString("]")
	return b.Bytes()
}

func skillBody(success bool, result []byte, extra string) []byte {
	return fmt.Appendf(nil, `{"success":%t,"result":%s,"latencyMs":7%s}`, success, result, extra)
}

// TestBodyBuffer_NoResultPointsIntoAGivenBuffer scribbles over every body
// buffer as it is given back for reuse, before the call returns: a result,
// or an error, that kept a byte of it would show '#'.
func TestBodyBuffer_NoResultPointsIntoAGivenBuffer(t *testing.T) {
	result := richResult()
	body := skillBody(true, result, `,"stderr":"warn\u00e9"`)
	var want []richItem
	if err := json.Unmarshal(result, &want); err != nil {
		t.Fatal(err)
	}
	var wantAny any
	if err := json.Unmarshal(result, &wantAny); err != nil {
		t.Fatal(err)
	}
	c := servedBody(t, body)
	given := scribbleGiven(t, len(body))
	ctx := context.Background()

	typed, err := ExecuteSkillAs[[]richItem](ctx, c, bufSkill, ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(typed.Value, want) || typed.Stderr != "warn\u00e9" {
		t.Errorf("typed result differs from encoding/json's after its buffer was reused")
	}
	untyped, err := ExecuteSkillAs[any](ctx, c, bufSkill, ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(untyped.Value, wantAny) {
		t.Errorf("result into any differs from encoding/json's after its buffer was reused")
	}
	raw, err := c.ExecuteSkill(ctx, bufSkill, ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw.Result, result) {
		t.Errorf("SkillResult.Result differs from the body's result after its buffer was reused")
	}
	if n := given(); n != 3 {
		t.Fatalf("%d buffers given back for 3 calls: the test proves nothing", n)
	}
	// Later calls reuse the buffers, and write over them again.
	for range 3 {
		if _, err := ExecuteSkillAs[[]richItem](ctx, c, bufSkill, ExecuteSkillRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []any{typed.Value, untyped.Value, string(raw.Result)} {
		if s := fmt.Sprintf("%#v", v); strings.Contains(s, "#") {
			t.Errorf("a result shows the scribble: %.200s", s[max(0, strings.Index(s, "#")-50):])
		}
	}
}

// TestBodyBuffer_NoErrorPointsIntoAGivenBuffer is the same for the errors a
// body turns into: a failed skill and a result that does not fit the type.
func TestBodyBuffer_NoErrorPointsIntoAGivenBuffer(t *testing.T) {
	result := richResult()
	failed := skillBody(false, result, `,"error":"it broke \u00e9","stderr":"trace\nline 2"`)
	ctx := context.Background()
	given := scribbleGiven(t, len(result))

	_, err := ExecuteSkillAs[[]richItem](ctx, servedBody(t, failed), bufSkill, ExecuteSkillRequest{})
	var se *SkillError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a *SkillError", err)
	}
	if se.Message != "it broke \u00e9" || se.Stderr != "trace\nline 2" || !bytes.Equal(se.Result, result) {
		t.Errorf("the SkillError differs from the body after its buffer was reused: %.200q", se.Message+se.Stderr+string(se.Result))
	}

	ok := skillBody(true, result, "")
	_, err = ExecuteSkillAs[map[string]int](ctx, servedBody(t, ok), bufSkill, ExecuteSkillRequest{})
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an *APIError", err)
	}
	if ae.Body != snippet(ok) {
		t.Errorf("APIError.Body = %.100q, want the body's first bytes", ae.Body)
	}
	var ute *json.UnmarshalTypeError
	if !errors.As(err, &ute) {
		t.Errorf("err = %v, want it to wrap encoding/json's *UnmarshalTypeError", err)
	}
	if n := given(); n != 2 {
		t.Fatalf("%d buffers given back for 2 calls: the test proves nothing", n)
	}
	if s := fmt.Sprintf("%+v %#v", err, ute); strings.Contains(s, "#") {
		t.Errorf("the error shows the scribble: %.300s", s)
	}
}

// keeper is a caller's type whose UnmarshalJSON keeps the bytes it is given
// without copying them, which encoding/json's documentation forbids but
// which worked before buffers were reused.
type keeper struct{ kept []byte }

func (k *keeper) UnmarshalJSON(b []byte) error { k.kept = b; return nil }

// TestBodyBuffer_KeptWhereTheBytesMayBeKept: a body is not given back when
// code other than the client's own decoder saw it.
func TestBodyBuffer_KeptWhereTheBytesMayBeKept(t *testing.T) {
	result := richResult()
	body := skillBody(true, result, "")
	ctx := context.Background()
	given := scribbleGiven(t, len(body))

	var kept []byte // what a decoder that points into its input (sonic does) kept
	aliasing := WithJSONUnmarshal(func(data []byte, v any) error {
		kept = data
		return json.Unmarshal(data, v)
	})
	if _, err := ExecuteSkillAs[[]richItem](ctx, servedBody(t, body, aliasing), bufSkill, ExecuteSkillRequest{}); err != nil {
		t.Fatal(err)
	}
	r, err := ExecuteSkillAs[[]keeper](ctx, servedBody(t, body), bufSkill, ExecuteSkillRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if n := given(); n != 0 {
		t.Errorf("%d buffers given back that a WithJSONUnmarshal decoder or an UnmarshalJSON method saw", n)
	}
	if !bytes.Equal(kept, body) || len(r.Value) != 600 || !bytes.HasPrefix(r.Value[0].kept, []byte(`{"s":"item 0"`)) {
		t.Errorf("bytes a decoder kept changed")
	}
}

// TestBodyBuffer_LargeBodiesAreNotAllocatedAgain: once warm, a call whose
// 1 MB body decodes to almost nothing allocates far less than the body.
// Not parallel: it counts the bytes the whole process allocates.
func TestBodyBuffer_LargeBodiesAreNotAllocatedAgain(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops goccy's buffers at random under the race detector; see TestReadBody_TakesAGivenBuffer")
	}
	body := skillBody(true, fmt.Appendf(nil, `{"n":1,"pad":%q}`, strings.Repeat("x", 1<<20)), "")
	c := servedBody(t, body)
	ctx := context.Background()
	call := func() {
		r, err := ExecuteSkillAs[struct{ N int }](ctx, c, bufSkill, ExecuteSkillRequest{})
		if err != nil || r.Value.N != 1 {
			t.Fatalf("r, err = %v, %v", r, err)
		}
	}
	for range 4 { // warm: the connection, the decoder's pool, ours
		call()
	}
	const calls = 40
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range calls {
		call()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / calls; per > uint64(len(body))/4 {
		t.Errorf("a call allocated %d KiB for a %d KiB body: its buffer is not reused", per>>10, len(body)>>10)
	}
}

// TestReadBody_TakesAGivenBuffer: a body read after one of its size was
// given back allocates nothing. Not parallel: another test could take the
// buffer.
func TestReadBody_TakesAGivenBuffer(t *testing.T) {
	emptyPool(t)
	body := bytes.Repeat([]byte("x"), 1<<20)
	r := bytes.NewReader(body)
	read := func() {
		r.Reset(body)
		b, err := readBody(r, DefaultMaxResponseBytes, int64(len(body)))
		if err != nil || !bytes.Equal(b, body) {
			t.Fatalf("readBody = %d bytes, %v", len(b), err)
		}
		giveBody(b)
	}
	read()
	if allocs := testing.AllocsPerRun(20, read); allocs != 0 {
		t.Errorf("reading a 1 MiB body again allocates %v times", allocs)
	}
}

func TestSizeClass(t *testing.T) {
	t.Parallel()
	prev := 0
	for n := 1; n <= 1<<maxClassShift; n += 1 + n/97 {
		i, size, ok := sizeClass(n)
		if !ok || size < n || i < 0 || i >= numClasses {
			t.Fatalf("sizeClass(%d) = %d, %d, %v", n, i, size, ok)
		}
		if n > 1<<minClassShift && size > n+n/4 {
			t.Errorf("sizeClass(%d) = %d: more than a quarter wasted", n, size)
		}
		if size < prev {
			t.Fatalf("sizeClass(%d) = %d, smaller than for a smaller n", n, size)
		}
		prev = size
		if j, s, _ := sizeClass(size); j != i || s != size {
			t.Errorf("a class's own size %d is in class %d of %d, not %d", size, j, s, i)
		}
	}
	if _, _, ok := sizeClass(1<<maxClassShift + 1); ok {
		t.Errorf("a body over the last class has a class")
	}
	if _, size, _ := sizeClass(1 << minClassShift); size != maxPrealloc {
		t.Errorf("the first class is %d bytes, want maxPrealloc", size)
	}
}

// emptyPool empties the pool shared by the tests, now and when t ends.
func emptyPool(t *testing.T) {
	empty := func() {
		bodyPool.mu.Lock()
		defer bodyPool.mu.Unlock()
		bodyPool.free, bodyPool.bytes = [numClasses][]freeBody{}, 0
	}
	empty()
	t.Cleanup(empty)
}

// Not parallel: it fills the pool other tests share.
func TestBodyBuffer_PoolHoldsAtMostMaxPooledBytes(t *testing.T) {
	emptyPool(t)
	// No collection meanwhile: it would age buffers out of the pool.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	_, size, _ := sizeClass(1 << 20)
	for range 2 * maxPooledBytes / size {
		giveBody(make([]byte, 0, size))
	}
	bodyPool.mu.Lock()
	held := bodyPool.bytes
	bodyPool.mu.Unlock()
	if held > maxPooledBytes {
		t.Errorf("the pool holds %d MiB, over %d MiB", held>>20, maxPooledBytes>>20)
	}
	if held < maxPooledBytes-size {
		t.Errorf("the pool holds %d MiB of %d MiB given back, want it full to %d MiB", held>>20, 2*maxPooledBytes>>20, maxPooledBytes>>20)
	}
}

// Not parallel: it empties the pool other tests share.
func TestBodyBuffer_UnusedBuffersGoAfterTwoCollections(t *testing.T) {
	emptyPool(t)
	_, size, _ := sizeClass(200 << 10)
	given := make([]byte, 0, size)
	giveBody(given)
	collected()
	if b := takeBody(size); b == nil || &b[:1][0] != &given[:1][0] {
		t.Fatalf("a buffer given back before one collection is gone")
	}
	giveBody(given)
	collected()
	collected()
	if b := takeBody(size); b != nil {
		t.Errorf("a buffer given back two collections ago is still taken")
	}
	bodyPool.mu.Lock()
	held := bodyPool.bytes
	bodyPool.mu.Unlock()
	if held != 0 {
		t.Errorf("after two collections the pool counts %d KiB", held>>10)
	}
	// The collector's own collections count, not only these calls.
	bodyPool.mu.Lock()
	epoch := bodyPool.epoch
	bodyPool.mu.Unlock()
	for range 1000 {
		runtime.GC()
		bodyPool.mu.Lock()
		now := bodyPool.epoch
		bodyPool.mu.Unlock()
		if now-epoch >= 2 {
			return
		}
		runtime.Gosched() // the cleanup that counts it runs after the collection
	}
	t.Errorf("1000 collections moved the pool's count of them by %d", bodyPool.epoch-epoch)
}

func TestCallsMethods(t *testing.T) {
	t.Parallel()
	type plain struct {
		A string
		B []map[string]any
		C *[3]float64
	}
	type self struct {
		Next *self
		V    json.RawMessage
		T    time.Time
	}
	type deep struct{ X []map[string]*keeper }
	type textKey struct{ M map[net4]int }
	for _, tt := range []struct {
		t    reflect.Type
		want bool
	}{
		{reflect.TypeFor[plain](), false},
		{reflect.TypeFor[self](), false},
		{reflect.TypeFor[json.RawMessage](), false},
		{reflect.TypeFor[any](), false},
		{reflect.TypeFor[keeper](), true},
		{reflect.TypeFor[deep](), true},
		{reflect.TypeFor[textKey](), true},
		{reflect.TypeFor[json.Unmarshaler](), true},
	} {
		if got := callsMethods(tt.t); got != tt.want {
			t.Errorf("callsMethods(%v) = %v, want %v", tt.t, got, tt.want)
		}
	}
}

// net4 is a map key decoded by its UnmarshalText.
type net4 [4]byte

func (n *net4) UnmarshalText(b []byte) error { copy(n[:], b); return nil }
