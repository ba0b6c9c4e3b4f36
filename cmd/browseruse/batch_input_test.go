package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// failingReader yields its text, then fails.
type failingReader struct{ r io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errors.New("input/output error")
	}
	return n, err
}

// A read error on the input stops dispatching like a failed write: the
// calls sent are recorded, and the command exits 2 saying what failed.
func TestBatch_ReadErrorStopsWithExit2(t *testing.T) {
	var stdout, stderr bytes.Buffer
	c := &cli{stdin: &failingReader{strings.NewReader("{\"X\": 1}\n")}, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := c.run(context.Background(), []string{"skills", "execute", "--fake", skill, "--batch", "-"})
	if code != exitUsage || !strings.Contains(stderr.String(), "--batch: read -: input/output error") {
		t.Fatalf("exit code %d, want %d, and stderr saying why:\n%s", code, exitUsage, stderr.String())
	}
	if n := strings.Count(stdout.String(), "\n"); n > 1 {
		t.Errorf("%d records, want at most the one line read", n)
	}
}
