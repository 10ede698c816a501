package ci

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// WastedCategory is the pseudo-category of bytes stored in layers but not
// visible (Totals.WastedBytes), compared beside the rules' categories.
const WastedCategory = "wasted"

// FindingRef is a finding as a reviewer needs it in a CI report.
type FindingRef struct {
	Rule      string `json:"rule"`
	Severity  string `json:"severity"`
	Category  string `json:"category"`
	Title     string `json:"title"`
	Bytes     int64  `json:"bytes"`
	Layer     int    `json:"layer"`
	CreatedBy string `json:"createdBy"`
	New       bool   `json:"new"` // absent from the baseline
}

// Validate rejects thresholds that name no rule, severity or category, so a
// typo in a pipeline fails loudly instead of silently checking nothing.
//
// It also refuses limits no parser makes (a negative size, an efficiency
// outside 0..1, NaN), for Thresholds built in code or read from JSON.
func (t Thresholds) Validate() error {
	for name, v := range map[string]*int64{"max-size": t.MaxSize, "max-wasted": t.MaxWasted} {
		if v != nil && (*v < 0 || *v > maxFigure) {
			return fmt.Errorf("%s %d: not a size limit", name, *v)
		}
	}
	if v := t.MinEfficiency; v != nil && !(*v >= 0 && *v <= 1) {
		return fmt.Errorf("min-efficiency %v: use a ratio from 0 to 1", *v)
	}
	if t.MaxGrowth != nil {
		if err := t.MaxGrowth.validate(); err != nil {
			return fmt.Errorf("max-growth: %w", err)
		}
	}
	for c, g := range t.CategoryGrowth {
		if err := g.validate(); err != nil {
			return fmt.Errorf("category-growth %s: %w", c, err)
		}
	}
	ids := map[string]bool{}
	cats := map[string]bool{WastedCategory: true}
	for _, r := range rules.Rules {
		ids[r.ID] = true
		cats[r.Category] = true
	}
	for _, id := range t.FailOnRules {
		if !ids[strings.ToUpper(strings.TrimSpace(id))] {
			return fmt.Errorf("fail-on-rule %q: no such rule (see docs/rules.md)", id)
		}
	}
	if t.FailOnSeverity != "" && rules.Severity(t.FailOnSeverity).Rank() < 0 {
		return fmt.Errorf("fail-on-severity %q: use info, low, medium or high", t.FailOnSeverity)
	}
	for c := range t.CategoryGrowth {
		if !cats[c] {
			names := make([]string, 0, len(cats))
			for n := range cats {
				names = append(names, n)
			}
			sort.Strings(names)
			return fmt.Errorf("category-growth %q: no such category (one of %s)", c, strings.Join(names, ", "))
		}
	}
	return nil
}

// findingKey identifies "the same finding" across two builds: its rule and
// what it is about (its packages, else its first path in sorted order),
// never its bytes or title, which change with every build.
func findingKey(f rules.Finding) string {
	if len(f.Packages) > 0 {
		names := make([]string, len(f.Packages))
		for i, p := range f.Packages {
			names[i] = p.Manager + ":" + p.Name
		}
		sort.Strings(names)
		return f.Rule + "|" + strings.Join(names, ",")
	}
	if len(f.Paths) > 0 {
		return f.Rule + "|" + slices.Min(f.Paths)
	}
	return f.Rule
}

// compareFindings fills r.Findings (new ones first, then by bytes) and
// r.Categories; base may be nil.
func (r *Result) compareFindings(cur inspect.Report, base *inspect.Report) {
	old := map[string]bool{}
	if base != nil {
		for _, f := range base.Findings {
			old[findingKey(f)] = true
		}
	}
	for _, f := range cur.Findings {
		isNew := base != nil && base.Findings != nil && !old[findingKey(f)]
		r.Findings = append(r.Findings, FindingRef{Rule: f.Rule, Severity: string(f.Severity), Category: f.Category,
			Title: f.Title, Bytes: f.Bytes, Layer: f.Layer, CreatedBy: f.CreatedBy, New: isNew})
		if isNew {
			r.NewFindings++
		}
	}
	sort.SliceStable(r.Findings, func(i, j int) bool {
		a, b := r.Findings[i], r.Findings[j]
		if a.New != b.New {
			return a.New
		}
		return a.Bytes > b.Bytes
	})
	if base == nil {
		return
	}
	names := map[string]bool{WastedCategory: true}
	for c := range cur.Categories {
		names[c] = true
	}
	for c := range base.Categories {
		names[c] = true
	}
	for c := range names {
		b, n := base.Categories[c], cur.Categories[c]
		if c == WastedCategory {
			b, n = base.Totals.WastedBytes, cur.Totals.WastedBytes
		}
		if b == 0 && n == 0 {
			continue // a finding without bytes (root user): nothing to compare
		}
		r.Categories = append(r.Categories, delta(c, b, n))
	}
	sort.Slice(r.Categories, func(i, j int) bool {
		a, b := r.Categories[i], r.Categories[j]
		if a.Change != b.Change {
			return a.Change > b.Change
		}
		return a.Name < b.Name
	})
}

