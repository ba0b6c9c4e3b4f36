//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

import "os"

// lockOut does nothing where flock(2) is missing: there, the user must not
// run two batches with the same --out at once.
func lockOut(*os.File) error { return nil }
