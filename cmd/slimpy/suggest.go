package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/report"
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

// load reads the Dockerfile and, with an image, analyses it (its progress
// shown on p) and measures the suggestions on it: internal/pipeline.
func (f *suggestFlags) load(ctx context.Context, stderr io.Writer, p *progressLine, args []string) (*pipeline.Workspace, error) {
	now, err := parseNow(f.now)
	if err != nil {
		return nil, err
	}
	image := ""
	if len(args) > 0 {
		image = args[0]
	}
	f.dockerfile = pipeline.DockerfilePath(f.dockerfile)
	if f.dockerfile == "" && image == "" {
		return nil, errors.New("no Dockerfile here: give --dockerfile PATH, or an IMAGE to reconstruct one from its history")
	}
	w, err := pipeline.Load(f.dockerfile, f.context, now)
	if err != nil || image == "" {
		return w, err
	}
	cfg, err := loadRulesConfig(f.config)
	if err != nil {
		return nil, err
	}
	cfg.Now = now
	if err := f.useSettings(cfg.Sources, stderr); err != nil {
		return nil, err
	}
	defer p.done()
	p.start("Reading " + image)
	img, err := pipeline.Analyze(ctx, image, f.pipelineOptions(cfg, p, stderr))
	if err != nil {
		return nil, err
	}
	defer img.Close()
	if err := w.Measure(img, img.Facts(ctx), pipeline.KeepUnmeasured); err != nil {
		return nil, err
	}
	if w.Mismatch != "" {
		fmt.Fprintf(stderr, "slimpy: warning: %s does not match %s: %s; its savings are not measured\n",
			textsafe.Term(w.Path), textsafe.Term(w.Image), w.Mismatch)
	}
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
			ss, err := suggest.Suggest(w.Src, w.Opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.format == "json" {
				return report.SuggestionsJSON(out, suggestionsDoc(w), ss)
			}
			color := useColor(f.color, out)
			if w.Reconstructed {
				fmt.Fprintf(out, "No Dockerfile given: reconstructed from the history of %s:\n\n", textsafe.Term(w.Image))
				for _, l := range strings.Split(strings.TrimSuffix(string(w.Src), "\n"), "\n") {
					fmt.Fprintln(out, "  "+textsafe.Code(l))
				}
				fmt.Fprintln(out)
			}
			report.SuggestionsText(out, suggestionsDoc(w), ss, color)
			return nil
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringVar(&f.format, "format", "text", "output format: text or json")
	fl.StringVar(&f.color, "color", "auto", "colour the diffs: auto (on a terminal, unless NO_COLOR is set), always or never")
	return cmd
}

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

// suggestionsDoc is what the suggestions' reports say of the workspace.
func suggestionsDoc(w *pipeline.Workspace) report.SuggestionsDoc {
	d := report.SuggestionsDoc{Dockerfile: w.Path, Image: w.Image, Mismatch: w.Mismatch, Measured: w.Opts.Image != nil}
	if w.Reconstructed {
		d.Reconstructed = string(w.Src)
	}
	return d
}
