package main

import (
	"context"
	"fmt"

	"github.com/slimpy/slimpy/internal/gctune"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/spf13/pflag"
)

// memoryHooks are the command's garbage-collector policy around an
// analysis: the walk's garbage given back to the OS, a tighter GOGC while
// the inventories, the report and the rules run (docs/performance.md).
var memoryHooks = inspect.MemoryHooks{Release: gctune.Release, Tighten: gctune.Tighten50}

// sourceFlags are the flags every command that reads an image shares.
type sourceFlags struct {
	platform string
	insecure bool
	noCache  bool
	cacheDir string
	// settings are the config file's registry: and cache: sections;
	// verifyBlobs checks the blobs of cached layers (ci).
	settings    inspect.SourceSettings
	verifyBlobs bool
}

// openOptions are what Open gets from the flags and the config file.
func (s *sourceFlags) openOptions() inspect.OpenOptions {
	return inspect.OpenOptions{Platform: s.platform, Insecure: s.insecure, Registry: s.settings.Registry}
}

// options are what Analyze gets from the flags and the config file.
func (s *sourceFlags) options(progress func(inspect.Progress)) inspect.Options {
	opts := inspect.Options{CacheDir: s.cacheDir, CacheMaxBytes: s.settings.CacheMaxBytes, Progress: progress, VerifyBlobs: s.verifyBlobs, Memory: memoryHooks}
	if s.noCache {
		opts.CacheDir = ""
	}
	return opts
}

func (s *sourceFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.platform, "platform", "", "platform of a multi-platform image, os/arch[/variant] (default: the host's)")
	fl.BoolVar(&s.insecure, "insecure", false, "allow plain-HTTP registries")
	fl.BoolVar(&s.noCache, "no-cache", false, "read every layer again instead of using the layer cache")
	fl.StringVar(&s.cacheDir, "cache-dir", inspect.DefaultCacheDir(), "where per-layer results are cached")
}

// analyze opens ref and analyses it, its progress shown on p; errors name
// the reference.
func (s *sourceFlags) analyze(ctx context.Context, ref string, p *progressLine) (*inspect.Analysis, error) {
	var a *inspect.Analysis
	err := s.withSource(ctx, ref, p, func(src *inspect.Source, opts inspect.Options) (err error) {
		a, err = inspect.Analyze(ctx, src, opts)
		return err
	})
	return a, err
}

// withSource opens ref with the shared flags and runs fn on it with the
// matching options, the read's progress shown on p; fn's error names the
// reference.
func (s *sourceFlags) withSource(ctx context.Context, ref string, p *progressLine, fn func(*inspect.Source, inspect.Options) error) error {
	p.start("Reading " + ref)
	src, err := inspect.Open(ctx, ref, s.openOptions())
	if err != nil {
		return err
	}
	defer src.Close()
	p.opened(src.Transport)
	if err := fn(src, s.options(p.events())); err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	return nil
}
