package tui

import (
	"context"
	"errors"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/slimpy/slimpy/internal/inspect"
)

// AnalyzeFunc runs the analysis, reporting each layer's progress, and
// returns what the views show.
type AnalyzeFunc func(ctx context.Context, progress func(inspect.Progress)) (*Input, error)

// Start runs analyze in its own goroutine and returns the Config of a
// Model that shows its progress and then its result. Cancel (also called
// when the model quits early) stops the analysis; wait blocks until it has
// returned.
func Start(ctx context.Context, image string, analyze AnalyzeFunc) (cfg Config, wait func()) {
	ctx, cancel := context.WithCancel(ctx)
	events := make(chan inspect.Progress, 256)
	done := make(chan Loaded, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		in, err := analyze(ctx, func(p inspect.Progress) {
			select {
			case events <- p:
			case <-ctx.Done():
			}
		})
		done <- Loaded{Input: in, Err: err}
	}()
	return Config{Image: image, Events: events, Done: done, Cancel: cancel}, func() { <-finished }
}

// ProgramOptions are the options Run gives the program: NO_COLOR (any
// non-empty value, as no-color.org has it) renders without colours.
func ProgramOptions() []tea.ProgramOption {
	var opts []tea.ProgramOption
	if os.Getenv("NO_COLOR") != "" {
		opts = append(opts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return opts
}

// Run shows the progress view while analyze runs, then the views until the
// user quits. It returns analyze's error, or context.Canceled when the
// user quit before the analysis ended; the terminal is restored in every
// case.
func Run(ctx context.Context, image string, analyze AnalyzeFunc, opts ...tea.ProgramOption) error {
	cfg, wait := Start(ctx, image, analyze)
	defer cfg.Cancel()
	opts = append(append(ProgramOptions(), tea.WithContext(ctx)), opts...)
	final, err := tea.NewProgram(New(cfg), opts...).Run()
	cfg.Cancel()
	// The analysis stops at its next read once cancelled; do not let a
	// stuck source hold the exit for long.
	select {
	case <-waitChan(wait):
	case <-time.After(3 * time.Second):
	}
	if err != nil {
		if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	if m, ok := final.(Model); ok {
		return m.Err()
	}
	return nil
}

func waitChan(wait func()) <-chan struct{} {
	ch := make(chan struct{})
	go func() {
		wait()
		close(ch)
	}()
	return ch
}
