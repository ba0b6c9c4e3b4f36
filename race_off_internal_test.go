//go:build !race

package browseruse

const raceEnabled = false
