package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// parseParam splits a -p argument. The value is JSON when it parses as JSON,
// so -p X=10 sends a number and -p q=hello a string without the user quoting
// anything; a string that looks like JSON needs JSON quotes (-p 'id="10"').
func parseParam(arg string) (key string, value any, err error) {
	key, raw, ok := strings.Cut(arg, "=")
	if !ok {
		return "", nil, fmt.Errorf("-p %q: want key=value", arg)
	}
	if key == "" {
		return "", nil, fmt.Errorf("-p %q: the key before '=' is empty", arg)
	}
	if v, err := decodeJSON([]byte(raw)); err == nil {
		return key, v, nil
	}
	return key, raw, nil
}

// decodeJSON decodes exactly one JSON value. Numbers stay json.Number, so an
// id like 12345678901234567890 reaches the API digit for digit instead of
// passing through float64.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the JSON value")
	}
	return v, nil
}

// readParamsJSON reads the --params-json object from a file, or from stdin
// for "-".
func readParamsJSON(ctx context.Context, name string, stdin io.Reader) (map[string]any, error) {
	var (
		b   []byte
		err error
	)
	from := name
	if name == "-" {
		from = "stdin"
		b, err = unlessDone(ctx, func() ([]byte, error) { return io.ReadAll(io.LimitReader(stdin, maxParamsBytes+1)) })
	} else {
		// Opening a FIFO waits for its writer, and reading a process
		// substitution for its producer: a Ctrl-C ends the wait.
		b, err = unlessDone(ctx, func() ([]byte, error) { return readParamsFile(name) })
	}
	if err != nil {
		return nil, fmt.Errorf("--params-json: %w", err)
	}
	if len(b) > maxParamsBytes {
		return nil, fmt.Errorf("--params-json: %s is over %s, the most the command sends as parameters", from, maxParamsText)
	}
	b = bytes.TrimPrefix(b, []byte(utf8BOM))
	v, err := decodeJSON(b)
	if err != nil {
		return nil, fmt.Errorf("--params-json: %s is not valid JSON: %s", from, jsonErrorAt(b, err))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("--params-json: %s holds %s, want a JSON object such as {\"X\": 10}", from, jsonKind(v))
	}
	return obj, nil
}

// maxParamsBytes is the most the command sends as one call's parameters
// (--params-json, a --batch line). The API documents no limit; this one
// refuses a wrong file at once, where sending it would take seconds and
// gigabytes of memory before the API (or the fake, echoing it) refused it.
const (
	maxParamsBytes = 10 << 20
	maxParamsText  = "10 MiB"
)

// readParamsFile reads a file of parameters, or its first maxParamsBytes+1 bytes
// when it is larger: enough to refuse it.
func readParamsFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxParamsBytes+1))
}

// unlessDone returns what read returns unless ctx ends first. A read from a
// terminal or a pipe, or the open of a FIFO, cannot be cancelled, so on
// Ctrl-C the reading goroutine is left blocked: the command exits right
// after, which ends it.
func unlessDone(ctx context.Context, read func() ([]byte, error)) ([]byte, error) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := read()
		done <- result{b, err}
	}()
	select {
	case res := <-done:
		return res.b, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// jsonErrorAt adds the line and column to a syntax error: "offset 812" is no
// help in a hand-edited file.
func jsonErrorAt(b []byte, err error) string {
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		if errors.Is(err, io.EOF) {
			return "it is empty"
		}
		return err.Error()
	}
	// Offset counts the bytes read, the offending one included: it is the
	// last of before.
	before := b[:min(int(syn.Offset), len(b))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := max(len(before)-bytes.LastIndexByte(before, '\n')-1, 1)
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}
