package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// heapSampler stands in for the records' stdout: every `every` records it
// collects the garbage and keeps the largest live heap seen.
type heapSampler struct {
	every, n int
	max      uint64
}

func (h *heapSampler) Write(p []byte) (int, error) {
	h.n += bytes.Count(p, []byte("\n"))
	if h.n%h.every == 0 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		h.max = max(h.max, m.HeapAlloc)
	}
	return len(p), nil
}

// batchHeap runs a batch of n lines against --fake in process and returns
// the largest live heap seen while it ran, and the heap before.
func batchHeap(t *testing.T, n int) (peak, before uint64) {
	t.Helper()
	name := filepath.Join(t.TempDir(), "in.jsonl")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for k := 1; k <= n; k++ {
		fmt.Fprintf(w, "{\"i\": %d, \"query\": \"desk lamp number %d\"}\n", k, k)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	h := &heapSampler{every: max(n/10, 1)}
	var stderr bytes.Buffer
	c := &cli{stdin: bytes.NewReader(nil), stdout: h, stderr: &stderr, getenv: func(string) string { return "" }}
	code := c.run(context.Background(), []string{"skills", "execute", "--fake", skill, "--batch", name, "--concurrency", "16"})
	if code != exitOK || h.n != n {
		t.Fatalf("exit code %d, %d records of %d lines:\n%s", code, h.n, n, stderr.String())
	}
	return h.max, m.HeapAlloc
}

// A batch's memory is what it has in flight, not its input's length, the
// fake's included: the live heap of a batch of 4n lines peaks where that of
// n lines does, give or take a little. (Before, it grew by about 1.4 KB a
// line: the reader's queue and bookkeeping, and every request the fake
// served.) HEAPLINES=300000 measures one batch of that many lines instead.
func TestBatch_HeapDoesNotGrowWithTheInput(t *testing.T) {
	if s := os.Getenv("HEAPLINES"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		peak, before := batchHeap(t, n)
		t.Logf("%d lines: live heap %.1f MB before, %.1f MB at most while the batch ran", n, float64(before)/1e6, float64(peak)/1e6)
		return
	}
	const n = 1_000
	small, _ := batchHeap(t, n)
	large, _ := batchHeap(t, 4*n)
	t.Logf("peak live heap: %d lines %.2f MB, %d lines %.2f MB", n, float64(small)/1e6, 4*n, float64(large)/1e6)
	if grown := int64(large) - int64(small); grown > 1<<20 {
		t.Errorf("the peak live heap grew by %d bytes (%.0f a line) for %d more lines: want no growth with the input",
			grown, float64(grown)/(3*n), 3*n)
	}
}
