package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/slimpy/slimpy/internal/report"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/tui"
	"github.com/slimpy/slimpy/internal/verify"
	"github.com/spf13/cobra"
)

type inspectFlags struct {
	sourceFlags
	format       string
	top          int
	now          string
	config       string
	noRules      bool
	dockerfile   string
	context      string
	smoke        string
	smokeTimeout time.Duration
	refresh      refreshFlags
}

func newInspectCmd() *cobra.Command {
	f := &inspectFlags{}
	cmd := &cobra.Command{
		Use:   "inspect IMAGE",
		Short: "Show where an image's bytes go, layer by layer",
		Long: `Inspect reads every layer of IMAGE once and reports its size, the bytes
each layer stored, the bytes hidden by later layers (waste), identical files
at different paths, metadata-only rewrites, the installed packages and the
rules' findings (docs/rules.md; configured by .slimpy.yaml or --config).

On a terminal, without --format, it opens the interactive view
(docs/tui.md); with --format, or when the output is not a terminal, it
prints the report. The view's suggestions are for --dockerfile (default
./Dockerfile); its write dialog can verify them on the Docker engine first,
as 'slimpy fix --verify' does, building in --context (default the
Dockerfile's directory) and running --smoke CMD (default the image's own
command), and write only the largest set that builds and runs.

IMAGE is a reference in the containers-transports style:
  docker-daemon:NAME[:TAG]   the local Docker engine (DOCKER_HOST honoured)
  docker-archive:PATH        a 'docker save' tarball (a bare PATH.tar works too)
  oci:DIR[:TAG]              an OCI image layout
  oci-archive:PATH[:TAG]     a tar of an OCI image layout
  docker://REF               a registry (credentials from the docker config)
  NAME[:TAG]                 the local engine if it has the image, else the registry`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInspect(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	f.sourceFlags.register(fl)
	fl.IntVar(&f.top, "top", 10, "rows in the text report's lists of hidden copies and of identical files")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
	fl.StringVar(&f.config, "config", "", "rules config file (default: "+inspect.ConfigFileName+" in the working directory, if present; docs/configuration.md)")
	fl.BoolVar(&f.noRules, "no-rules", false, "do not run the rules (no findings in the report)")
	fl.StringVar(&f.dockerfile, "dockerfile", "", "the Dockerfile that built IMAGE, for the interactive view's suggestions (default: ./Dockerfile when present; else one reconstructed from the history, read-only)")
	f.refresh.register(fl)
	fl.StringVar(&f.context, "context", "", "the build context directory, where .dockerignore is looked for and what the interactive view's verified write builds (default: the Dockerfile's directory)")
	fl.StringVar(&f.smoke, "smoke", "", "the interactive view's verified write: the command that proves the app runs (/bin/sh -c CMD in a container; default: the image's own command)")
	fl.DurationVar(&f.smokeTimeout, "smoke-timeout", 30*time.Second, "the interactive view's verified write: how long a smoke run may take; still running then counts as running")
	return cmd
}

func runInspect(cmd *cobra.Command, ref string, f *inspectFlags) error {
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--format %q: use text or json", f.format)
	}
	if f.top < 1 {
		return fmt.Errorf("--top %d: give a number of rows, 1 or more", f.top)
	}
	if f.smokeTimeout <= 0 {
		return fmt.Errorf("--smoke-timeout %s: give a duration above zero, e.g. 30s", f.smokeTimeout)
	}
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	cfg, err := loadRulesConfig(f.config)
	if err != nil {
		return err
	}
	cfg.Now = now
	if err := f.useSettings(cfg.Sources, cmd.ErrOrStderr()); err != nil {
		return err
	}
	fresh, err := f.refresh.options(cmd, cfg.Sources, f.cacheDir, f.noCache)
	if err != nil {
		return err
	}
	if fresh != nil && f.noRules {
		return fmt.Errorf("--refresh makes findings: it cannot go with --no-rules")
	}
	if useTUI(cmd) {
		return runInspectTUI(cmd, ref, f, cfg, fresh)
	}
	warnViewOnly(cmd)
	var rules *inspect.Config
	if !f.noRules {
		rules = &cfg
	}
	p := newProgress(cmd)
	var r inspect.Report
	if fresh != nil {
		// Today's answers are never cached with the report: the whole
		// pipeline runs.
		r, err = f.refreshedReport(cmd.Context(), ref, cfg, fresh, p, cmd.ErrOrStderr())
	} else {
		r, err = f.report(cmd.Context(), ref, rules, p)
	}
	p.done()
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.format == "json" {
		return report.JSON(out, r)
	}
	cols, _ := terminalWidth(out) // 0, the report's own limit, when not a terminal
	return report.Text(out, r, report.TextOptions{Now: now, Top: f.top, Columns: cols})
}

// report opens ref and reports it (with the findings when rules is not
// nil): from the image cache when this image was reported before with the
// same settings, unless --no-cache. The read's progress is shown on p.
func (f *inspectFlags) report(ctx context.Context, ref string, rules *inspect.Config, p *progressLine) (inspect.Report, error) {
	var r inspect.Report
	err := f.withSource(ctx, ref, p, func(src *source.Source, opts inspect.Options) (err error) {
		r, err = inspect.InspectReport(ctx, src, opts, rules)
		return err
	})
	return r, err
}

// refreshedReport is the report with the findings of today's answers of
// the image's package sources (SP407-SP409), through the pipeline.
func (f *inspectFlags) refreshedReport(ctx context.Context, ref string, cfg inspect.Config, fresh *refresh.Options, p *progressLine, stderr io.Writer) (inspect.Report, error) {
	p.start("Reading " + ref)
	opts := f.pipelineOptions(cfg, p, stderr)
	opts.Refresh = fresh
	img, err := pipeline.Analyze(ctx, ref, opts)
	if err != nil {
		return inspect.Report{}, err
	}
	defer img.Close()
	return img.Report(), nil
}

// useTUI: the interactive view opens when stdout is a terminal and no
// --format was given.
func useTUI(cmd *cobra.Command) bool {
	if cmd.Flags().Changed("format") {
		return false
	}
	out, ok := outputFile(cmd.OutOrStdout())
	return ok && term.IsTerminal(out.Fd())
}

// viewOnlyFlags are the flags of the interactive view's suggestions.
var viewOnlyFlags = []string{"dockerfile", "context", "smoke", "smoke-timeout"}

// warnViewOnly says on stderr which of the view's flags a printed report
// leaves unused, rather than dropping them in silence (a mistyped path
// given to --dockerfile would otherwise go unnoticed).
func warnViewOnly(cmd *cobra.Command) {
	var given []string
	for _, name := range viewOnlyFlags {
		if cmd.Flags().Changed(name) {
			given = append(given, "--"+name)
		}
	}
	if len(given) > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "slimpy: warning: %s: only the interactive view's suggestions use it; the printed report does not (slimpy suggest and slimpy fix take it)\n",
			strings.Join(given, ", "))
	}
}

