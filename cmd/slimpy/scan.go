package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/fleet"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/safefile"
	"github.com/spf13/cobra"
)

// Bounds of scan's inputs (the README, below the exit codes).
const (
	// maxScanConcurrency bounds --concurrency: each analysis holds its
	// merged tree until its report is made, and reads its layers in
	// parallel already.
	maxScanConcurrency = 64
	// maxReferencesFileBytes bounds --file: 100,000 references are a few MB.
	maxReferencesFileBytes = 64 << 20
	// maxShardReportBytes bounds each report scan merge reads.
	maxShardReportBytes = 256 << 20
)

// jobIndexVar is where a Kubernetes Indexed Job gives each pod its index.
const jobIndexVar = "JOB_COMPLETION_INDEX"

// fleetWriters are the fleet report's formats.
var fleetWriters = map[string]func(io.Writer, *fleet.Report) error{
	"text": fleet.WriteText, "json": fleet.WriteJSON, "markdown": fleet.WriteMarkdown,
}

type scanFlags struct {
	sourceFlags
	file        string
	allTags     []string
	shard       string
	concurrency int
	format      string
	output      string
	config      string
	now         string
}

func newScanCmd() *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan [REF...]",
		Short: "Report a fleet of images: sizes, waste, shared bases, end-of-life releases",
		Long: `scan analyses many images as inspect does, a few at a time, and reports
them as one fleet (docs/fleet.md): per image its size, waste, score and top
findings; per base image (a layer prefix the images share) how many images
use it and what it costs; the fleet's recoverable bytes by category; the
end-of-life releases and the base that carries them; the images that failed.

The images are the references given, those of --file (one a line, - for
standard input) and every tag of each --all-tags repository. Each distinct
layer is read once per run (with --no-cache, into a temporary layer cache
removed at the end). One image that fails is listed and the others go on.

--shard I/N analyses the I-th (from 0) of N parts of the sorted list, for a
CI matrix; auto/N takes I from JOB_COMPLETION_INDEX, for a Kubernetes
Indexed Job. 'slimpy scan merge' combines the shards' JSON reports.

Exit codes: 0 every image analysed, 1 the report was written and lists
images that failed, 2 usage or input error, 130 interrupted (nothing written).`,
		Example: `  slimpy scan --all-tags registry.example.com/team/app --format markdown -o fleet.md
  slimpy scan --file images.txt --shard 2/4 --format json -o shard-2.json
  slimpy scan merge shard-*.json --format markdown`,
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, args, f) },
		// Images at every position, as for inspect; files too (archives, layouts).
		ValidArgsFunction: func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
			return localImages(c.Context()), cobra.ShellCompDirectiveDefault
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.file, "file", "", "read image references from FILE, one a line (# comments; - for standard input)")
	fl.StringArrayVar(&f.allTags, "all-tags", nil, "scan every tag of the registry repository REPO (repeatable)")
	fl.StringVar(&f.shard, "shard", "", "analyse part I of N of the sorted list, I/N with I from 0 (auto/N: I from $"+jobIndexVar+")")
	fl.IntVar(&f.concurrency, "concurrency", fleet.DefaultConcurrency, fmt.Sprintf("images analysed at once, 1 to %d", maxScanConcurrency))
	fl.StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	fl.StringVarP(&f.output, "output", "o", "", "write the report to FILE (atomically) instead of standard output")
	f.sourceFlags.register(fl)
	fl.StringVar(&f.config, "config", "", "rules config file (default: "+inspect.ConfigFileName+" in the working directory, if present; docs/configuration.md)")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
	cmd.AddCommand(newScanMergeCmd())
	return cmd
}

func runScan(cmd *cobra.Command, args []string, f *scanFlags) error {
	if err := checkFleetFormat(f.format); err != nil {
		return err
	}
	if f.concurrency < 1 || f.concurrency > maxScanConcurrency {
		return fmt.Errorf("--concurrency %d: give a number of images from 1 to %d", f.concurrency, maxScanConcurrency)
	}
	shardIndex, shardCount, err := parseShard(f.shard)
	if err != nil {
		return err
	}
	now, err := parseNow(f.now)
	if err != nil {
		return err
	}
	rules, err := loadRulesConfig(f.config)
	if err != nil {
		return err
	}
	rules.Now = now
	if err := f.useSettings(rules.Sources, cmd.ErrOrStderr()); err != nil {
		return err
	}

	// -o must not name an input: checked before the tags are listed, and
	// again with the references --file names.
	if err := f.checkOutput(args); err != nil {
		return err
	}
	ctx := cmd.Context()
	p := newProgress(cmd)
	defer p.done()
	refs, err := f.references(ctx, args, cmd.InOrStdin(), p)
	if err != nil {
		return err
	}
	if err := f.checkOutput(refs); err != nil {
		return err
	}
	cacheDir, cleanup, err := f.runCacheDir()
	if err != nil {
		return err
	}
	defer cleanup()
	r, err := fleet.Run(ctx, refs, f.analyzer(rules, cacheDir), fleet.RunOptions{
		Concurrency: f.concurrency, ShardIndex: shardIndex, ShardCount: shardCount, Progress: scanProgress(p),
	})
	if err != nil {
		return err
	}
	p.done()
	return writeFleetReport(cmd, &r, f.format, f.output)
}

