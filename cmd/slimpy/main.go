// Command slimpy inspects Python container images and shows where their
// bytes go. This file only wires flags to the internal packages.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes, documented in the README.
const (
	exitOK    = 0
	exitCheck = 1 // a CI threshold or regression failed, or fix --verify did
	exitUsage = 2 // bad usage or input: bad reference, missing image, auth refused, corrupt layer
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns its exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ce *checkError
	if errors.As(err, &ce) {
		return exitCheck
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "slimpy: interrupted")
		return exitUsage
	}
	fmt.Fprintln(stderr, "slimpy: "+oneLine(err.Error()))
	return exitUsage
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
	root.AddCommand(newInspectCmd())
	root.AddCommand(newCICmd())
	root.AddCommand(newSuggestCmd(), newFixCmd())
	return root
}

// oneLine folds a multi-line error into the one line the user reads.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
