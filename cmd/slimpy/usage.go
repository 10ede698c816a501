package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/spf13/cobra"
)

// usageError is a command line cobra could not take: an unknown command
// or flag, a missing or extra argument. It is printed the way cobra
// prints it (its suggestions on lines of their own), with the command's
// usage line and where to read more; exit 2.
type usageError struct {
	msg   string // what is wrong, maybe several lines (cobra's "Did you mean this?")
	usage string // "Usage: slimpy inspect IMAGE [flags]"; "" for none
	help  string // the command path for "Run '... --help'"
}

func (e *usageError) Error() string { return e.msg }

// write prints the error on w, every line made safe to show (an argument
// is echoed as typed).
func (e *usageError) write(w io.Writer) {
	var b strings.Builder
	for i, l := range strings.Split(strings.TrimRight(e.msg, "\n"), "\n") {
		if i == 0 {
			l = "slimpy: " + l
		}
		b.WriteString(textsafe.Code(l) + "\n")
	}
	if strings.Contains(strings.TrimRight(e.msg, "\n"), "\n") {
		b.WriteString("\n") // after cobra's suggestions, as cobra prints them
	}
	if e.usage != "" {
		b.WriteString(e.usage + "\n")
	}
	fmt.Fprintf(&b, "Run '%s --help' for usage.\n", e.help)
	io.WriteString(w, b.String())
}

// asUsageError is err as a usageError when cobra refused the command line
// itself (an unknown command: cobra reports it before any command runs).
func asUsageError(err error) (*usageError, bool) {
	var ue *usageError
	if errors.As(err, &ue) {
		return ue, true
	}
	if strings.HasPrefix(err.Error(), "unknown command ") {
		return &usageError{msg: err.Error(), help: "slimpy"}, true
	}
	return nil, false
}

// explainUsage makes every command's argument errors and unknown flags
// usage errors: a missing argument is named ("missing IMAGE") and shown with
// the command's usage line.
func explainUsage(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		if !strings.HasPrefix(err.Error(), "unknown ") {
			return err // a bad value: its one line says which and why
		}
		return &usageError{msg: err.Error(), usage: "Usage: " + c.UseLine(), help: c.CommandPath()}
	})
	for _, c := range allCommands(root) {
		check := c.Args
		if check == nil {
			continue
		}
		c.Args = func(c *cobra.Command, args []string) error {
			err := check(c, args)
			if err == nil {
				return nil
			}
			msg := err.Error()
			if arg := firstArg(c.Use); len(args) == 0 && arg != "" {
				msg = "missing argument " + arg
			}
			return &usageError{msg: msg, usage: "Usage: " + c.UseLine(), help: c.CommandPath()}
		}
	}
}

// firstArg is the first argument a Use line names ("IMAGE" in "inspect
// IMAGE"; "" when there is none).
func firstArg(use string) string {
	f := strings.Fields(use)
	if len(f) < 2 {
		return ""
	}
	return strings.Trim(f[1], "[]")
}
