package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/browser-use/browseruse-go"
	"github.com/browser-use/browseruse-go/gen"
)

// binding is how to call one operation through the generated client.
//
// Methods are matched to operations by what they send, not by name: each
// ...WithResponse method is called once with marker values and a request
// editor that stops it before anything reaches the network, and the method
// and path it built say which operation it is and which argument fills which
// path parameter. Names stay free to change in api/overlay.yaml.
type binding struct {
	name      string
	fn        reflect.Value
	pathTypes []reflect.Type
	pathArg   []int        // pathArg[i] indexes specOp.PathParams for the i-th path argument
	params    reflect.Type // *...Params, or nil
	body      reflect.Type // typed JSON body, or nil
	raw       bool         // takes (contentType string, body io.Reader)
}

var (
	ctxType    = reflect.TypeFor[context.Context]()
	readerType = reflect.TypeFor[io.Reader]()
	editorType = reflect.TypeFor[[]gen.RequestEditorFn]()
	errProbe   = errors.New("contract: probe, not sent")
	paramInSeg = regexp.MustCompile(`\{[^}]*\}`)
)

// bind finds the generated method for each operation of s. An operation
// with a JSON body is called through its typed method, so the generated
// request types are part of what is checked.
func bind(c *browseruse.Client, s *spec) (map[*specOp]*binding, []error) {
	base := ""
	if u, err := url.Parse(c.BaseURL()); err == nil {
		base = strings.TrimSuffix(u.EscapedPath(), "/")
	}
	v := reflect.ValueOf(c.API())
	names := map[string]bool{}
	for i := range v.NumMethod() {
		names[v.Type().Method(i).Name] = true
	}
	byShape := map[string]*specOp{}
	for _, op := range s.ops {
		byShape[op.Method+" "+paramInSeg.ReplaceAllString(op.Template, "{}")] = op
	}

	out := map[*specOp]*binding{}
	var problems, unprobed []error
	for i := range v.NumMethod() {
		name := v.Type().Method(i).Name
		if !strings.HasSuffix(name, "WithResponse") {
			continue
		}
		b, ok := classify(name, v.Method(i), names)
		if !ok {
			continue
		}
		method, segs, err := b.probe(base)
		if err != nil {
			unprobed = append(unprobed, err) // not an operation method, or one the suite cannot drive
			continue
		}
		shape := method + " /" + strings.Join(segs, "/")
		op := byShape[shape]
		if op == nil {
			problems = append(problems, fmt.Errorf("%s sends %s, which is no operation of the spec", name, shape))
			continue
		}
		if err := b.mapPathArgs(op); err != nil {
			problems = append(problems, fmt.Errorf("%s: %w", name, err))
			continue
		}
		if prev := out[op]; prev == nil || (prev.raw && !b.raw) {
			out[op] = b
		}
	}
	unbound := false
	for _, op := range s.ops {
		if out[op] == nil {
			unbound = true
			problems = append(problems, fmt.Errorf("no generated method calls %s %s (%s): is gen/ stale?", op.Method, op.Template, op.ID))
		}
	}
	if unbound {
		problems = append(problems, unprobed...) // one of these may be the missing method
	}
	return out, problems
}

// classify reads a method's signature:
// (ctx, pathArgs..., [params *XParams], [contentType string, body io.Reader | body X], editors...).
func classify(name string, fn reflect.Value, names map[string]bool) (*binding, bool) {
	t := fn.Type()
	if !t.IsVariadic() || t.NumIn() < 2 || t.In(0) != ctxType || t.In(t.NumIn()-1) != editorType || t.NumOut() != 2 {
		return nil, false
	}
	var mid []reflect.Type
	for i := 1; i < t.NumIn()-1; i++ {
		mid = append(mid, t.In(i))
	}
	b := &binding{name: name, fn: fn}
	base := strings.TrimSuffix(name, "WithResponse")
	switch n := len(mid); {
	case n >= 2 && mid[n-1] == readerType && mid[n-2].Kind() == reflect.String:
		b.raw, mid = true, mid[:n-2]
	case names[base+"WithBodyWithResponse"] && n >= 1:
		b.body, mid = mid[n-1], mid[:n-1]
	}
	if n := len(mid); n >= 1 && mid[n-1].Kind() == reflect.Pointer &&
		mid[n-1].Elem().Kind() == reflect.Struct && strings.HasSuffix(mid[n-1].Elem().Name(), "Params") {
		b.params, mid = mid[n-1], mid[:n-1]
	}
	b.pathTypes = mid
	return b, true
}

// marker returns a distinct value of type t for path argument i, and how it
// shows in the path.
func marker(t reflect.Type, i int) (reflect.Value, string, error) {
	for _, text := range []string{
		fmt.Sprintf("%q", fmt.Sprintf("7c0de000-0000-4000-8000-%012d", i)),
		strconv.Itoa(7100 + i),
	} {
		p := reflect.New(t)
		if json.Unmarshal([]byte(text), p.Interface()) == nil {
			return p.Elem(), strings.Trim(text, `"`), nil
		}
	}
	return reflect.Value{}, "", fmt.Errorf("cannot build a %v", t)
}

