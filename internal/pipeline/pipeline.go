// Package pipeline is the one chain from an image reference and a
// Dockerfile to the suggestions: open the image, analyse it, run the
// rules, read the facts the suggestions need, pick the Dockerfile (the
// one given, ./Dockerfile, or one reconstructed from the history), match
// it with the image and measure the suggestions on it. cmd/slimpy (inspect,
// suggest, fix), the TUI's suggestions and fix --verify's measurements all
// run it, so they agree on every step.
package pipeline

import (
	"context"
	"fmt"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/elfdeps"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// Options steer Analyze.
type Options struct {
	Open    source.OpenOptions
	Analyze inspect.Options
	Rules   inspect.Config
	// NoRules leaves the findings out (inspect --no-rules).
	NoRules bool
	// Refresh, when set, asks the image's own package sources what is
	// newer before the rules run (inspect --refresh): SP407-SP409.
	Refresh *refresh.Options
	// Opened is told the transport once the image is open; Phase the name
	// of each later step (both for progress, may be nil).
	Opened func(transport string)
	Phase  func(step string)
	// Warn gets a problem that does not stop the run, one line (nil:
	// dropped).
	Warn func(line string)
}

// Image is one image analysed: its source (open until Close: the facts
// and the suggestions may read layers again), the analysis and the rules'
// findings.
type Image struct {
	Ref      string
	Source   *source.Source
	Analysis *inspect.Analysis
	Findings []rules.Finding
	opts     Options
}

// Analyze opens ref and analyses it, and runs the rules; errors after the
// open name the reference. Close the Image when done.
func Analyze(ctx context.Context, ref string, opt Options) (*Image, error) {
	src, err := source.Open(ctx, ref, opt.Open)
	if err != nil {
		return nil, err
	}
	if opt.Opened != nil {
		opt.Opened(src.Transport)
	}
	a, err := inspect.Analyze(ctx, src, opt.Analyze)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	img := &Image{Ref: ref, Source: src, Analysis: a, opts: opt}
	if opt.Refresh != nil && !opt.NoRules {
		img.phase("Asking the image's package sources what is newer…")
		res, err := img.refresh(ctx, *opt.Refresh)
		if err != nil {
			img.Close()
			return nil, fmt.Errorf("%s: --refresh: %w", ref, err)
		}
		for _, w := range res.Warnings {
			img.warn("--refresh: " + textsafe.OneLine(w))
		}
		img.opts.Rules.Refresh = res
	}
	if !opt.NoRules {
		img.phase("Running the rules…")
		img.Findings = inspect.RunRules(a, img.opts.Rules)
	}
	return img, nil
}

// Refreshed asks the image's package sources what is newer now (the
// interactive view's R) and returns the report with the rules run again
// on the answers, and the refresh's warnings (a host not reached: the
// rest stands).
func (img *Image) Refreshed(ctx context.Context, opt refresh.Options) (inspect.Report, []string, error) {
	res, err := img.refresh(ctx, opt)
	if err != nil {
		return inspect.Report{}, nil, err
	}
	rules := img.opts.Rules
	rules.Refresh = res
	return img.Analysis.ReportWith(inspect.RunRules(img.Analysis, rules), rules), res.Warnings, nil
}

// Report is the image's report, with its findings unless NoRules.
func (img *Image) Report() inspect.Report {
	if img.opts.NoRules {
		return img.Analysis.Report()
	}
	return img.Analysis.ReportWith(img.Findings, img.opts.Rules)
}

// Close closes the image's source.
func (img *Image) Close() error { return img.Source.Close() }

func (img *Image) warn(line string) {
	if img.opts.Warn != nil {
		img.opts.Warn(line)
	}
}

func (img *Image) phase(s string) {
	if img.opts.Phase != nil {
		img.opts.Phase(s)
	}
}

// Facts are what the suggestions read of the image besides its findings,
// with the libraries its compiled extension modules link read from their
// ELF headers. When those cannot be read the suggestions fall back to
// their table of -dev packages, and Warn says so.
func (img *Image) Facts(ctx context.Context) *suggest.Facts {
	facts := suggest.NewFacts(img.Analysis, img.Findings)
	img.phase("Reading the libraries the extension modules link…")
	libs := layer.NewDerivedStore(img.opts.Analyze.CacheDir, elfdeps.Kind)
	if err := facts.ReadRuntimeLibs(ctx, img.Source.Image, libs); err != nil {
		img.warn("the extension modules' libraries were not read: " + textsafe.OneLine(err.Error()))
		facts.Runtime = nil
	}
	return facts
}
