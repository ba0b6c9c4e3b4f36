//go:build !unix

package main

import "time"

// cpuTime is not measured here: run.sh runs on Linux and macOS.
func cpuTime() time.Duration { return 0 }
