package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/slimpy/slimpy/internal/ci"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/safefile"
	"github.com/spf13/cobra"
)

type ciFlags struct {
	sourceFlags
	baseline       string
	baselineImage  string
	config         string
	reports        []string
	maxSize        string
	maxGrowth      string
	maxWasted      string
	minEfficiency  string
	failOnRules    []string
	failOnSeverity string
	categoryGrowth []string
	onlyNew        bool
	now            string
	defaultPolicy  *bool // --default-policy, when given
}

func newCICmd() *cobra.Command {
	f := &ciFlags{}
	cmd := &cobra.Command{
		Use:   "ci IMAGE",
		Short: "Fail a pipeline on size and hygiene regressions",
		Long: `ci inspects IMAGE, compares it with a baseline and with thresholds, and
exits 1 when a check fails. Thresholds come from flags and from the ci:
section of .slimpy.yaml (flags win). Sizes accept 300MB, 1.5GiB or bytes;
growth accepts a size or a percentage of the baseline (10%).

The default policy checks what nothing else sets: without a baseline, a
layer efficiency (visible / stored) of at least 90% and no high-severity
finding; with one, no new high-severity finding and at most 10% growth.
A flag or config value replaces its limit, "off" removes it
(--min-efficiency off), and "default-policy: false" in the ci: section
(or --default-policy=false) removes them all.

Exit codes: 0 every check passed, 1 a check failed, 2 usage or analysis error.`,
		Example: `  slimpy ci docker-daemon:app:pr-42 --baseline main.json --max-growth 5% \
      --report markdown="$GITHUB_STEP_SUMMARY" --report junit=slimpy.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runCI(cmd, args[0], f) },
	}
	fl := cmd.Flags()
	f.sourceFlags.register(fl)
	fl.StringVar(&f.baseline, "baseline", "", "baseline report: the JSON of 'slimpy inspect --format json'")
	fl.StringVar(&f.baselineImage, "baseline-image", "", "baseline image, any reference form")
	fl.StringVar(&f.config, "config", "", "config file (default: .slimpy.yaml in the working directory, if present)")
	fl.StringArrayVar(&f.reports, "report", nil, "write a report, FORMAT=PATH with FORMAT markdown, json or junit (repeatable)")
	fl.StringVar(&f.maxSize, "max-size", "", "fail when the image is larger (e.g. 300MB)")
	fl.StringVar(&f.maxGrowth, "max-growth", "", "fail when the image grew more since the baseline (e.g. 20MB or 5%; default policy 10%; off)")
	fl.StringVar(&f.maxWasted, "max-wasted", "", "fail when more bytes are stored but not visible")
	fl.StringVar(&f.minEfficiency, "min-efficiency", "", "fail below this layer efficiency, visible/stored (e.g. 0.9 or 90%; default policy without a baseline 0.9; off)")
	fl.StringSliceVar(&f.failOnRules, "fail-on-rule", nil, "fail when a finding of these rule IDs is present (repeatable, comma-separated)")
	fl.StringVar(&f.failOnSeverity, "fail-on-severity", "", "fail on findings of this severity or worse: info, low, medium, high (default policy: new high ones with a baseline, any without; off)")
	fl.StringArrayVar(&f.categoryGrowth, "category-growth", nil, "allowed growth of a category since the baseline, CATEGORY=SIZE|PCT (repeatable; categories of docs/rules.md, and wasted)")
	fl.BoolVar(&f.onlyNew, "only-new", false, "--fail-on-rule and --fail-on-severity count only findings the baseline did not have")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
	fl.Bool("default-policy", true, "check the default policy's limits that no flag or config sets (docs/ci.md); false: only the limits set")
	cmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Flags().Changed("default-policy") {
			v, err := cmd.Flags().GetBool("default-policy")
			f.defaultPolicy = &v
			return err
		}
		return nil
	}
	return cmd
}

// reportTarget is a report to write: its format, its path, and the flag
// that named it when that is not --report FORMAT=PATH (scan's -o).
type reportTarget struct{ format, path, flag string }

// name is how the command line named the report, for messages.
func (t reportTarget) name() string {
	if t.flag != "" {
		return t.flag + " " + t.path
	}
	return "--report " + t.format + "=" + t.path
}

func runCI(cmd *cobra.Command, ref string, f *ciFlags) error {
	if f.baseline != "" && f.baselineImage != "" {
		return fmt.Errorf("use --baseline or --baseline-image, not both")
	}
	targets, err := parseReports(f.reports)
	if err != nil {
		return err
	}
	if err := checkReportTargets(targets, f.ciInputs(ref)); err != nil {
		return err
	}
	cfg, err := readConfig(f.config)
	if err != nil {
		return err
	}
	th, err := f.thresholds(cfg)
	if err != nil {
		return err
	}
	if err := th.Validate(); err != nil {
		return err
	}
	rules, err := cfg.rules()
	if err != nil {
		return err
	}
	// ci never passes an image whose blobs do not match their digests,
	// even when its layers' results come from the cache.
	f.verifyBlobs = true
	if err := f.useSettings(rules.Sources, cmd.ErrOrStderr()); err != nil {
		return err
	}
	if rules.Now, err = parseNow(f.now); err != nil {
		return err
	}
	ctx := cmd.Context()
	p := newProgress(cmd)
	defer p.done()
	var base *inspect.Report
	switch {
	case f.baseline != "":
		b, err := ci.ReadBaseline(f.baseline)
		if err != nil {
			return err
		}
		base = &b
	case f.baselineImage != "":
		a, err := f.analyze(ctx, f.baselineImage, p)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		p.phase("Running the rules on the baseline…")
		b := a.ReportWithFindings(rules)
		base = &b
	}
	a, err := f.analyze(ctx, ref, p)
	if err != nil {
		return err
	}
	p.phase("Running the rules…")
	cur := a.ReportWithFindings(rules)
	p.done()
	res := ci.Evaluate(cur, base, th)
	// The verdict first: a report that cannot be written must not hide it.
	if err := ci.Text(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	if err := writeReports(ctx, targets, res); err != nil {
		return err
	}
	if !res.Passed {
		return &checkError{msg: "checks failed"}
	}
	return nil
}

// thresholds are the config's ci: section with the flags over it.
func (f *ciFlags) thresholds(cfg configFile) (ci.Thresholds, error) {
	th, err := ci.ParseThresholds(cfg.raw, cfg.name)
	if err != nil {
		return th, fmt.Errorf("config: %w", err)
	}
	var fl ci.Thresholds
	for name, v := range map[string]*string{"min-efficiency": &f.minEfficiency, "fail-on-severity": &f.failOnSeverity, "max-growth": &f.maxGrowth} {
		if *v == ci.OffValue {
			*v = ""
			fl.SetOff(name)
		}
	}
	if fl.MaxSize, err = optSizeFlag("--max-size", f.maxSize); err != nil {
		return th, err
	}
	if fl.MaxWasted, err = optSizeFlag("--max-wasted", f.maxWasted); err != nil {
		return th, err
	}
	if f.maxGrowth != "" {
		g, err := ci.ParseGrowth(f.maxGrowth)
		if err != nil {
			return th, fmt.Errorf("--max-growth: %w", err)
		}
		fl.MaxGrowth = &g
	}
	if f.minEfficiency != "" {
		v, err := ci.ParseRatio(f.minEfficiency)
		if err != nil {
			return th, fmt.Errorf("--min-efficiency: %w", err)
		}
		fl.MinEfficiency = &v
	}
	fl.FailOnRules = f.failOnRules
	fl.FailOnSeverity = f.failOnSeverity
	if f.defaultPolicy != nil {
		fl.DefaultPolicy = f.defaultPolicy
	}
	fl.OnlyNew = f.onlyNew
	for _, kv := range f.categoryGrowth {
		cat, val, ok := strings.Cut(kv, "=")
		if !ok || cat == "" {
			return th, fmt.Errorf("--category-growth %q: use CATEGORY=SIZE or CATEGORY=PCT%%", kv)
		}
		g, err := ci.ParseGrowth(val)
		if err != nil {
			return th, fmt.Errorf("--category-growth %s: %w", cat, err)
		}
		if fl.CategoryGrowth == nil {
			fl.CategoryGrowth = map[string]ci.Growth{}
		}
		fl.CategoryGrowth[cat] = g
	}
	return th.Merge(fl), nil
}

func optSizeFlag(name, s string) (*int64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := ci.ParseSize(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &v, nil
}

func parseReports(specs []string) ([]reportTarget, error) {
	var out []reportTarget
	for _, s := range specs {
		format, path, ok := strings.Cut(s, "=")
		if format == "md" {
			format = "markdown"
		}
		if !ok || path == "" || (format != "markdown" && format != "json" && format != "junit") {
			return nil, fmt.Errorf("--report %q: use markdown=PATH, json=PATH or junit=PATH", s)
		}
		out = append(out, reportTarget{format: format, path: path})
	}
	return out, nil
}

// checkReportTargets refuses, before any analysis, a report that could not
// be written or would overwrite an input: its directory must exist, it
// must not be a directory, an input file (the baseline, the config, an
// image archive) or inside an input directory (an OCI layout), nor
// another report's path.
func checkReportTargets(targets []reportTarget, inputs []inputFile) error {
	for i, t := range targets {
		name := t.name()
		dir := filepath.Dir(t.path)
		if st, err := os.Stat(dir); err != nil {
			return fmt.Errorf("%s: the directory %s does not exist", name, dir)
		} else if !st.IsDir() {
			return fmt.Errorf("%s: %s is not a directory", name, dir)
		}
		if st, err := os.Stat(t.path); err == nil && st.IsDir() {
			return fmt.Errorf("%s: is a directory", name)
		}
		if err := checkNotAnInput(name, t.path, inputs); err != nil {
			return err
		}
		for _, u := range targets[:i] {
			if samePath(t.path, u.path) {
				return fmt.Errorf("%s and %s are the same file", name, u.name())
			}
		}
	}
	return nil
}

// checkNotAnInput refuses an output path (named name on the command line)
// that is one of the inputs or inside an input directory (an OCI layout).
func checkNotAnInput(name, path string, inputs []inputFile) error {
	for _, in := range inputs {
		if safefile.SameFile(path, in.path) {
			return fmt.Errorf("%s is %s: it would be overwritten", name, in.name)
		}
		if st, err := os.Stat(in.path); err == nil && st.IsDir() && inside(path, in.path) {
			return fmt.Errorf("%s is inside %s: it would change it", name, in.name)
		}
	}
	return nil
}

// inputFile is a file or directory a command reads, and what names it.
type inputFile struct{ name, path string }

// ciInputs are the files ci reads.
func (f *ciFlags) ciInputs(ref string) []inputFile {
	var in []inputFile
	if f.baseline != "" {
		in = append(in, inputFile{"--baseline " + f.baseline, f.baseline})
	}
	in = append(in, configInput(f.config))
	return append(in, imageInputs(ref, f.baselineImage)...)
}

// configInput is the config file a command reads: --config, else
// .slimpy.yaml when it exists.
func configInput(flag string) inputFile {
	if flag != "" {
		return inputFile{"--config " + flag, flag}
	}
	return inputFile{"the config " + inspect.ConfigFileName, inspect.ConfigFileName}
}

// imageInputs are the files and directories these image references may
// name (imagePaths).
func imageInputs(refs ...string) []inputFile {
	var in []inputFile
	for _, r := range refs {
		for _, p := range imagePaths(r) {
			in = append(in, inputFile{"the image " + r, p})
		}
	}
	return in
}

// imagePaths are what an image reference may name on disk
// (docker-archive:PATH[:TAG], oci:DIR[:TAG], oci-archive:PATH[:TAG]: the
// whole rest and the part before a tag; a bare PATH).
func imagePaths(ref string) []string {
	if ref == "" || strings.HasPrefix(ref, "docker://") || strings.HasPrefix(ref, "docker-daemon:") {
		return nil
	}
	for _, p := range []string{"docker-archive:", "oci-archive:", "oci:"} {
		if rest, ok := strings.CutPrefix(ref, p); ok {
			paths := []string{rest}
			if p, _, ok := strings.Cut(rest, ":"); ok && p != "" {
				paths = append(paths, p)
			}
			return paths // compared with os.SameFile: only what exists counts
		}
	}
	return []string{ref} // a bare path, when it exists
}

// samePath: a and b name the same file (links followed), or would once
// written.
func samePath(a, b string) bool {
	if safefile.SameFile(a, b) {
		return true
	}
	aa, err1 := filepath.Abs(a)
	ab, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ab
}

// inside: p is in the directory dir (links followed).
func inside(p, dir string) bool {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	pd, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return false
	}
	d, _ = filepath.Abs(d)
	pd, _ = filepath.Abs(pd)
	return pd == d || strings.HasPrefix(pd, d+string(filepath.Separator))
}

// writeReports renders every report and writes them (writeOutputs).
func writeReports(ctx context.Context, targets []reportTarget, res ci.Result) error {
	var files []fileToWrite
	for _, tg := range targets {
		render := map[string]func(io.Writer, ci.Result) error{"markdown": ci.Markdown, "json": ci.JSON, "junit": ci.JUnit}[tg.format]
		var b bytes.Buffer
		if err := render(&b, res); err != nil {
			return err
		}
		files = append(files, fileToWrite{name: "--report " + tg.format, path: tg.path, data: b.Bytes()})
	}
	return writeOutputs(ctx, files)
}

// fileToWrite is a file a command writes, and the flag that names it.
type fileToWrite struct {
	name, path string
	data       []byte
}

// writeOutputs writes every file, or none (a safefile.Txn: each
// atomically, by a temporary file swapped in), except special files such
// as $GITHUB_STEP_SUMMARY's or /dev/stdout, which are appended to.
func writeOutputs(ctx context.Context, files []fileToWrite) error {
	var t safefile.Txn
	defer t.Abort()
	var appends []fileToWrite
	for _, f := range files {
		if st, err := os.Stat(f.path); err == nil && !st.Mode().IsRegular() || f.path == os.Getenv("GITHUB_STEP_SUMMARY") && f.path != "" {
			appends = append(appends, f)
			continue
		}
		if _, err := t.Replace(f.path, f.data, safefile.ReplaceOptions{}); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if err := t.Commit(ctx); err != nil {
		return fmt.Errorf("%w; nothing written", err)
	}
	for _, f := range appends {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Without blocking: a pipe nobody reads is an error, not a hang.
		w, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|syscall.O_NONBLOCK, 0o644)
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		_, err = w.Write(f.data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
	}
	return nil
}
