package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/slimpy/slimpy/internal/ci"
	"github.com/slimpy/slimpy/internal/inspect"
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
	fl.StringVar(&f.maxGrowth, "max-growth", "", "fail when the image grew more since the baseline (e.g. 20MB or 5%)")
	fl.StringVar(&f.maxWasted, "max-wasted", "", "fail when more bytes are stored but not visible")
	fl.StringVar(&f.minEfficiency, "min-efficiency", "", "fail below this efficiency, visible/stored (e.g. 0.9 or 90%)")
	fl.StringSliceVar(&f.failOnRules, "fail-on-rule", nil, "fail when a finding of these rule IDs is present (repeatable, comma-separated)")
	fl.StringVar(&f.failOnSeverity, "fail-on-severity", "", "fail on findings of this severity or worse")
	fl.StringArrayVar(&f.categoryGrowth, "category-growth", nil, "allowed growth of a category since the baseline, CATEGORY=SIZE|PCT (repeatable; categories of docs/rules.md, and wasted)")
	fl.BoolVar(&f.onlyNew, "only-new", false, "--fail-on-rule and --fail-on-severity count only findings the baseline did not have")
	fl.StringVar(&f.now, "now", "", "the date ages are computed against, YYYY-MM-DD (default: today)")
	return cmd
}

type reportTarget struct{ format, path string }

func runCI(cmd *cobra.Command, ref string, f *ciFlags) error {
	if f.baseline != "" && f.baselineImage != "" {
		return fmt.Errorf("use --baseline or --baseline-image, not both")
	}
	targets, err := parseReports(f.reports)
	if err != nil {
		return err
	}
	th, err := f.thresholds()
	if err != nil {
		return err
	}
	if err := th.Validate(); err != nil {
		return err
	}
	rules, err := loadRulesConfig(f.config)
	if err != nil {
		return err
	}
	// ci never passes an image whose blobs do not match their digests,
	// even when its layers' results come from the cache.
	f.settings, f.verifyBlobs = rules.Sources, true
	if rules.Now, err = parseNow(f.now); err != nil {
		return err
	}
	ctx := cmd.Context()
	var base *inspect.Report
	switch {
	case f.baseline != "":
		b, err := ci.ReadBaseline(f.baseline)
		if err != nil {
			return err
		}
		base = &b
	case f.baselineImage != "":
		a, err := f.analyze(ctx, f.baselineImage, nil)
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		b := a.ReportWithFindings(rules)
		base = &b
	}
	a, err := f.analyze(ctx, ref, nil)
	if err != nil {
		return err
	}
	res := ci.Evaluate(a.ReportWithFindings(rules), base, th)
	for _, t := range targets {
		if err := writeReport(t, res); err != nil {
			return err
		}
	}
	if err := ci.Text(cmd.OutOrStdout(), res); err != nil {
		return err
	}
	if !res.Passed {
		return &checkError{msg: "checks failed"}
	}
	return nil
}

func (f *ciFlags) thresholds() (ci.Thresholds, error) {
	path, optional := f.config, false
	if path == "" {
		path, optional = ".slimpy.yaml", true
	}
	th, err := ci.LoadThresholds(path, optional)
	if err != nil {
		return th, fmt.Errorf("config: %w", err)
	}
	var fl ci.Thresholds
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
		v, err := parseRatio(f.minEfficiency)
		if err != nil {
			return th, fmt.Errorf("--min-efficiency: %w", err)
		}
		fl.MinEfficiency = &v
	}
	fl.FailOnRules = f.failOnRules
	fl.FailOnSeverity = f.failOnSeverity
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

// parseRatio reads 0.9 or 90%.
func parseRatio(s string) (float64, error) {
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(p, 64)
		return v / 100, err
	}
	v, err := strconv.ParseFloat(s, 64)
	if err == nil && (v < 0 || v > 1) {
		return 0, fmt.Errorf("%q: use a ratio from 0 to 1 or a percentage", s)
	}
	return v, err
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
		out = append(out, reportTarget{format, path})
	}
	return out, nil
}

// writeReport writes atomically, except to special files such as
// $GITHUB_STEP_SUMMARY's or /dev/stdout, which are appended to.
func writeReport(t reportTarget, res ci.Result) error {
	render := map[string]func(io.Writer, ci.Result) error{"markdown": ci.Markdown, "json": ci.JSON, "junit": ci.JUnit}[t.format]
	if st, err := os.Stat(t.path); err == nil && !st.Mode().IsRegular() || t.path == os.Getenv("GITHUB_STEP_SUMMARY") && t.path != "" {
		f, err := os.OpenFile(t.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("--report %s: %w", t.format, err)
		}
		defer f.Close()
		return render(f, res)
	}
	tmp, err := os.CreateTemp(filepath.Dir(t.path), ".slimpy-report-*")
	if err != nil {
		return fmt.Errorf("--report %s: %w", t.format, err)
	}
	defer os.Remove(tmp.Name())
	if err := render(tmp, res); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), t.path)
}
