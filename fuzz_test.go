package browseruse

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/browser-use/browseruse-go/gen"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/; `make fuzz` explores
// from them, and plain `go test` replays them as regression tests.

const fuzzKey = "bu_fuzz_key_0123"

var fuzzNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func executeSkillOp(t testing.TB) *operation {
	rt, err := specRoutes()
	if err != nil {
		t.Fatal(err)
	}
	op := rt.match(http.MethodPost, "/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute")
	if op == nil {
		t.Fatal("the spec has no Execute Skill operation")
	}
	return op
}

// fuzzResponse is a response as send hands it on, with body already read
// and, like everything the server sent, cleared of the key by p.
func fuzzResponse(p *policy, status int, contentType string, body []byte) (*http.Response, []byte) {
	u, _ := url.Parse("https://api.example.com/skills/3f1c6a52-6a3e-4c1e-9d55-0b6a8a1f2c10/execute")
	h := http.Header{}
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	resp := &http.Response{StatusCode: status, Header: h, Request: &http.Request{Method: http.MethodPost, URL: u}}
	return resp, p.redactResponse(resp, body)
}

// checkAPIError holds an *APIError to what every caller may rely on.
func checkAPIError(t *testing.T, e *APIError, status int) {
	t.Helper()
	if e.StatusCode != status {
		t.Fatalf("StatusCode = %d, want %d", e.StatusCode, status)
	}
	// 512 bytes of body; each invalid byte becomes a 3-byte U+FFFD.
	if !utf8.ValidString(e.Body) || len(e.Body) > snippetLimit+len("…") {
		t.Fatalf("Body snippet is %d bytes or not UTF-8: %q", len(e.Body), e.Body)
	}
	if msg := e.Error(); !strings.HasPrefix(msg, "browseruse: ") {
		t.Fatalf("Error() = %q", msg)
	}
}

// FuzzSkillResponse drives status x content type x body through what the
// client does with a response: a 2xx is decoded as the Execute Skill
// envelope (typed and raw) and held to the spec, anything else becomes an
// *APIError. Every outcome is exactly one of payload and error.
func FuzzSkillResponse(f *testing.F) {
	op := executeSkillOp(f)
	key := secret(fuzzKey)
	p := &policy{key: &key}
	// Leading whitespace changes no JSON value, so padding, here to the size
	// of a large result, must not change any outcome.
	pad := bytes.Repeat([]byte(" "), 16<<10)

	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		status = 100 + (status%500+500)%500
		resp, body := fuzzResponse(p, status, contentType, body)
		if status < 200 || status > 299 {
			e := newAPIError(resp, body, op)
			checkAPIError(t, e, status)
			for _, shown := range []string{e.Error(), fmt.Sprintf("%+v", e), fmt.Sprintf("%#v", e), e.Detail, e.Body, e.RequestID} {
				if showsFuzzKey(shown) {
					t.Fatalf("the key shows in the error: %q", shown)
				}
			}
			return
		}
		s := sent{resp: resp, body: body, op: op, attempts: 1}
		raw, rawErr := decodeSkillResponse[json.RawMessage](p, s)
		checkOneOf(t, status, raw, rawErr)
		typed, typedErr := decodeSkillResponse[map[string]any](p, s)
		checkOneOf(t, status, typed, typedErr)
		for _, err := range []error{rawErr, typedErr} {
			var e *APIError
			if errors.As(err, &e) && (showsFuzzKey(e.Error()) || showsFuzzKey(e.Body)) {
				t.Fatalf("the key shows in a rejected success: %q", e.Error())
			}
			if err != nil && showsFuzzKey(fmt.Sprintf("%+v", err)) {
				t.Fatalf("the key shows in the error: %+v", err)
			}
		}
		if raw != nil && (showsFuzzKey(string(raw.Value)) || showsFuzzKey(raw.Stderr)) {
			t.Fatalf("the key shows in the result: %q, stderr %q", raw.Value, raw.Stderr)
		}
		if typed != nil && showsFuzzKey(fmt.Sprintf("%#v", typed.Value)) {
			t.Fatalf("the key shows in the decoded result: %#v", typed.Value)
		}

		if raw != nil {
			var env struct{ Success *bool }
			if !isJSONMediaType(contentType) || json.Unmarshal(body, &env) != nil || env.Success == nil || !*env.Success {
				t.Fatalf("payload for a body that is not a successful envelope: %q %q", contentType, body)
			}
			if len(raw.Value) > 0 && !json.Valid(raw.Value) {
				t.Fatalf("result %q is not JSON", raw.Value)
			}
			// Whatever ExecuteSkill accepts, the generated path (Do) accepts.
			if err := p.checkSuccess(s, true); err != nil {
				t.Fatalf("ExecuteSkill accepted what Do refuses: %v", err)
			}
		}
		var skillErr *SkillError
		if errors.As(rawErr, &skillErr) != errors.As(typedErr, &skillErr) {
			t.Fatalf("raw and typed decoding disagree on skill failure: %v / %v", rawErr, typedErr)
		}
		// Through API(), the same body is a payload exactly when ExecuteSkill
		// gives a result or a skill failure, and otherwise an *APIError.
		genResp, genErr := viaGenerated(p, s)
		var apiErr *APIError
		switch {
		case (genErr == nil) != (rawErr == nil || errors.As(rawErr, &skillErr)):
			t.Fatalf("API() and ExecuteSkill disagree: %v / %v", genErr, rawErr)
		case genErr != nil && (!errors.As(genErr, &apiErr) || genResp != nil):
			t.Fatalf("API() returned %v and %T %v, want only an *APIError", genResp, genErr, genErr)
		case genErr == nil && genResp.JSON200 == nil:
			t.Fatalf("API() returned no payload and no error")
		}
		if genErr != nil {
			checkOneOf[int](t, status, nil, genErr)
		}

		s.body = append(append([]byte(nil), pad...), body...)
		padded, paddedErr := decodeSkillResponse[json.RawMessage](p, s)
		checkOneOf(t, status, padded, paddedErr)
		switch {
		case (raw == nil) != (padded == nil):
			t.Fatalf("padding changed the outcome: %v then %v", rawErr, paddedErr)
		case raw != nil && !sameJSON(raw.Value, padded.Value):
			t.Fatalf("padding changed the result: %q then %q", raw.Value, padded.Value)
		case raw != nil && (raw.LatencyMs != padded.LatencyMs || raw.Stderr != padded.Stderr):
			t.Fatalf("padding changed the metadata: %+v then %+v", raw, padded)
		case errors.As(rawErr, &skillErr) != errors.As(paddedErr, &skillErr):
			t.Fatalf("padding changed the error class: %v then %v", rawErr, paddedErr)
		}
	})
}

