package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/slimpy/slimpy/internal/gctune"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/remotecache"
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
	// cacheRepo is --cache-repo (else cache.repo of the config); remote
	// the shared layer cache it names, warn where its failures go.
	cacheRepo string
	remote    *remotecache.Cache
	warn      io.Writer
}

// openOptions are what Open gets from the flags and the config file.
func (s *sourceFlags) openOptions() source.OpenOptions {
	return source.OpenOptions{Platform: s.platform, Insecure: s.insecure, Registry: s.settings.Registry}
}

// options are what Analyze gets from the flags and the config file.
func (s *sourceFlags) options(progress func(inspect.Progress)) inspect.Options {
	opts := inspect.Options{CacheDir: s.cacheDir, CacheMaxBytes: s.settings.CacheMaxBytes, Progress: progress, VerifyBlobs: s.verifyBlobs, Memory: memoryHooks}
	if s.noCache {
		opts.CacheDir = ""
	}
	if s.remote != nil && !s.noCache {
		opts.Remote = remoteLayers{s.remote}
		if w := s.warn; w != nil {
			opts.Warn = func(line string) { fmt.Fprintf(w, "slimpy: warning: %s\n", line) }
		}
	}
	return opts
}

// useSettings takes the config file's sources settings, and opens the
// shared layer cache (--cache-repo, else cache.repo) whose warnings go to
// stderr.
func (s *sourceFlags) useSettings(st inspect.SourceSettings, stderr io.Writer) error {
	s.settings, s.warn = st, stderr
	repo := s.cacheRepo
	if repo == "" {
		repo = st.CacheRepo
	}
	if repo == "" || s.noCache {
		return nil
	}
	// The cache's registry gets the images' bounds (the registry: section).
	c, err := remotecache.New(repo, remotecache.Options{Insecure: s.insecure, Transport: source.RegistryTransport(st.Registry, s.insecure)})
	if err != nil {
		return fmt.Errorf("--cache-repo %s: %w", repo, err)
	}
	s.remote = c
	return nil
}

// remoteLayers is the remote cache as inspect asks it: a miss is
// inspect.ErrRemoteMiss.
type remoteLayers struct{ c *remotecache.Cache }

func (r remoteLayers) Get(ctx context.Context, diffID, version string) ([]byte, error) {
	b, err := r.c.Get(ctx, diffID, version)
	if e, ok := errors.AsType[*remotecache.Error](err); ok && e.Kind == remotecache.NotFound {
		return nil, inspect.ErrRemoteMiss
	}
	return b, err
}

func (r remoteLayers) Put(ctx context.Context, diffID, version string, data []byte) error {
	return r.c.Put(ctx, diffID, version, data)
}

func (s *sourceFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&s.platform, "platform", "", "platform of a multi-platform image, os/arch[/variant] (default: the host's)")
	fl.BoolVar(&s.insecure, "insecure", false, "allow plain-HTTP registries")
	fl.BoolVar(&s.noCache, "no-cache", false, "read every layer again instead of using the layer cache")
	fl.StringVar(&s.cacheDir, "cache-dir", layer.DefaultCacheDir(), "where per-layer results are cached")
	fl.StringVar(&s.cacheRepo, "cache-repo", "", "a registry repository that shares per-layer results between machines, REGISTRY/REPO (also cache.repo in the config; docs/cache.md)")
}

// analyze opens ref and analyses it, its progress shown on p; errors name
// the reference.
func (s *sourceFlags) analyze(ctx context.Context, ref string, p *progressLine) (*inspect.Analysis, error) {
	var a *inspect.Analysis
	err := s.withSource(ctx, ref, p, func(src *source.Source, opts inspect.Options) (err error) {
		a, err = inspect.Analyze(ctx, src, opts)
		return err
	})
	return a, err
}

// withSource opens ref with the shared flags and runs fn on it with the
// matching options, the read's progress shown on p; fn's error names the
// reference.
func (s *sourceFlags) withSource(ctx context.Context, ref string, p *progressLine, fn func(*source.Source, inspect.Options) error) error {
	p.start("Reading " + ref)
	src, err := source.Open(ctx, ref, s.openOptions())
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

// pipelineOptions are what internal/pipeline gets from the shared flags,
// the rules' config, the progress line and stderr's warnings.
func (s *sourceFlags) pipelineOptions(rules inspect.Config, p *progressLine, stderr io.Writer) pipeline.Options {
	return pipeline.Options{
		Open: s.openOptions(), Analyze: s.options(p.events()), Rules: rules,
		Opened: p.opened, Phase: p.phase,
		Warn: func(line string) { fmt.Fprintf(stderr, "slimpy: warning: %s\n", line) },
	}
}
