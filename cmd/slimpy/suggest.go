package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// suggestFlags are shared by suggest and fix.
type suggestFlags struct {
	sourceFlags
	dockerfile string
	context    string
	now        string
	config     string
	color      string
	format     string
}

func (f *suggestFlags) register(fl *pflag.FlagSet) {
	f.sourceFlags.register(fl)
	fl.StringVarP(&f.dockerfile, "dockerfile", "f", "", "the Dockerfile (default: ./Dockerfile when present)")
	fl.StringVar(&f.context, "context", "", "the build context directory, where .dockerignore is looked for (default: the Dockerfile's directory)")
	fl.StringVar(&f.now, "now", "", "the date base images' end of life is judged against, YYYY-MM-DD (default: today)")
	fl.StringVar(&f.config, "config", "", "rules config file (default: "+inspect.ConfigFileName+" in the working directory, if present)")
}

// workspace is what suggest and fix work on: the Dockerfile (read once),
// and the image's analysis when an image was given.
type workspace struct {
	path          string // the Dockerfile path; "" when reconstructed
	src           []byte
	reconstructed bool
	opts          suggest.Options
	image         string
	// mismatch says why the Dockerfile does not match the image (then
	// nothing is measured on it); "" when it does, or without an image.
	mismatch string
}

// load reads the Dockerfile and, with an image, analyses it (its progress
// shown on p).
func (f *suggestFlags) load(ctx context.Context, stderr io.Writer, p *progressLine, args []string) (*workspace, error) {
	now, err := parseNow(f.now)
	if err != nil {
		return nil, err
	}
	w := &workspace{opts: suggest.Options{Now: now}}
	if len(args) > 0 {
		w.image = args[0]
	}
	f.dockerfile = dockerfilePath(f.dockerfile)
	if f.dockerfile == "" && w.image == "" {
		return nil, errors.New("no Dockerfile here: give --dockerfile PATH, or an IMAGE to reconstruct one from its history")
	}
	if f.dockerfile != "" {
		src, err := readDockerfile(f.dockerfile)
		if err != nil {
			return nil, err
		}
		if _, err := suggest.Parse(src); err != nil {
			return nil, fmt.Errorf("%s: %w", f.dockerfile, err)
		}
		w.path, w.src = f.dockerfile, src
		w.opts.Name = filepath.Base(f.dockerfile)
	}
	ctxDir := f.context
	if ctxDir == "" && w.path != "" {
		ctxDir = filepath.Dir(w.path)
	}
	if ctxDir != "" {
		w.opts.ContextFile = contextFiles(ctxDir)
	}
	if w.image == "" {
		return w, nil
	}
	cfg, err := loadRulesConfig(f.config)
	if err != nil {
		return nil, err
	}
	cfg.Now = now
	f.settings = cfg.Sources
	defer p.done()
	var (
		a        *inspect.Analysis
		findings []inspect.Finding
		facts    *suggest.Facts
	)
	err = f.withSource(ctx, w.image, p, func(src *inspect.Source, opts inspect.Options) (err error) {
		if a, err = inspect.Analyze(ctx, src, opts); err != nil {
			return err
		}
		p.phase("Running the rules…")
		findings = inspect.RunRules(a, cfg)
		facts = suggest.NewFacts(a, findings)
		p.phase("Reading the libraries the extension modules link…")
		if err := facts.ReadRuntimeLibs(ctx, src.Image); err != nil {
			fmt.Fprintf(stderr, "slimpy: warning: the extension modules' libraries were not read: %s\n", textsafe.OneLine(err.Error()))
			facts.Runtime = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if w.src == nil {
		w.src = []byte(suggest.Reconstruct(a, findings, w.image))
		w.reconstructed = true
		w.opts.Name = "Dockerfile"
	}
	d, err := suggest.Parse(w.src)
	if err != nil {
		return nil, fmt.Errorf("the reconstructed Dockerfile does not parse: %w", err)
	}
	w.opts.Facts = facts
	if !w.reconstructed {
		if m := suggest.MatchImage(a, d); !m.OK() {
			// Its lines would be paired with another build's layers.
			w.mismatch = m.Reason()
			fmt.Fprintf(stderr, "slimpy: warning: %s does not match %s: %s; its savings are not measured\n",
				textsafe.Term(w.path), textsafe.Term(w.image), w.mismatch)
			return w, nil
		}
	}
	img := suggest.NewImage(a, findings, d)
	if img.FirstLayer > 0 {
		facts.BaseLayers = img.FirstLayer
	}
	w.opts.Image = img
	return w, nil
}

func newSuggestCmd() *cobra.Command {
	f := &suggestFlags{}
	cmd := &cobra.Command{
		Use:   "suggest [IMAGE]",
		Short: "Propose Dockerfile changes as diffs, with the bytes each saves",
		Long: `Suggest reads a Dockerfile (--dockerfile, default ./Dockerfile) and proposes
changes, each with an ID, the evidence, the bytes it saves and a unified diff
that git apply and patch -p1 accept. With IMAGE (the image the Dockerfile
built) savings are measured from its layers and findings, the libraries the
compiled extensions link are read from their ELF headers, and pins use the
versions it holds; without it, savings are "not measured".

Without a Dockerfile, IMAGE's history is turned into one (marked as
reconstructed) and the suggestions rewrite that.

The suggestions and their IDs: docs/suggestions.md. Apply them with
'slimpy fix'.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.format != "text" && f.format != "json" {
				return fmt.Errorf("--format %q: use text or json", f.format)
			}
			w, err := f.load(cmd.Context(), cmd.ErrOrStderr(), newProgress(cmd), args)
			if err != nil {
				return err
			}
			ss, err := suggest.Suggest(w.src, w.opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.format == "json" {
				return writeSuggestionsJSON(out, w, ss)
			}
			color := useColor(f.color, out)
			if w.reconstructed {
				fmt.Fprintf(out, "No Dockerfile given: reconstructed from the history of %s:\n\n", textsafe.Term(w.image))
				for _, l := range strings.Split(strings.TrimSuffix(string(w.src), "\n"), "\n") {
					fmt.Fprintln(out, "  "+textsafe.Code(l))
				}
				fmt.Fprintln(out)
			}
			writeSuggestionsText(out, w, ss, color)
			return nil
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.color, "color", "auto", "colour the diffs: auto (on a terminal, unless NO_COLOR is set), always or never")
	return cmd
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiRed   = "\x1b[31m"
	ansiGreen = "\x1b[32m"
	ansiCyan  = "\x1b[36m"
	ansiDim   = "\x1b[2m"
)

// useColor: always, never, or auto (a terminal and no NO_COLOR).
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := outputFile(w)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func writeSuggestionsText(out io.Writer, w *workspace, ss []suggest.Suggestion, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	name := w.path
	if name == "" {
		name = "the reconstructed Dockerfile"
	}
	if len(ss) == 0 {
		fmt.Fprintf(out, "%s: no suggestions.\n", textsafe.Term(name))
		return
	}
	var measured int64
	for _, s := range ss {
		if s.Savings.Measured {
			measured += s.Savings.Bytes
		}
	}
	fmt.Fprintf(out, "%s: %s", textsafe.Term(name), plural(len(ss), "suggestion", "suggestions"))
	switch {
	case w.mismatch != "":
		fmt.Fprintf(out, " (image %s, which the Dockerfile did not build: the savings are not measured)", textsafe.Term(w.image))
	case w.opts.Image != nil:
		fmt.Fprintf(out, " (image %s)", textsafe.Term(w.image))
	default:
		fmt.Fprint(out, " (no image: the savings are not measured)")
	}
	fmt.Fprintln(out)
	for _, s := range ss {
		fmt.Fprintln(out)
		fmt.Fprintf(out, "%s  %s\n", paint(ansiBold, s.ID), paint(ansiBold, textsafe.Code(s.Title)))
		meta := "name: " + s.Name
		if s.Hadolint != "" {
			meta += " · hadolint " + s.Hadolint
		}
		if len(s.Lines) > 0 {
			var ls []string
			for _, l := range s.Lines {
				ls = append(ls, fmt.Sprint(l))
			}
			meta += " · lines " + strings.Join(ls, ", ")
		}
		fmt.Fprintln(out, "  "+paint(ansiDim, meta))
		for _, e := range s.Evidence {
			if !slices.Contains(s.Advice, e) { // said below, as the reason
				fmt.Fprintln(out, "  - "+textsafe.Code(e))
			}
		}
		fmt.Fprintln(out, "  "+textsafe.Code(s.Savings.String()))
		if !s.Fixable() {
			fmt.Fprintln(out, "  "+paint(ansiBold, "Advice only, no diff:"))
			for _, a := range s.Advice {
				fmt.Fprintln(out, "  - "+textsafe.Code(a))
			}
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(s.Diff, "\n"), "\n") {
			l = textsafe.Code(l) // as it is, unless it would drive the terminal
			switch {
			case strings.HasPrefix(l, "+++") || strings.HasPrefix(l, "---") || strings.HasPrefix(l, "diff ") || strings.HasPrefix(l, "new file"):
				l = paint(ansiBold, l)
			case strings.HasPrefix(l, "@@"):
				l = paint(ansiCyan, l)
			case strings.HasPrefix(l, "+"):
				l = paint(ansiGreen, l)
			case strings.HasPrefix(l, "-"):
				l = paint(ansiRed, l)
			}
			fmt.Fprintln(out, l)
		}
	}
	fmt.Fprintln(out)
	if w.opts.Image != nil {
		fmt.Fprintf(out, "Measured savings add up to %s (suggestions can overlap).\n", humanize.Bytes(uint64(measured)))
	}
	if slices.ContainsFunc(ss, suggest.Suggestion.Fixable) {
		fmt.Fprintln(out, "Apply with: slimpy fix [IMAGE] --dockerfile PATH --accept ID,... (or --all)")
	} else {
		fmt.Fprintln(out, "Every suggestion is advice: nothing for slimpy fix to apply.")
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func writeSuggestionsJSON(out io.Writer, w *workspace, ss []suggest.Suggestion) error {
	if ss == nil {
		ss = []suggest.Suggestion{}
	}
	doc := struct {
		Dockerfile    string               `json:"dockerfile"`
		Image         string               `json:"image,omitempty"`
		Reconstructed bool                 `json:"reconstructed"`
		ImageMismatch string               `json:"imageMismatch,omitempty"`
		Source        string               `json:"source,omitempty"`
		Suggestions   []suggest.Suggestion `json:"suggestions"`
	}{Dockerfile: w.path, Image: w.image, Reconstructed: w.reconstructed, ImageMismatch: w.mismatch, Suggestions: ss}
	if w.reconstructed {
		doc.Source = string(w.src)
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}
