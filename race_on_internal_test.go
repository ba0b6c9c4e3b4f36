//go:build race

package browseruse

// raceEnabled: under the race detector, sync.Pool drops a quarter of what
// it is given, at random (goccy's pool of decoding buffers among them), so
// tests of the bytes a call allocates skip.
const raceEnabled = true
