//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"os"
	"syscall"
)

// lockOut takes an exclusive lock on the --out file for the life of the
// process, so that two runs of the same batch cannot both append to it:
// each would take the other's in-flight lines for unfinished and run them
// again, and a line could end up with two ok records. The kernel drops the
// lock when the process ends, however it ends, so a killed run leaves no
// stale lock behind.
func lockOut(f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return errOutLocked
	}
	return err
}
