package main

import (
	"context"
	"fmt"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/spf13/pflag"
)

// sourceFlags are the flags every command that reads an image shares.
type sourceFlags struct {
	platform string
	insecure bool
	noCache  bool
	cacheDir string
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
	src, err := inspect.Open(ctx, ref, inspect.OpenOptions{Platform: s.platform, Insecure: s.insecure})
	if err != nil {
		return err
	}
	defer src.Close()
	p.opened(src.Transport)
	opts := inspect.Options{CacheDir: s.cacheDir, Progress: p.events()}
	if s.noCache {
		opts.CacheDir = ""
	}
	if err := fn(src, opts); err != nil {
		return fmt.Errorf("%s: %w", ref, err)
	}
	return nil
}