// runInspectTUI shows the layers' progress, then the interactive view.
func runInspectTUI(cmd *cobra.Command, ref string, f *inspectFlags, cfg inspect.Config, fresh *refresh.Options) error {
	// The source stays open while the view runs: the suggestions and R
	// read layers again.
	var (
		mu     sync.Mutex
		opened *pipeline.Image
	)
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		if opened != nil {
			opened.Close()
		}
	}()
	analyze := func(ctx context.Context, progress func(inspect.Progress)) (*tui.Input, error) {
		opts := pipeline.Options{Open: f.openOptions(), Analyze: f.options(progress), Rules: cfg, NoRules: f.noRules, Refresh: fresh}
		img, err := pipeline.Analyze(ctx, ref, opts)
		if err != nil {
			return nil, err
		}
		mu.Lock()
		opened = img
		mu.Unlock()
		a, r := img.Analysis, img.Report()
		// The suggestions: the first screen does not wait for them.
		pending := func() tui.Fixes { return f.fixes(ctx, img, cfg) }
		// The file tree and what each layer changed are worked out after
		// the first screen too.
		tree := func() *tui.TreeNode { return tui.BuildTree(a.FS, r.Findings) }
		index := func() (*fsview.LayerIndex, error) { return inspect.NewLayerIndex(a) }
		in := &tui.Input{Report: r, Tree: tree, Pending: pending, Index: index}
		if fresh == nil && !f.noRules {
			// R: what --refresh would have found, asked now.
			// (options refused the other refresh flags without --refresh)
			opt := f.refresh.refreshOptions(f.cacheDir, f.noCache)
			in.Refresh = func() (inspect.Report, []string, error) { return img.Refreshed(ctx, *opt) }
		}
		return in, nil
	}
	out, _ := outputFile(cmd.OutOrStdout()) // useTUI: a terminal
	return tui.Run(cmd.Context(), ref, analyze, tea.WithOutput(out))
}

