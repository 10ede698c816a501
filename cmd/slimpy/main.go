// Command slimpy inspects Python container images and shows where their
// bytes go. This file only wires flags to the internal packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	exitOK    = 0
	exitCheck = 1 // a CI threshold or regression failed, or fix --verify did
	exitUsage = 2 // bad usage or input: bad reference, missing image, auth refused, corrupt layer
	// 130 (SIGINT) and 143 (SIGTERM): interrupted, nothing written (exitCode)
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns its exit code. When ctx is
// cancelled (ctrl+c, SIGTERM) it returns 130 or 143 as soon as the command
// does, or after interruptGrace without it, once the clean-ups the command
// holds (holdCleanup) are done.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	out, errOut := &gate{w: stdout}, &gate{w: stderr}
	done := make(chan error, 1)
	cl := &cleanups{}
	go func() { done <- execute(context.WithValue(ctx, cleanupsKey{}, cl), args, out, errOut) }()
	stopped := func() int {
		out.close()
		errOut.close()
		fmt.Fprintln(stderr, interruptMessage(ctx))
		cl.wait(stderr)
		return exitCode(ctx)
	}
	var err error
	select {
	case err = <-done:
		errOut.setStatus("") // a command that failed may leave its progress drawn
	case <-ctx.Done():
		// Stopped while running, whatever the command then returns (the
		// interactive view returns no error when it is told to quit).
		select {
		case <-done:
		case <-time.After(interruptGrace):
		}
		return stopped()
	}
	if err != nil && ctx.Err() != nil {
		return stopped() // it saw the signal first
	}
	if err == nil {
		return exitOK
	}
	var ce *checkError
	if errors.As(err, &ce) {
		return exitCheck
	}
	if ue, ok := asUsageError(err); ok {
		ue.write(stderr)
		return exitUsage
	}
	// One line, whatever it carries: a registry's error body, a file
	// name, a platform list.
	fmt.Fprintln(stderr, "slimpy: "+textsafe.OneLine(err.Error()))
	return exitUsage
}

// execute runs the command line with cobra.
func execute(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

// checkError marks a failed check (exit 1) as opposed to a failure to run.
type checkError struct{ msg string }

func (e *checkError) Error() string { return e.msg }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "slimpy",
		Short: "Make Python container images small, current and safe",
		Long: `slimpy reads a container image, walks every layer and shows where the bytes
go: what is visible, what lower layers stored for nothing, and which
instruction put it there.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().BoolP("quiet", "q", false, "show no progress on stderr (it is shown only when stderr is a terminal)")
	root.AddCommand(newInspectCmd())
	root.AddCommand(newCICmd())
	root.AddCommand(newSuggestCmd(), newFixCmd())
	root.AddCommand(newScanCmd())
	explainUsage(root)
	addCompletion(root)
	return root
}
