package ci

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
)

// Check is one verdict; JUnit shows each as a test case.
type Check struct {
	Name    string `json:"name"` // stable, e.g. "max-size"
	Passed  bool   `json:"passed"`
	Actual  string `json:"actual"`  // what was measured
	Limit   string `json:"limit"`   // what was allowed
	Message string `json:"message"` // one line a reviewer reads
	// Default: the default policy set this limit (no flag or config did).
	Default bool `json:"default,omitempty"`
}

// Delta is a figure in the baseline and now.
type Delta struct {
	Name string `json:"name"`
	// Label is the name the reports show (deltaLabels), for totals.
	Label    string `json:"label,omitempty"`
	Baseline int64  `json:"baseline"`
	Current  int64  `json:"current"`
	Change   int64  `json:"change"`
}

// LayerDelta is a layer that only one side has; layers with the same diffID
// on both sides are shared and unchanged.
type LayerDelta struct {
	Index     int    `json:"index"`
	DiffID    string `json:"diffID"`
	Size      int64  `json:"size"`
	Wasted    int64  `json:"wastedBytes"`
	CreatedBy string `json:"createdBy"`
}

// Result is the outcome of one CI run.
type Result struct {
	Image        string       `json:"image"`
	Baseline     string       `json:"baseline,omitempty"`
	Passed       bool         `json:"passed"`
	Policy       string       `json:"policy"` // which limits were checked, in a sentence
	Checks       []Check      `json:"checks"`
	Totals       []Delta      `json:"totals,omitempty"`
	Categories   []Delta      `json:"categories,omitempty"` // biggest growth first
	SharedLayers int          `json:"sharedLayers"`
	NewLayers    []LayerDelta `json:"newLayers,omitempty"`  // biggest first
	GoneLayers   []LayerDelta `json:"goneLayers,omitempty"` // in the baseline only
	// Findings of the current image, new since the baseline first, then by
	// bytes; NewFindings counts the new ones (0 without a baseline).
	Findings      []FindingRef    `json:"findings,omitempty"`
	NewFindings   int             `json:"newFindings"`
	Current       inspect.Totals  `json:"current"`
	BaselineTotal *inspect.Totals `json:"baselineTotals,omitempty"`
}

// Evaluate checks the current report against the thresholds and, when base
// is not nil, against the baseline.
//
// The default policy (withDefaults) sets the limits nobody set, unless
// th.DefaultPolicy is false; its checks say so (Check.Default).
func Evaluate(cur inspect.Report, base *inspect.Report, th Thresholds) Result {
	th, defaulted := th.withDefaults(base != nil)
	r := Result{Image: cur.Image.Reference, Current: cur.Totals, Passed: true, Policy: policy(th, defaulted, base != nil)}
	defer func() {
		for i := range r.Checks {
			r.Checks[i].Default = defaulted[r.Checks[i].Name]
		}
	}()
	t := cur.Totals
	if th.MaxSize != nil {
		r.add(Check{Name: "max-size", Passed: t.Size <= *th.MaxSize, Actual: size(t.Size), Limit: size(*th.MaxSize),
			Message: fmt.Sprintf("image size %s, limit %s", size(t.Size), size(*th.MaxSize))})
	}
	if th.MaxWasted != nil {
		r.add(Check{Name: "max-wasted", Passed: t.WastedBytes <= *th.MaxWasted, Actual: size(t.WastedBytes), Limit: size(*th.MaxWasted),
			Message: fmt.Sprintf("%s stored in layers but not visible, limit %s", size(t.WastedBytes), size(*th.MaxWasted))})
	}
	if th.MinEfficiency != nil {
		r.add(Check{Name: "min-efficiency", Passed: t.Efficiency >= *th.MinEfficiency,
			Actual: pct(t.Efficiency), Limit: pct(*th.MinEfficiency),
			Message: fmt.Sprintf("layer efficiency (visible / stored) %s, at least %s required", pct(t.Efficiency), pct(*th.MinEfficiency))})
	}
	r.compareFindings(cur, base)
	r.checkFindings(cur, th, base != nil && base.Findings != nil, defaulted["fail-on-severity"])
	if base == nil {
		if th.MaxGrowth != nil || len(th.CategoryGrowth) > 0 {
			r.add(Check{Name: "baseline", Passed: false, Message: "growth limits are set but no baseline was given (--baseline or --baseline-image)"})
		}
		return r
	}
	r.Baseline = base.Image.Reference
	bt := base.Totals
	r.BaselineTotal = &bt
	r.Totals = []Delta{
		totalDelta("size", bt.Size, t.Size),
		totalDelta("compressedSize", bt.CompressedSize, t.CompressedSize),
		totalDelta("storedSize", bt.StoredSize, t.StoredSize),
		totalDelta("wastedBytes", bt.WastedBytes, t.WastedBytes),
		totalDelta("duplicates", base.Duplicates.WastedBytes, cur.Duplicates.WastedBytes),
		totalDelta("metadataOnlyCopies", base.MetadataOnlyCopies.Bytes, cur.MetadataOnlyCopies.Bytes),
		totalDelta("files", int64(bt.Files), int64(t.Files)),
	}
	r.compareLayers(cur, *base)
	if th.MaxGrowth != nil {
		growth, allowed := t.Size-bt.Size, th.MaxGrowth.Allowed(bt.Size)
		r.add(Check{Name: "max-growth", Passed: growth <= allowed, Actual: signed(growth), Limit: th.MaxGrowth.String(),
			Message: fmt.Sprintf("size grew by %s (%s → %s), allowed %s%s", signed(growth), size(bt.Size), size(t.Size), th.MaxGrowth, r.blameGrowth(growth))})
	}
	if len(th.CategoryGrowth) > 0 {
		if base.Categories == nil {
			r.add(Check{Name: "category-growth", Passed: false, Message: "the baseline has no categories: it was made with --no-rules"})
		} else {
			r.checkCategories(th)
		}
	}
	return r
}