// fixes are the suggestions for the Dockerfile (--dockerfile, ./Dockerfile,
// or one reconstructed from the history), measured on the image, and the
// write dialog's verified write (tui.WithVerify, the run of fix --verify).
// A problem here only leaves the suggestions view with a note: the rest
// still shows.
func (f *inspectFlags) fixes(ctx context.Context, img *pipeline.Image, cfg inspect.Config) tui.Fixes {
	path := pipeline.DockerfilePath(f.dockerfile)
	w, err := pipeline.Load(path, f.context, cfg.Now)
	if err != nil {
		return tui.Fixes{Note: "No suggestions: " + textsafe.OneLine(err.Error())}
	}
	if err := w.Measure(img, img.Facts(ctx), pipeline.Reconstruct); err != nil {
		return tui.Fixes{Note: "No suggestions: " + textsafe.OneLine(err.Error())}
	}
	var leftOut string
	if w.Mismatch != "" {
		// Not this image's Dockerfile: its lines would be paired with
		// another build's layers. The history's own stands in for it.
		leftOut = fmt.Sprintf("%s left out: it did not build this image (%s). The suggestions rewrite the Dockerfile reconstructed from the history.",
			textsafe.Term(path), w.Mismatch)
	}
	ss, err := suggest.Suggest(w.Src, w.Opts)
	if err != nil {
		return tui.Fixes{Note: "No suggestions: " + textsafe.OneLine(err.Error()), LeftOut: leftOut}
	}
	fx := tui.FixesFrom(w.Path, w.Src, ss, w.Opts, nil)
	fx.LeftOut = leftOut
	cacheDir := f.cacheDir
	if f.noCache {
		cacheDir = ""
	}
	// The build context: --context, else the Dockerfile's directory; a
	// reconstruction's is unknown without --context (verify says so).
	ctxDir := f.context
	if ctxDir == "" && !w.Reconstructed {
		ctxDir = filepath.Dir(w.Path)
	}
	return tui.WithVerify(ctx, fx, w.Src, w.Opts, verify.Options{
		Context: ctxDir, Smoke: f.smoke, SmokeTimeout: f.smokeTimeout, Rules: cfg, CacheDir: cacheDir,
	})
}

// parseNow reads --now, YYYY-MM-DD; empty is today, in UTC. The rules
// compare with a date, not the time of day: the findings are then the same
// all day, and a warm inspect can take them from the image cache.
func parseNow(s string) (time.Time, error) {
	if s == "" {
		y, m, d := time.Now().UTC().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
	}
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return t, fmt.Errorf("--now %q: use YYYY-MM-DD", s)
	}
	return t, nil
}