// checkOutput refuses an -o that could not be written or would overwrite
// an input: the config, --file, an image these references name on disk.
func (f *scanFlags) checkOutput(refs []string) error {
	if f.output == "" {
		return nil
	}
	inputs := append([]inputFile{configInput(f.config)}, imageInputs(refs...)...)
	if f.file != "" && f.file != "-" {
		inputs = append(inputs, inputFile{"--file " + f.file, f.file})
	}
	return checkReportTargets([]reportTarget{{format: f.format, path: f.output, flag: "-o"}}, inputs)
}

// references are the images to scan: the arguments, --file's and every
// tag of each --all-tags repository (read from the registry: docker://).
func (f *scanFlags) references(ctx context.Context, args []string, stdin io.Reader, p *progressLine) ([]string, error) {
	refs := slices.Clone(args)
	if f.file != "" {
		more, err := readReferences(f.file, stdin)
		if err != nil {
			return nil, fmt.Errorf("--file %s: %w", f.file, err)
		}
		refs = append(refs, more...)
	}
	for _, repo := range f.allTags {
		repo = strings.TrimPrefix(repo, "docker://")
		p.phase("Listing the tags of " + repo + "…")
		tags, err := fleet.ListTags(ctx, repo, fleet.TagOptions{Insecure: f.insecure, Transport: source.RegistryTransport(f.settings.Registry, f.insecure)})
		if err != nil {
			return nil, err
		}
		for _, t := range tags {
			refs = append(refs, "docker://"+t)
		}
	}
	if len(refs) == 0 {
		return nil, fmt.Errorf("no images to scan: give references, --file or --all-tags")
	}
	if len(refs) > fleet.MaxReferences {
		return nil, fmt.Errorf("%d image references: at most %d in one scan (split the list with --shard)", len(refs), fleet.MaxReferences)
	}
	return refs, nil
}

// readReferences reads --file: a regular file, or standard input for "-".
func readReferences(path string, stdin io.Reader) ([]string, error) {
	if path == "-" {
		return fleet.ReadReferences(stdin)
	}
	rc, err := safefile.OpenRegular(path, maxReferencesFileBytes)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return fleet.ReadReferences(rc)
}

// parseShard reads --shard: "" for the whole list, I/N, or auto/N for the
// index a Kubernetes Indexed Job sets in JOB_COMPLETION_INDEX.
func parseShard(s string) (index, count int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	n, ok := strings.CutPrefix(s, "auto/")
	if !ok {
		return fleet.ParseShard(s)
	}
	if _, _, err := fleet.ParseShard("0/" + n); err != nil {
		return 0, 0, fmt.Errorf("--shard %q: want auto/N, N 1 or more", s)
	}
	i := os.Getenv(jobIndexVar)
	if i == "" {
		return 0, 0, fmt.Errorf("--shard %s: %s is not set (a Kubernetes Indexed Job sets it in each pod); give I/N", s, jobIndexVar)
	}
	if index, count, err = fleet.ParseShard(i + "/" + n); err != nil {
		return 0, 0, fmt.Errorf("--shard %s: %s=%q is not an index from 0 to %s-1", s, jobIndexVar, i, n)
	}
	return index, count, nil
}

// runCacheDir is the layer cache the run's analyses share: --cache-dir,
// or with --no-cache a temporary one, removed by cleanup, so that a layer
// the images share is still read once.
func (f *scanFlags) runCacheDir() (dir string, cleanup func(), err error) {
	if !f.noCache {
		return f.cacheDir, func() {}, nil
	}
	dir, err = os.MkdirTemp("", "slimpy-scan-cache-")
	if err != nil {
		return "", nil, fmt.Errorf("--no-cache: a temporary layer cache: %w", err)
	}
	return dir, func() { os.RemoveAll(dir) }, nil
}

