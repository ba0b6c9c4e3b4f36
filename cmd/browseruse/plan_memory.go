package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A batch remembers the account's plan (the limit of concurrent sessions
// its client learned from the API's 429s) and the next batch on the same
// account and API starts from it (WithStartingLimit): the whole plan from
// the first call, with no ramp and no overshoot. The file is named for a
// hash of the base URL and the key, so that accounts do not mix; neither
// the key nor any spelling of it is written.

// planMemoryAge is how long a remembered plan is used: plans change seldom,
// and a stale one costs one overshoot or a ramp, not a failure.
const planMemoryAge = 30 * 24 * time.Hour

type rememberedPlan struct {
	Plan    int       `json:"plan"`
	Learned time.Time `json:"learned"`
}

// planMemory is where one account's plan is remembered; the zero value
// remembers nothing.
type planMemory struct{ path string }

// planMemoryFor is the memory of the account of key at base, in dir
// ($BROWSER_USE_CACHE_DIR, else the user's cache directory).
func planMemoryFor(dir, base, key string) planMemory {
	if dir == "" {
		d, err := os.UserCacheDir()
		if err != nil {
			return planMemory{} // no home: nothing remembered
		}
		dir = filepath.Join(d, "browseruse")
	}
	sum := sha256.Sum256([]byte("browseruse plan v1\x00" + base + "\x00" + key))
	return planMemory{path: filepath.Join(dir, "plans", hex.EncodeToString(sum[:16])+".json")}
}

// load returns the plan remembered, 0 for none (or one too old or dated
// ahead, or a file that cannot be read: the client then learns the plan
// again).
func (m planMemory) load(now time.Time) int {
	if m.path == "" {
		return 0
	}
	b, err := readSmallFile(m.path, 4<<10)
	if err != nil {
		return 0
	}
	var r rememberedPlan
	if json.Unmarshal(b, &r) != nil || r.Plan <= 0 {
		return 0
	}
	if age := now.Sub(r.Learned); age > planMemoryAge || age < -time.Hour {
		return 0 // too old, or from a clock far ahead: trusted for ever
	}
	return r.Plan
}

// readSmallFile reads the regular file at path, if it holds at most max
// bytes. Anything planted there (a FIFO, which would block the batch before
// its first call, a device, a huge file) is not read.
func readSmallFile(path string, max int64) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Size() > max {
		return nil, fmt.Errorf("%s: not a small regular file", path)
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// save remembers plan (0: nothing learned, nothing written). It writes a
// new file and renames it over the old one, so that a batch running beside
// it never reads half a file. A failure is not the batch's: it is ignored.
func (m planMemory) save(plan int, now time.Time) {
	if m.path == "" || plan <= 0 {
		return
	}
	b, err := json.Marshal(rememberedPlan{Plan: plan, Learned: now.UTC()})
	if err != nil {
		return
	}
	if os.MkdirAll(filepath.Dir(m.path), 0o700) != nil {
		return
	}
	f, err := os.CreateTemp(filepath.Dir(m.path), ".plan-*")
	if err != nil {
		return
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || os.Rename(f.Name(), m.path) != nil {
		os.Remove(f.Name())
	}
}