// showsFuzzKey reports whether s reads as holding the key as it is, or once
// its %-escapes and JSON escapes are decoded, in up to three rounds of
// both: the client promises three rounds on any text it shows, a server's
// text as sent or once JSON-decoded.
func showsFuzzKey(s string) bool {
	for range 4 {
		if strings.Contains(s, fuzzKey) {
			return true
		}
		s = unescapeRound(s)
	}
	return false
}

// unescapeRound decodes, left to right, every %XX, \uXXXX of an ASCII
// character, \", \\ and \/ of s; it keeps anything else as it is.
func unescapeRound(s string) string {
	hex := func(h string) int {
		v, err := strconv.ParseUint(h, 16, 16)
		if err != nil {
			return -1
		}
		return int(v)
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '%' && i+3 <= len(s) && hex(s[i+1:i+3]) >= 0:
			b.WriteByte(byte(hex(s[i+1 : i+3])))
			i += 2
		case s[i] == '\\' && i+6 <= len(s) && s[i+1] == 'u' && hex(s[i+2:i+6]) >= 0 && hex(s[i+2:i+6]) < 0x80:
			b.WriteByte(byte(hex(s[i+2 : i+6])))
			i += 5
		case s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\/`, s[i+1]) >= 0:
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// viaGenerated is what ExecuteSkillWithResponse returns for s: the policy's
// check and body (as Do hands them on), then the generated parser.
func viaGenerated(p *policy, s sent) (*gen.ExecuteSkillHTTPResponse, error) {
	resp := *s.resp
	resp.Header = resp.Header.Clone()
	s.resp = &resp
	if err := p.checkSuccess(s, true); err != nil {
		return nil, err
	}
	resp.Body = newSuccessBody(p, s)
	return gen.ParseExecuteSkillHTTPResponse(&resp)
}

func checkOneOf[T any](t *testing.T, status int, res *Result[T], err error) {
	t.Helper()
	if (res == nil) == (err == nil) {
		t.Fatalf("got payload %v and error %v: want exactly one", res, err)
	}
	if err == nil {
		return
	}
	var apiErr *APIError
	var skillErr *SkillError
	switch {
	case errors.As(err, &apiErr):
		checkAPIError(t, apiErr, status)
		if apiErr.Err == nil {
			t.Fatalf("a 2xx refused without saying why: %v", err)
		}
	case errors.As(err, &skillErr):
		if !errors.Is(err, ErrSkillFailed) || skillErr.Error() == "" {
			t.Fatalf("skill failure %v does not match ErrSkillFailed", err)
		}
	default:
		t.Fatalf("error %T %v is neither *APIError nor *SkillError", err, err)
	}
}

func sameJSON(a, b []byte) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return bytes.Equal(a, b)
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

// FuzzDecodeErrorBody feeds error bodies of every shape (FastAPI detail
// string, list or object, bare validation error, problem+json, HTML, junk)
// to the decoder: it must not panic, must give either a reading or a
// reason, never both, and the error built from a non-empty body must carry
// something of it (Detail, Errors or the Body snippet).
func FuzzDecodeErrorBody(f *testing.F) {
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		detail, list, err := decodeErrorBody(contentType, body)
		if err != nil && (detail != "" || list != nil) {
			t.Fatalf("both a reading (%q, %v) and an error (%v)", detail, list, err)
		}
		for _, v := range list {
			_ = v.String()
		}
		resp, body := fuzzResponse(&policy{}, 422, contentType, body)
		e := newAPIError(resp, body, nil)
		checkAPIError(t, e, 422)
		if len(body) > 0 && e.Detail == "" && len(e.Errors) == 0 && e.Body == "" {
			t.Fatalf("the error for %q kept nothing of it", body)
		}
	})
}

// FuzzParseRetryAfter: a server's Retry-After can never produce a negative
// wait (which would mean "retry at once, forever") or a panic.
func FuzzParseRetryAfter(f *testing.F) {
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := parseRetryAfter(v, fuzzNow)
		if d < 0 || (!ok && d != 0) {
			t.Fatalf("parseRetryAfter(%q) = %v, %v", v, d, ok)
		}
	})
}

// The types FuzzDecodeMatchesEncodingJSON decodes each input into: between
// them, every rule of encoding/json's decoding that a fast decoder could get
// wrong.

type fzTagged struct {
	Name     string             `json:"name"`
	Count    int                `json:"count,omitempty"`
	Skipped  string             `json:"-"`
	Dash     string             `json:"-,"`
	Untagged float64            // matched case-insensitively, as every name
	Ptr      *fzTagged          `json:"ptr"`
	List     []string           `json:"list"`
	Map      map[string]int     `json:"map"`
	Any      any                `json:"any"`
	Raw      json.RawMessage    `json:"raw"`
	Bytes    []byte             `json:"bytes"`
	Arr      [2]int             `json:"arr"`
	Nested   struct{ A, B int } `json:"nested"`
	private  int
}

type fzString struct {
	I  int64   `json:"i,string"`
	U  uint16  `json:"u,string"`
	F  float64 `json:"f,string"`
	B  bool    `json:"b,string"`
	S  string  `json:"s,string"`
	P  *int    `json:"p,string"`
	IS []int   `json:"is,string"` // ,string applies to scalars only
}

type fzInner struct {
	A    string `json:"a"`
	Both int    `json:"both"`
}

type fzOther struct {
	B    string `json:"b"`
	Both int    `json:"both"` // conflicts with fzInner.Both: neither is set
}

type fzEmbedded struct {
	fzInner
	*fzOther
	C string `json:"c"`
}

// fzUpper is a json.Unmarshaler that keeps the raw text upper-cased and
// fails on a number, so that decoders must call it with the exact bytes.
type fzUpper string

func (u *fzUpper) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return errors.New("fzUpper: no numbers")
	}
	*u = fzUpper(strings.ToUpper(string(b)))
	return nil
}

// fzText is an encoding.TextUnmarshaler, used as a value and as a map key.
type fzText struct{ s string }

func (t *fzText) UnmarshalText(b []byte) error {
	if strings.Contains(string(b), "!") {
		return fmt.Errorf("fzText: %q has a bang", b)
	}
	t.s = "<" + string(b) + ">"
	return nil
}

type fzTextKey string

func (k *fzTextKey) UnmarshalText(b []byte) error {
	*k = fzTextKey("k:" + string(b))
	return nil
}

type fzMethods struct {
	U   fzUpper           `json:"u"`
	UP  *fzUpper          `json:"up"`
	T   fzText            `json:"t"`
	TP  *fzText           `json:"tp"`
	TM  map[fzTextKey]int `json:"tm"`
	Us  []fzUpper         `json:"us"`
	Tim time.Time         `json:"time"`
	Dur time.Duration     `json:"dur"`
	Num json.Number       `json:"num"`
	NS  json.Number       `json:"ns,string"`
	IM  map[int]string    `json:"im"`
	UM  map[uint8]bool    `json:"um"`
	Ifc fmt.Stringer      `json:"ifc"` // a non-empty interface cannot be filled
}

type fzInts struct {
	I8  int8    `json:"i8"`
	I16 int16   `json:"i16"`
	I32 int32   `json:"i32"`
	I64 int64   `json:"i64"`
	I   int     `json:"i"`
	U8  uint8   `json:"u8"`
	U16 uint16  `json:"u16"`
	U32 uint32  `json:"u32"`
	U64 uint64  `json:"u64"`
	U   uint    `json:"u"`
	Ptr uintptr `json:"ptr"`
	F32 float32 `json:"f32"`
	F64 float64 `json:"f64"`
}

// fzKey is a struct map key, which encoding/json refuses.
type fzKey struct{ A int }

// fzKeys nests the refused map keys in fields.
type fzKeys struct {
	F  map[float64]int  `json:"f"`
	B  map[bool]int     `json:"b"`
	A  []map[[1]int]int `json:"a"`
	P  *map[*int]int    `json:"p"`
	OK map[int8]int     `json:"ok"`
}

// fzProduct is the shape of a scraped result, as in the benchmarks.
type fzProduct struct {
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	Price       float64 `json:"price"`
	InStock     bool    `json:"inStock"`
	Description string  `json:"description"`
}

// FuzzDecodeMatchesEncodingJSON holds unmarshalJSON, the decoder of
// ExecuteSkillAs and SkillResult.Decode, to encoding/json: for every input
// and every type, the same error text (or none), and on success the same
// value.
func FuzzDecodeMatchesEncodingJSON(f *testing.F) {
	for _, body := range envelopeCases {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sameDecode[any](t, data)
		sameDecode[map[string]any](t, data)
		sameDecode[[]any](t, data)
		sameDecode[string](t, data)
		sameDecode[*float64](t, data)
		sameDecode[json.Number](t, data)
		sameDecode[json.RawMessage](t, data)
		sameDecode[fzTagged](t, data)
		sameDecode[fzString](t, data)
		sameDecode[fzEmbedded](t, data)
		sameDecode[fzMethods](t, data)
		sameDecode[fzInts](t, data)
		sameDecode[[]fzProduct](t, data)
		sameDecode[map[string]fzInts](t, data)
		sameDecode[[]int8](t, data)
		sameDecode[[]uint64](t, data)
		sameDecode[skillEnvelope[json.RawMessage]](t, data)
		sameDecode[skillEnvelope[[]fzProduct]](t, data)
		// Map keys encoding/json refuses (only strings, integers and
		// TextUnmarshalers are keys), at the top and nested.
		sameDecode[map[float64]int](t, data)
		sameDecode[map[float32]string](t, data)
		sameDecode[map[bool]string](t, data)
		sameDecode[map[[2]int]int](t, data)
		sameDecode[map[fzKey]int](t, data)
		sameDecode[map[*string]int](t, data)
		sameDecode[map[*fzTextKey]int](t, data)
		sameDecode[fzKeys](t, data)
		sameDecode[**fzInts](t, data)
		// Decoding into a filled value merges into it (Decode's v may be).
		sameDecodeInto(t, data, func() *fzTagged {
			one := fzTagged{Name: "kept", Count: 1}
			return &fzTagged{Name: "old", Ptr: &one, List: []string{"a", "b", "c"}, Map: map[string]int{"k": 1}, Any: &one, Arr: [2]int{1, 2}}
		})
		sameDecodeInto(t, data, func() *any { var v any = &fzInts{I: 7}; return &v })
		// An any holding a pointer to a pointer: encoding/json decodes
		// through both (null sets the inner one to nil and keeps the any).
		sameDecodeInto(t, data, func() *any { p := &fzInts{I: 7}; var v any = &p; return &v })
		sameDecodeInto(t, data, func() *any { var p *fzInts; var v any = &p; return &v })
		sameDecodeInto(t, data, func() *any { s := "s"; p := &s; var v any = &p; return &v })
		sameDecodeInto(t, data, func() *[]any {
			p := &fzProduct{ID: 1}
			return &[]any{&p, nil, map[string]any{"k": 1}}
		})
		sameDecodeInto(t, data, func() *fzTagged { p := &fzTagged{Name: "in"}; return &fzTagged{Any: &p} })
		sameDecodeInto(t, data, func() *[]fzProduct { return &[]fzProduct{{ID: 1, Name: "a"}, {ID: 2}} })
		sameDecodeInto(t, data, func() *[]int { return &[]int{1} })
		// ,string on types that decode themselves, and an Unmarshaler that
		// shows a second call.
		sameDecode[fzStringMethods](t, data)
		// Into empty slices made with room, as ExecuteSkillAs makes a
		// result's (see presizedResult).
		samePresized(t, data, func() *[]fzProduct { s := make([]fzProduct, 0, 2); return &s })
		samePresized(t, data, func() *[]*fzProduct { s := make([]*fzProduct, 0, 70); return &s })
		samePresized(t, data, func() *skillEnvelope[[]fzProduct] {
			return &skillEnvelope[[]fzProduct]{Result: make([]fzProduct, 0, 3)}
		})
		samePresized(t, data, func() *skillEnvelope[[]map[string]any] {
			return &skillEnvelope[[]map[string]any]{Result: make([]map[string]any, 0, 2)}
		})
	})
}

// samePresized is sameDecodeInto through unmarshalPresized, whose caller
// drops the value on an error: only the error must be the same then.
func samePresized[T any](t *testing.T, data []byte, fresh func() *T) {
	t.Helper()
	got, want := fresh(), fresh()
	gotErr := unmarshalPresized(data, got)
	wantErr := json.Unmarshal(data, want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%T from %q: error %v, encoding/json says %v", want, data, gotErr, wantErr)
	}
	if gotErr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%T from %q:\n got %#v\nwant %#v", want, data, *got, *want)
	}
}

// fzStringMethods has ,string on Unmarshalers of scalar kind, which goccy
// and encoding/json read differently, and an Unmarshaler that appends.
type fzStringMethods struct {
	T   fzTextKey       `json:"t,string"`
	PT  *fzTextKey      `json:"pt,string"`
	U   fzUpper         `json:"u,string"`
	PU  *fzUpper        `json:"pu,string"`
	R   json.RawMessage `json:"r,string"`
	Acc fzAppender      `json:"acc"`
	F   float32         `json:"f"`
}

type fzAppender []string

func (a *fzAppender) UnmarshalJSON(b []byte) error { *a = append(*a, string(b)); return nil }

func sameDecode[T any](t *testing.T, data []byte) {
	t.Helper()
	sameDecodeInto(t, data, func() *T { return new(T) })
}

func sameDecodeInto[T any](t *testing.T, data []byte, fresh func() *T) {
	t.Helper()
	got, want := fresh(), fresh()
	gotErr := unmarshalJSON(data, got)
	wantErr := json.Unmarshal(data, want)
	if (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()) {
		t.Fatalf("%T from %q: error %v, encoding/json says %v", want, data, gotErr, wantErr)
	}
	if !reflect.DeepEqual(got, want) { // after an error too
		t.Fatalf("%T from %q:\n got %#v\nwant %#v", want, data, *got, *want)
	}
}

// Execute Skill bodies that a decoder of the envelope could get wrong; seeds
// of FuzzDecodeMatchesEncodingJSON.
var envelopeCases = []string{
	`{"success":true,"result":{"a":[1,2,{"b":"}"}]},"latencyMs":5}`,
	`{"success":true,"result":[]}`,
	`{"success":true,"result":null,"stderr":"warn"}`,
	`{"success":true}`,
	`{}`,
	` { "success" : true , "result" : "x\"}],{[" , "latencyMs" : 12 } `,
	"{\n\t\"result\"\r\n:\t-1.5e+3\n,\"success\":false,\"error\":\"boom\"}",
	`{"success":true,"result":1,"result":{"last":true}}`,
	`{"success":true,"Result":"capitalised","RESULT":"shouting"}`,
	`{"success":true,"result":"backslash at the end \\","stderr":"a\\\"b"}`,
	`{"success":true,"r\u0065sult":"escaped name","result":"plain"}`,
	`{"success":true,"result":"plain","r\u0065sult":"escaped name last"}`,
	`{"success":true,"nested":{"result":"inner"},"result":"outer"}`,
	`{"success":true,"nested":{"result":"inner"}}`,
	`{"success":true,"result":true,"extra":[null,false,"]"]}`,
	`{"success":true,"result":"ſ and K folds","reſult":"long s"}`,
	`{"success":"yes","result":1}`,
	`{"success":true,"result":1,"latencyMs":"slow"}`,
	`[{"success":true,"result":1}]`,
	`"just a string"`,
	`null`,
}
