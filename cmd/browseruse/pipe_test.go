package main

import (
	"bytes"
	"context"
	"strings"
	"syscall"
	"testing"
)

// goneReader is stdout whose reader has gone (| head): every write fails
// with EPIPE, as it does with SIGPIPE ignored (main).
type goneReader struct{}

func (goneReader) Write([]byte) (int, error) { return 0, syscall.EPIPE }

// Help piped into head ends quietly with exit 0, as a program killed by
// SIGPIPE would; before, cobra printed "write /dev/stdout: broken pipe"
// under a help longer than the pipe's buffer (a new user's walkthrough).
func TestHelp_IntoAClosedPipeIsQuiet(t *testing.T) {
	for _, args := range [][]string{{"skills", "execute", "--help"}, {"help", "skills", "execute"}, {"--help"}, {"version"}} {
		var stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: goneReader{}, stderr: &stderr, getenv: func(string) string { return "" }}
		if code := c.run(context.Background(), args); code != exitOK || stderr.Len() > 0 {
			t.Errorf("%v: exit code %d, stderr %q; want 0 and nothing", args, code, stderr.String())
		}
	}
}

// fullDisk is stdout on a full disk.
type fullDisk struct{}

func (fullDisk) Write([]byte) (int, error) { return 0, syscall.ENOSPC }

// Help, the version or a completion script that could not be written (a
// full disk) exits 5 saying so, as a result does; before, the help exited
// 0 with cobra's bare message, the version 0 silently, --version 2.
func TestHelp_NotWrittenExits5(t *testing.T) {
	for _, args := range [][]string{{"skills", "execute", "--help"}, {"help"}, {"version"}, {"--version"}, {"completion", "bash"}} {
		var stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: fullDisk{}, stderr: &stderr, getenv: func(string) string { return "" }}
		if code := c.run(context.Background(), args); code != exitWrite || strings.Count(stderr.String(), "no space left") != 1 {
			t.Errorf("%v: exit code %d, stderr %q; want %d and the error once", args, code, stderr.String(), exitWrite)
		}
	}
}
