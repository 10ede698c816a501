package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// interrupted is the cause of a run cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return e.sig.String() }

// exitCode is the shell's code for a command a signal stopped: 128 plus
// the signal's number, 130 for SIGINT and 143 for SIGTERM.
func exitCode(ctx context.Context) int {
	if e, ok := context.Cause(ctx).(interrupted); ok {
		if s, ok := e.sig.(syscall.Signal); ok {
			return 128 + int(s)
		}
	}
	return 128 + int(syscall.SIGINT)
}

// interruptMessage is the one line said on stderr when a run is stopped.
func interruptMessage(ctx context.Context) string {
	if e, ok := context.Cause(ctx).(interrupted); ok && e.sig == syscall.SIGTERM {
		return "slimpy: terminated"
	}
	return "slimpy: interrupted"
}

// signalContext is cancelled by the first SIGINT or SIGTERM, with the
// signal as its cause. The handler then steps aside: a second signal
// kills slimpy the default way, whatever it is busy with.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case s := <-ch:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel(interrupted{s})
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		cancel(nil)
	}
}

// interruptGrace is how long a cancelled run waits for its command to
// return by itself (the interactive view restores the terminal; a step
// that watches the context returns its own error) before it returns
// without it. Whatever the command still does then writes nothing: every
// file write checks the context before it commits, and its output is shut
// (gate).
const interruptGrace = 500 * time.Millisecond

// gate passes writes on until it is shut, then drops them: a command
// still running after its run returned says nothing more.
//
// On stderr it also holds the status line (progressLine): a line redrawn
// in place, erased before anything else is written and when the gate is
// shut, so that no message ever starts after a partial line.
type gate struct {
	mu     sync.Mutex
	w      io.Writer
	shut   bool
	status bool // a status line is drawn and not yet erased
}

// eraseLine returns to the start of the line and erases it (CR, EL).
const eraseLine = "\r\x1b[K"

func (g *gate) Write(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return len(p), nil
	}
	g.eraseStatus()
	return g.w.Write(p)
}

// setStatus draws s as the status line, over the previous one; "" erases it.
func (g *gate) setStatus(s string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return
	}
	if s == "" {
		g.eraseStatus()
		return
	}
	io.WriteString(g.w, eraseLine+s)
	g.status = true
}

func (g *gate) eraseStatus() {
	if g.status {
		io.WriteString(g.w, eraseLine)
		g.status = false
	}
}

func (g *gate) close() {
	g.mu.Lock()
	g.eraseStatus()
	g.shut = true
	g.mu.Unlock()
}

// outputFile is the file under w (a gate's), for terminal checks and the
// interactive view, which draws on the terminal itself.
func outputFile(w io.Writer) (*os.File, bool) {
	if g, ok := w.(*gate); ok {
		w = g.w
	}
	f, ok := w.(*os.File)
	return f, ok
}

// cleanups are what a command has begun to make in the world outside
// slimpy that it must undo before slimpy exits, even when interrupted: the
// images, tags and containers of fix --verify. A stopped run waits for
// them past interruptGrace (a second signal kills slimpy the default way
// and leaves them).
type cleanups struct {
	wg      sync.WaitGroup
	pending atomic.Int32
}

type cleanupsKey struct{}

// holdCleanup marks a clean-up the run must wait for; the function it
// returns marks it done (once, however often it is called).
func holdCleanup(ctx context.Context) func() {
	c, _ := ctx.Value(cleanupsKey{}).(*cleanups)
	if c == nil {
		return func() {}
	}
	c.wg.Add(1)
	c.pending.Add(1)
	return sync.OnceFunc(func() {
		c.pending.Add(-1)
		c.wg.Done()
	})
}

// wait waits for the clean-ups under way, saying so on w when there are.
func (c *cleanups) wait(w io.Writer) {
	if c.pending.Load() > 0 {
		fmt.Fprintln(w, "slimpy: removing the images --verify made (interrupt again to leave them)")
	}
	c.wg.Wait()
}