// policy says in a sentence which limits a run checks.
func policy(th Thresholds, defaulted map[string]bool, baseline bool) string {
	if th.DefaultPolicy != nil && !*th.DefaultPolicy {
		return "the limits set by flags and the config only (default-policy: false)"
	}
	if len(defaulted) == 0 {
		return "the limits set by flags and the config (they replace the default policy's)"
	}
	var parts []string
	if defaulted["min-efficiency"] {
		parts = append(parts, fmt.Sprintf("layer efficiency at least %s", pct(*th.MinEfficiency)))
	}
	if defaulted["max-growth"] {
		parts = append(parts, "growth at most "+th.MaxGrowth.String())
	}
	if defaulted["fail-on-severity"] {
		if baseline {
			parts = append(parts, "no new "+th.FailOnSeverity+"-severity finding")
		} else {
			parts = append(parts, "no "+th.FailOnSeverity+"-severity finding")
		}
	}
	when := "without a baseline"
	if baseline {
		when = "with a baseline"
	}
	return fmt.Sprintf("the default policy %s (%s), with any limits set by flags and the config", when, strings.Join(parts, ", "))
}

func (r *Result) add(c Check) {
	r.Checks = append(r.Checks, c)
	if !c.Passed {
		r.Passed = false
	}
}

// compareLayers matches layers by diffID: the shared base is recognised
// whatever its position, and what is new is listed with its instruction.
func (r *Result) compareLayers(cur, base inspect.Report) {
	inBase := map[string]bool{}
	for _, l := range base.Layers {
		inBase[l.DiffID] = true
	}
	inCur := map[string]bool{}
	for _, l := range cur.Layers {
		inCur[l.DiffID] = true
		if inBase[l.DiffID] {
			r.SharedLayers++
			continue
		}
		r.NewLayers = append(r.NewLayers, LayerDelta{Index: l.Index, DiffID: l.DiffID, Size: l.Size, Wasted: l.WastedBytes, CreatedBy: l.CreatedBy})
	}
	for _, l := range base.Layers {
		if !inCur[l.DiffID] {
			r.GoneLayers = append(r.GoneLayers, LayerDelta{Index: l.Index, DiffID: l.DiffID, Size: l.Size, Wasted: l.WastedBytes, CreatedBy: l.CreatedBy})
		}
	}
	sort.SliceStable(r.NewLayers, func(i, j int) bool { return r.NewLayers[i].Size > r.NewLayers[j].Size })
}

// blameGrowth names the new layer that added the most, for the one-line
// message of an image that grew.
func (r *Result) blameGrowth(growth int64) string {
	if growth <= 0 || len(r.NewLayers) == 0 {
		return ""
	}
	l := r.NewLayers[0]
	return fmt.Sprintf("; largest new layer %d (%s): %s", l.Index, size(l.Size), clip(l.CreatedBy, 80))
}

func delta(name string, base, cur int64) Delta {
	return Delta{Name: name, Baseline: base, Current: cur, Change: cur - base}
}

// totalDelta is a delta of the totals, labelled.
func totalDelta(name string, base, cur int64) Delta {
	d := delta(name, base, cur)
	d.Label = deltaLabels[name]
	return d
}

// deltaLabels name the compared totals as the text report does: the JSON
// keeps the names, the reports a person reads say what each one is.
var deltaLabels = map[string]string{
	"size":               "visible size",
	"compressedSize":     "compressed size",
	"storedSize":         "stored size",
	"wastedBytes":        "hidden copies (waste)",
	"duplicates":         "identical files at different paths",
	"metadataOnlyCopies": "metadata-only rewrites",
	"files":              "files",
}

func size(b int64) string {
	if b < 0 {
		return "-" + humanize.Bytes(uint64(-b))
	}
	return humanize.Bytes(uint64(b))
}

func signed(b int64) string {
	if b > 0 {
		return "+" + size(b)
	}
	return size(b)
}

func pct(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }
