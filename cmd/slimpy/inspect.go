package main

import (
	"context"
	"fmt"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/term"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/report"
	"github.com/slimpy/slimpy/internal/tui"
	"github.com/spf13/cobra"
)

type inspectFlags struct {
	sourceFlags
	format  string
	top     int
	now     string
	config  string
	noRules bool
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
prints the report.

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
	fl.IntVar(&f.top, "top", 10, "rows in the text report's waste and duplicate lists")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
	fl.StringVar(&f.config, "config", "", "rules config file (default: "+inspect.ConfigFileName+" in the working directory, if present; docs/configuration.md)")
	fl.BoolVar(&f.noRules, "no-rules", false, "do not run the rules (no findings in the report)")
	return cmd
}

func runInspect(cmd *cobra.Command, ref string, f *inspectFlags) error {
	if f.format != "text" && f.format != "json" {
		return fmt.Errorf("--format %q: use text or json", f.format)
	}
	now := time.Now()
	if f.now != "" {
		t, err := time.Parse("2006-01-02", f.now)
		if err != nil {
			return fmt.Errorf("--now %q: use YYYY-MM-DD", f.now)
		}
		now = t
	}
	cfg, err := loadRulesConfig(f.config)
	if err != nil {
		return err
	}
	cfg.Now = now
	if useTUI(cmd) {
		return runInspectTUI(cmd, ref, f, cfg)
	}
	a, err := f.analyze(cmd.Context(), ref, nil)
	if err != nil {
		return err
	}
	r := a.Report()
	if !f.noRules {
		r = a.ReportWithFindings(cfg)
	}
	out := cmd.OutOrStdout()
	if f.format == "json" {
		return report.JSON(out, r)
	}
	return report.Text(out, r, report.TextOptions{Now: now, Top: f.top})
}

// useTUI: the interactive view opens when stdout is a terminal and no
// --format was given.
func useTUI(cmd *cobra.Command) bool {
	if cmd.Flags().Changed("format") {
		return false
	}
	out, ok := cmd.OutOrStdout().(*os.File)
	return ok && term.IsTerminal(out.Fd())
}

// runInspectTUI shows the layers' progress, then the interactive view.
func runInspectTUI(cmd *cobra.Command, ref string, f *inspectFlags, cfg inspect.Config) error {
	analyze := func(ctx context.Context, progress func(inspect.Progress)) (*tui.Input, error) {
		a, err := f.analyze(ctx, ref, progress)
		if err != nil {
			return nil, err
		}
		r := a.Report()
		if !f.noRules {
			r = a.ReportWithFindings(cfg)
		}
		return &tui.Input{Report: r, Tree: tui.BuildTree(a.FS, r.Findings),
			Fixes: tui.Fixes{Note: "Dockerfile suggestions are not in this build yet (slimpy suggest)."}}, nil
	}
	return tui.Run(cmd.Context(), ref, analyze, tea.WithOutput(cmd.OutOrStdout()))
}

// loadRulesConfig reads --config, or .slimpy.yaml in the working directory
// when it exists.
func loadRulesConfig(path string) (inspect.Config, error) {
	optional := path == ""
	if optional {
		path = inspect.ConfigFileName
	}
	cfg, err := inspect.LoadConfig(path, optional)
	if err != nil {
		return cfg, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}
