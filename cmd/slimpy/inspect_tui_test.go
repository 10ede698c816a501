//go:build linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY returns the terminal side of a new pseudo-terminal.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skip("no pseudo-terminals here:", err)
	}
	t.Cleanup(func() { master.Close() })
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skip("unlockpt:", err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skip("ptsname:", err)
	}
	tty, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skip("open pts:", err)
	}
	t.Cleanup(func() { tty.Close() })
	return tty
}

// The TUI opens only on a terminal and only without --format.
func TestInspectUsesTUIOnlyOnATerminal(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	tty := openPTY(t)
	for _, c := range []struct {
		name string
		out  io.Writer
		args []string
		want bool
	}{
		{"terminal", tty, nil, true},
		{"terminal --format text", tty, []string{"--format", "text"}, false},
		{"terminal --format=json", tty, []string{"--format=json"}, false},
		{"pipe", pw, nil, false},
		{"buffer", &bytes.Buffer{}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := newInspectCmd()
			cmd.SetOut(c.out)
			if err := cmd.ParseFlags(c.args); err != nil {
				t.Fatal(err)
			}
			if got := useTUI(cmd); got != c.want {
				t.Errorf("useTUI = %v, want %v", got, c.want)
			}
		})
	}
}
