package main

import (
	"fmt"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/report"
	"github.com/spf13/cobra"
)

type inspectFlags struct {
	format   string
	platform string
	insecure bool
	noCache  bool
	cacheDir string
	top      int
	now      string
}

func newInspectCmd() *cobra.Command {
	f := &inspectFlags{}
	cmd := &cobra.Command{
		Use:   "inspect IMAGE",
		Short: "Show where an image's bytes go, layer by layer",
		Long: `Inspect reads every layer of IMAGE once and reports its size, the bytes
each layer stored, the bytes hidden by later layers (waste), identical files
at different paths, metadata-only rewrites and the installed packages.

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
	fl.StringVar(&f.platform, "platform", "", "platform of a multi-platform image, os/arch[/variant] (default: the host's)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain-HTTP registries")
	fl.BoolVar(&f.noCache, "no-cache", false, "read every layer again instead of using the layer cache")
	fl.StringVar(&f.cacheDir, "cache-dir", inspect.DefaultCacheDir(), "where per-layer results are cached")
	fl.IntVar(&f.top, "top", 10, "rows in the text report's waste and duplicate lists")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
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
	ctx := cmd.Context()
	src, err := inspect.Open(ctx, ref, inspect.OpenOptions{Platform: f.platform, Insecure: f.insecure})
	if err != nil {
		return err
	}
	defer src.Close()
	opts := inspect.Options{CacheDir: f.cacheDir}
	if f.noCache {
		opts.CacheDir = ""
	}
	a, err := inspect.Analyze(ctx, src, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	r := a.Report()
	out := cmd.OutOrStdout()
	if f.format == "json" {
		return report.JSON(out, r)
	}
	return report.Text(out, r, report.TextOptions{Now: now, Top: f.top})
}
