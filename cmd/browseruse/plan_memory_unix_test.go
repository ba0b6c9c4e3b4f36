//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Whatever sits at the memory's path, a batch starts: a FIFO planted there
// once blocked it before its first call (and SIGTERM with it), a link to
// /dev/zero read without end, a huge file was read whole. Such memories,
// and one dated ahead, are ignored.
func TestPlanMemory_IgnoresWhatIsNotASmallRegularFile(t *testing.T) {
	dir := t.TempDir()
	m := planMemoryFor(dir, "https://api.example", "bu_key")
	if err := os.MkdirAll(filepath.Dir(m.path), 0o700); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for name, plant := range map[string]func() error{
		"fifo":      func() error { return syscall.Mkfifo(m.path, 0o600) },
		"dev/zero":  func() error { return os.Symlink("/dev/zero", m.path) },
		"directory": func() error { return os.Mkdir(m.path, 0o700) },
		"huge": func() error {
			return os.WriteFile(m.path, []byte(`{"plan":50,"learned":"`+now.UTC().Format(time.RFC3339)+`"}`+strings.Repeat(" ", 8<<10)), 0o600)
		},
		"dated ahead": func() error {
			return os.WriteFile(m.path, []byte(`{"plan":50,"learned":"`+now.Add(48*time.Hour).UTC().Format(time.RFC3339)+`"}`), 0o600)
		},
	} {
		t.Run(name, func(t *testing.T) {
			os.RemoveAll(m.path)
			if err := plant(); err != nil {
				t.Skip(err)
			}
			done := make(chan int)
			go func() { done <- m.load(now) }()
			select {
			case n := <-done:
				if n != 0 {
					t.Errorf("loaded a plan of %d, want none", n)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("load blocked")
			}
		})
	}
	os.RemoveAll(m.path)
	m.save(50, now)
	if n := m.load(now); n != 50 {
		t.Errorf("a plan saved then loaded: %d, want 50", n)
	}
}
