//go:build !race

package browseruse_test

const raceAllocs = 0