// analyzer is the per-image analysis of the run: open, analyse with the
// rules (as inspect --format does, from the shared layer cache), one image
// at a time per layer that no analysis has read yet (layerTurns).
func (f *scanFlags) analyzer(rules inspect.Config, cacheDir string) fleet.Analyzer {
	src := f.sourceFlags
	src.cacheDir, src.noCache = cacheDir, false
	turns := newLayerTurns()
	return func(ctx context.Context, ref string) (*inspect.Report, error) {
		s, err := source.Open(ctx, ref, src.openOptions())
		if err != nil {
			return nil, besideRef(ref, err)
		}
		defer s.Close()
		release, err := turns.take(ctx, diffIDs(s))
		if err != nil {
			return nil, err
		}
		r, err := inspect.InspectReport(ctx, s, src.options(nil), &rules)
		release(err == nil)
		if err != nil {
			return nil, err
		}
		return &r, nil
	}
}

// besideRef is err without the reference it starts with: the fleet report
// shows the reference beside it.
func besideRef(ref string, err error) error {
	if msg, ok := strings.CutPrefix(err.Error(), ref+": "); ok {
		return refError{msg, err}
	}
	return err
}

type refError struct {
	msg string
	err error
}

func (e refError) Error() string { return e.msg }
func (e refError) Unwrap() error { return e.err }

// scanProgress shows the run on the status line: the images finished of
// the run's, those that failed, and the ones being analysed.
func scanProgress(p *progressLine) func(fleet.Event) {
	if p == nil {
		return nil
	}
	var running []string
	failed := 0
	return func(e fleet.Event) {
		if e.State == fleet.Started {
			running = append(running, e.Reference)
		} else {
			running = slices.DeleteFunc(running, func(r string) bool { return r == e.Reference })
		}
		if e.State == fleet.Failed {
			failed++
		}
		line := fmt.Sprintf("Scanning: %d of %d images done", e.Finished, e.Total)
		if failed > 0 {
			line += fmt.Sprintf(" (%d failed)", failed)
		}
		if len(running) > 0 {
			line += " · " + strings.Join(running, ", ")
		}
		p.phase(line) // clipped and escaped
	}
}

func newScanMergeCmd() *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "merge FILES...",
		Short: "Merge the JSON reports of a scan's shards into the fleet report",
		Long: `merge reads the JSON reports of all N shards of one scan (slimpy scan
--shard I/N --format json), in any order, and writes the fleet report: the
same bytes, in every format, as one unsharded scan of the whole list. It
refuses a shard missing or given twice, shards of different lists, and
reports that are not a shard's.

Exit codes: 0 every image analysed, 1 the report was written and lists
images that failed, 2 usage error or a refused merge.`,
		Example: `  slimpy scan merge shard-*.json --format markdown >> "$GITHUB_STEP_SUMMARY"`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runScanMerge(cmd, args, format, output)
		},
		ValidArgsFunction: cobra.FixedCompletions(nil, cobra.ShellCompDirectiveDefault), // files
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the report to FILE (atomically) instead of standard output")
	return cmd
}

func runScanMerge(cmd *cobra.Command, files []string, format, output string) error {
	if err := checkFleetFormat(format); err != nil {
		return err
	}
	if output != "" {
		var inputs []inputFile
		for _, p := range files {
			inputs = append(inputs, inputFile{"the shard report " + p, p})
		}
		if err := checkReportTargets([]reportTarget{{format: format, path: output, flag: "-o"}}, inputs); err != nil {
			return err
		}
	}
	shards := make([][]byte, len(files))
	for i, p := range files {
		b, err := safefile.ReadRegular(p, maxShardReportBytes)
		if err != nil {
			return err
		}
		shards[i] = b
	}
	r, err := fleet.Merge(shards...)
	if err != nil {
		return err
	}
	return writeFleetReport(cmd, &r, format, output)
}

func checkFleetFormat(format string) error {
	if fleetWriters[format] == nil {
		return fmt.Errorf("--format %q: use text, json or markdown", format)
	}
	return nil
}

// writeFleetReport writes the report to -o (atomically) or standard
// output; one that lists failed images is exit 1, said on stderr.
func writeFleetReport(cmd *cobra.Command, r *fleet.Report, format, output string) error {
	var b bytes.Buffer
	if err := fleetWriters[format](&b, r); err != nil {
		return err
	}
	ctx := cmd.Context()
	if output != "" {
		if err := writeOutputs(ctx, []fileToWrite{{name: "-o", path: output, data: b.Bytes()}}); err != nil {
			return err
		}
	} else {
		if err := ctx.Err(); err != nil {
			return err
		}
		if _, err := cmd.OutOrStdout().Write(b.Bytes()); err != nil {
			return err
		}
	}
	if n := len(r.Failed); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "slimpy: %d of %d images could not be analysed; the report lists them\n", n, n+len(r.Images))
		return &checkError{msg: "images failed"}
	}
	return nil
}
