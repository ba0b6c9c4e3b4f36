//go:build race

package browseruse

// raceEnabled: under the race detector, sync.Pool drops a quarter of what
// it is given, at random, so tests of what pooling saves skip.
const raceEnabled = true