// probe calls the method with markers and returns the HTTP method and the
// path segments after basePath, with each argument's marker replaced by "{}".
func (b *binding) probe(basePath string) (string, []string, error) {
	var got *http.Request
	stop := gen.RequestEditorFn(func(_ context.Context, req *http.Request) error {
		got = req
		return errProbe
	})
	args := []reflect.Value{reflect.ValueOf(context.Background())}
	markers := make([]string, len(b.pathTypes))
	for i, t := range b.pathTypes {
		v, m, err := marker(t, i)
		if err != nil {
			return "", nil, err
		}
		args, markers[i] = append(args, v), m
	}
	if b.params != nil {
		args = append(args, reflect.Zero(b.params))
	}
	switch {
	case b.raw:
		args = append(args, reflect.ValueOf("application/json"), reflect.ValueOf(io.Reader(bytes.NewReader(nil))))
	case b.body != nil:
		args = append(args, reflect.Zero(b.body))
	}
	args = append(args, reflect.ValueOf(stop))
	out := b.fn.Call(args)
	if err, _ := out[1].Interface().(error); !errors.Is(err, errProbe) || got == nil {
		return "", nil, fmt.Errorf("%s did not build a request: %v", b.name, err)
	}
	segs := strings.Split(strings.Trim(strings.TrimPrefix(got.URL.EscapedPath(), basePath), "/"), "/")
	for i, m := range markers {
		found := false
		for j, seg := range segs {
			if strings.Contains(seg, m) {
				segs[j], found = strings.Replace(seg, m, "{}", 1), true
				b.pathArg = append(b.pathArg, j) // a segment index until mapPathArgs
				break
			}
		}
		if !found {
			return "", nil, fmt.Errorf("%s: argument %d is not in the path %s", b.name, i+1, got.URL.Path)
		}
	}
	return got.Method, segs, nil
}

// mapPathArgs turns the segment index of each path argument into the index
// of the spec parameter declared in that segment.
func (b *binding) mapPathArgs(op *specOp) error {
	segs := strings.Split(strings.Trim(op.Template, "/"), "/")
	for i, j := range b.pathArg {
		names := templateParams(segs[j])
		if len(names) != 1 {
			return fmt.Errorf("segment %q of %s holds %d parameters", segs[j], op.Template, len(names))
		}
		k := -1
		for n, p := range op.PathParams {
			if p.Name == names[0] {
				k = n
			}
		}
		if k < 0 {
			return fmt.Errorf("path parameter %q is not declared", names[0])
		}
		b.pathArg[i] = k
	}
	return nil
}

// call invokes the operation with values built from the spec in mode. It
// returns the generated response (a pointer, nil on error) and the client's
// error; setupErr says the suite could not build the arguments.
func (b *binding) call(ctx context.Context, s *spec, op *specOp, mode instanceMode, editors ...gen.RequestEditorFn) (resp reflect.Value, err, setupErr error) {
	args := []reflect.Value{reflect.ValueOf(ctx)}
	for i, t := range b.pathTypes {
		p := op.PathParams[b.pathArg[i]]
		v, err := s.instance(p.Schema, required)
		if err != nil {
			return reflect.Value{}, nil, fmt.Errorf("path parameter %s: %w", p.Name, err)
		}
		arg, err := convert(v, t)
		if err != nil {
			return reflect.Value{}, nil, fmt.Errorf("path parameter %s: %w", p.Name, err)
		}
		args = append(args, arg)
	}
	if b.params != nil {
		set := map[string]any{}
		for _, p := range op.OtherParams {
			if !p.Required && mode != every {
				continue
			}
			v, err := s.instance(p.Schema, mode)
			if err != nil {
				return reflect.Value{}, nil, fmt.Errorf("%s parameter %s: %w", p.In, p.Name, err)
			}
			set[p.Name] = v
		}
		arg, err := convert(set, b.params)
		if err != nil {
			return reflect.Value{}, nil, fmt.Errorf("parameters: %w", err)
		}
		args = append(args, arg)
	}
	if b.raw || b.body != nil {
		if op.Body == nil {
			return reflect.Value{}, nil, errors.New("the request body has no JSON schema: the suite cannot build one")
		}
		v, err := s.instance(op.Body, mode)
		if err != nil {
			return reflect.Value{}, nil, fmt.Errorf("request body: %w", err)
		}
		if b.raw {
			raw, _ := json.Marshal(v)
			args = append(args, reflect.ValueOf("application/json"), reflect.ValueOf(io.Reader(bytes.NewReader(raw))))
		} else {
			arg, err := convert(v, b.body)
			if err != nil {
				return reflect.Value{}, nil, fmt.Errorf("request body: %w", err)
			}
			args = append(args, arg)
		}
	}
	for _, e := range editors {
		args = append(args, reflect.ValueOf(e))
	}
	out := b.fn.Call(args)
	err, _ = out[1].Interface().(error)
	return out[0], err, nil
}

// convert puts a JSON value into a Go value of type t the way a caller's
// JSON would get there.
func convert(v any, t reflect.Type) (reflect.Value, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return reflect.Value{}, err
	}
	p := reflect.New(t)
	if err := json.Unmarshal(raw, p.Interface()); err != nil {
		return reflect.Value{}, fmt.Errorf("%s does not fit %v: %w", raw, t, err)
	}
	return p.Elem(), nil
}
