//go:build linux

package main

import (
	"bytes"
	"testing"
)

// The decision the progress tests inject, on a real pseudo-terminal: a
// terminal's stderr draws progress, a buffer's does not, --quiet never.
func TestProgressOnlyOnATerminal(t *testing.T) {
	tty := openPTY(t)
	if _, ok := terminalWidth(tty); !ok {
		t.Error("a pseudo-terminal is not a terminal")
	}
	if _, ok := terminalWidth(&bytes.Buffer{}); ok {
		t.Error("a buffer is a terminal")
	}
	for _, c := range []struct {
		args []string
		want bool
	}{{nil, true}, {[]string{"--quiet"}, false}, {[]string{"-q"}, false}} {
		root := newRootCmd()
		root.SetErr(&gate{w: tty})
		cmd, rest, err := root.Find([]string{"ci"})
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(append(rest, c.args...)); err != nil {
			t.Fatal(err)
		}
		if got := newProgress(cmd) != nil; got != c.want {
			t.Errorf("%v: progress %v, want %v", c.args, got, c.want)
		}
	}
}
