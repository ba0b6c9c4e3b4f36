//go:build race

package browseruse_test

// raceAllocs is what the race detector adds to a call's allocations (one,
// measured on the code the guard was written against), so that the guard
// also holds under `make unit`, which runs with -race.
const raceAllocs = 1