// checkFindings adds the fail-on-rule and fail-on-severity checks. With
// OnlyNew, findings the baseline already had do not fail the build; the
// default policy's severity check counts only new findings when the
// baseline has findings to compare with (defaultSeverity).
func (r *Result) checkFindings(cur inspect.Report, th Thresholds, haveBaseline, defaultSeverity bool) {
	if len(th.FailOnRules) == 0 && th.FailOnSeverity == "" {
		return
	}
	if cur.Findings == nil {
		if defaultSeverity && len(th.FailOnRules) == 0 {
			return // the default policy asks nothing of a report without rules
		}
		r.add(Check{Name: "findings", Passed: false, Message: "rule checks are set but the rules did not run"})
		return
	}
	scope := "present"
	if th.OnlyNew {
		scope = "new since the baseline"
		if !haveBaseline {
			r.add(Check{Name: "baseline", Passed: false, Message: "only-new is set but no baseline with findings was given"})
			return
		}
	}
	counted := func(f FindingRef) bool { return !th.OnlyNew || f.New }
	if len(th.FailOnRules) > 0 {
		want := map[string]bool{}
		for _, id := range th.FailOnRules {
			want[strings.ToUpper(strings.TrimSpace(id))] = true
		}
		r.add(r.findingCheck("fail-on-rule", strings.Join(th.FailOnRules, ","), scope,
			func(f FindingRef) bool { return counted(f) && want[f.Rule] }))
	}
	if th.FailOnSeverity != "" {
		min := rules.Severity(th.FailOnSeverity).Rank()
		sevScope, sevCounted := scope, counted
		if defaultSeverity && haveBaseline {
			sevScope, sevCounted = "new since the baseline", func(f FindingRef) bool { return f.New }
		}
		r.add(r.findingCheck("fail-on-severity", th.FailOnSeverity+" or worse", sevScope,
			func(f FindingRef) bool { return sevCounted(f) && rules.Severity(f.Severity).Rank() >= min }))
	}
}

func (r *Result) findingCheck(name, limit, scope string, match func(FindingRef) bool) Check {
	var hits []FindingRef
	for _, f := range r.Findings {
		if match(f) {
			hits = append(hits, f)
		}
	}
	c := Check{Name: name, Passed: len(hits) == 0, Actual: humanize.Comma(int64(len(hits))) + " findings", Limit: limit}
	if len(hits) == 0 {
		c.Message = fmt.Sprintf("no findings matching %s %s", limit, scope)
		return c
	}
	f := hits[0]
	c.Message = fmt.Sprintf("%s findings matching %s %s, e.g. %s %s (%s)", humanize.Comma(int64(len(hits))), limit, scope, f.Rule, f.Title, f.Severity)
	if f.CreatedBy != "" {
		c.Message += " from: " + clip(f.CreatedBy, 80)
	}
	return c
}

// checkCategories adds one check per category with an allowed growth.
func (r *Result) checkCategories(th Thresholds) {
	names := make([]string, 0, len(th.CategoryGrowth))
	for c := range th.CategoryGrowth {
		names = append(names, c)
	}
	sort.Strings(names)
	for _, c := range names {
		g := th.CategoryGrowth[c]
		d := Delta{Name: c}
		for _, x := range r.Categories {
			if x.Name == c {
				d = x
			}
		}
		allowed := g.Allowed(d.Baseline)
		msg := fmt.Sprintf("%s grew by %s (%s → %s), allowed %s", c, signed(d.Change), size(d.Baseline), size(d.Current), g)
		if cause := r.causeIn(c); cause != "" {
			msg += "; " + cause
		}
		r.add(Check{Name: "category-growth:" + c, Passed: d.Change <= allowed, Actual: signed(d.Change), Limit: g.String(), Message: msg})
	}
}

// causeIn names the largest new finding of a category and its instruction.
func (r *Result) causeIn(category string) string {
	for _, f := range r.Findings {
		if f.Category == category && f.New && f.CreatedBy != "" {
			return fmt.Sprintf("largest new finding %s (%s) from: %s", f.Rule, size(f.Bytes), clip(f.CreatedBy, 80))
		}
	}
	return ""
}
