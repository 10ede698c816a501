package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/words"
)

// Report compares the original with the patched Dockerfile, both built,
// measured and run on the engine, and says which accepted suggestions the
// patched one holds (Keep).
type Report struct {
	// Run is the run's ID: its tags are slimpy-verify:RUN-N and its
	// containers slimpy-verify-RUN-N, all removed by Close.
	Run string `json:"run"`
	// Images are the IDs of the images the run's builds made or took from
	// the cache (the classic builder's one per step included): Close
	// removes those the engine did not hold before the run.
	Images []string `json:"images"`
	Before Outcome  `json:"before"`
	// After is the build of the set to write (Kept): every accepted
	// suggestion when they pass together, else the largest set found that
	// passes; when none passes, every accepted suggestion's (failed) build.
	After Outcome `json:"after"`
	// Kept are the suggestions After holds (none: nothing passes).
	Kept []string `json:"kept"`
	// Dropped are the accepted suggestions left out, with why.
	Dropped []Drop `json:"dropped"`
	// Trials are the sets built and run after the original, in order.
	Trials []Trial `json:"trials"`
	// Builds is the number of docker builds made, the original's
	// included; MaxBuilds their limit.
	Builds    int `json:"builds"`
	MaxBuilds int `json:"maxBuilds"`
}

// OK: a set of the accepted suggestions built and its smoke run passed.
func (r *Report) OK() bool { return len(r.Kept) > 0 && r.After.OK() }

// MarshalJSON adds ok, failure and the findings compared by rule.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	removed, reduced, added, grown := r.Findings()
	p := *r
	p.Kept, p.Dropped, p.Trials = nonNil(p.Kept), nonNil(p.Dropped), nonNil(p.Trials)
	return json.Marshal(struct {
		*plain
		OK       bool           `json:"ok"`
		Failure  string         `json:"failure,omitempty"`
		Removed  []FindingDelta `json:"findingsRemoved"`
		Reduced  []FindingDelta `json:"findingsReduced"`
		Added    []FindingDelta `json:"findingsAdded"`
		Grown    []FindingDelta `json:"findingsGrown"`
		Measured bool           `json:"measured"`
	}{(*plain)(&p), r.OK(), r.Failure(), nonNil(removed), nonNil(reduced), nonNil(added), nonNil(grown),
		r.Before.Measure != nil && r.After.Measure != nil})
}

func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// Failure says in one line why nothing passed ("" when OK): how the
// patched Dockerfile with every accepted suggestion failed, and how each
// suggestion failed.
func (r *Report) Failure() string {
	if r.OK() {
		return ""
	}
	a := r.After
	var msg string
	switch {
	case !a.Build.OK:
		msg = "the patched Dockerfile does not build"
		if a.Build.Error != "" {
			msg += ": " + a.Build.Error
		}
	case a.Smoke == nil:
		msg = "the patched image was not run"
	case a.Smoke.Error != "":
		msg = "the patched image does not run: " + a.Smoke.Error
	default:
		msg = fmt.Sprintf("the app fails in the patched image (%s exited %d)", strings.Join(a.Smoke.Command, " "), a.Smoke.ExitCode)
		if r.Before.Smoke != nil && !r.Before.Smoke.OK() {
			msg += "; it fails in the original too: give --smoke CMD"
		}
	}
	var alone, untried []string
	for _, d := range r.Dropped {
		switch {
		case d.Untried:
			untried = append(untried, d.ID)
		case len(d.With) == 0:
			alone = append(alone, d.ID)
		}
	}
	if len(alone) > 0 {
		msg += "; failing alone: " + strings.Join(alone, ", ")
	}
	if len(untried) > 0 {
		msg += "; not tried: " + strings.Join(untried, ", ")
	}
	return msg
}

// outcomeFailure says in one line how a build or its smoke run failed.
func outcomeFailure(o *Outcome) string {
	last := afterColon
	switch {
	case o.OK():
		return ""
	case !o.Build.OK:
		return fmt.Sprintf("does not build (%s)%s", o.Build.Error, last(o.Build.Tail))
	case o.Smoke == nil:
		return "was not run"
	case o.Smoke.Error != "":
		return "does not run: " + o.Smoke.Error
	}
	return fmt.Sprintf("the app fails (%s exited %d)%s", strings.Join(o.Smoke.Command, " "), o.Smoke.ExitCode, last(o.Smoke.Tail))
}

// outcomeTail is the output of the step that failed: the build's, or the
// smoke run's.
func outcomeTail(o *Outcome) []string {
	switch {
	case o.OK():
		return nil
	case !o.Build.OK:
		return o.Build.Tail
	case o.Smoke != nil:
		return o.Smoke.Tail
	}
	return nil
}

// FindingDelta is one rule's bytes before and after.
type FindingDelta struct {
	Rule   string `json:"rule"`
	Name   string `json:"name"`
	Before int64  `json:"before"`
	After  int64  `json:"after"`
	// Present says where the rule found something at all (a finding
	// about a fact, such as running as root, has no bytes).
	InBefore bool `json:"inBefore"`
	InAfter  bool `json:"inAfter"`
}

// Findings compares the rules' findings of both images, by rule; nil when
// either was not measured.
func (r *Report) Findings() (removed, reduced, added, grown []FindingDelta) {
	b, a := r.Before.Measure, r.After.Measure
	if b == nil || a == nil {
		return
	}
	rules := map[string]*FindingDelta{}
	var order []string
	get := func(id, name string) *FindingDelta {
		d := rules[id]
		if d == nil {
			d = &FindingDelta{Rule: id, Name: name}
			rules[id] = d
			order = append(order, id)
		}
		return d
	}
	for _, f := range b.Findings {
		d := get(f.Rule, f.Name)
		d.Before += f.Bytes
		d.InBefore = true
	}
	for _, f := range a.Findings {
		d := get(f.Rule, f.Name)
		d.After += f.Bytes
		d.InAfter = true
	}
	slices.Sort(order)
	for _, id := range order {
		d := *rules[id]
		switch {
		case d.InBefore && !d.InAfter:
			removed = append(removed, d)
		case !d.InBefore && d.InAfter:
			added = append(added, d)
		case d.After < d.Before:
			reduced = append(reduced, d)
		case d.After > d.Before:
			grown = append(grown, d)
		}
	}
	return
}

// WriteText writes the report as a table and lists.
func (r *Report) WriteText(w io.Writer) {
	b, a := &r.Before, &r.After
	fmt.Fprintln(w, "Verified on the Docker engine: both Dockerfiles built, inspected by slimpy and run.")
	fmt.Fprintln(w)
	row := func(what, before, after, note string) {
		line := fmt.Sprintf("  %-9s %-22s %-22s %s", what, before, after, note)
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
	row("", "original", "patched", "")
	row("build", buildCell(b), buildCell(a), "")
	if b.Measure != nil && a.Measure != nil {
		bt, at := b.Measure.Totals, a.Measure.Totals
		row("size", words.Size(bt.Size), words.Size(at.Size), delta(bt.Size, at.Size)+" (visible bytes)")
		row("stored", words.Size(bt.StoredSize), words.Size(at.StoredSize), delta(bt.StoredSize, at.StoredSize)+" (all layers)")
		row("files", fmt.Sprint(bt.Files), fmt.Sprint(at.Files), "")
		row("findings", fmt.Sprint(len(b.Measure.Findings)), fmt.Sprint(len(a.Measure.Findings)), "")
	} else {
		row("size", measureCell(b), measureCell(a), "not measured: no saving is claimed")
	}
	row("smoke", smokeCell(b), smokeCell(a), smokeCommand(b, a))
	fmt.Fprintln(w)

	removed, reduced, added, grown := r.Findings()
	if b.Measure != nil && a.Measure != nil {
		list := func(title string, ds []FindingDelta, show func(FindingDelta) string) {
			if len(ds) == 0 {
				fmt.Fprintf(w, "%s: none\n", title)
				return
			}
			fmt.Fprintf(w, "%s:\n", title)
			for _, d := range ds {
				fmt.Fprintf(w, "  %s %-24s %s\n", d.Rule, d.Name, show(d))
			}
		}
		list("Findings removed", removed, func(d FindingDelta) string { return bytesOrFact(d.Before) })
		if len(reduced) > 0 {
			list("Findings reduced", reduced, func(d FindingDelta) string {
				return fmt.Sprintf("%s → %s", words.Size(d.Before), words.Size(d.After))
			})
		}
		list("Findings added", added, func(d FindingDelta) string { return bytesOrFact(d.After) })
		if len(grown) > 0 {
			list("Findings grown", grown, func(d FindingDelta) string {
				return fmt.Sprintf("%s → %s", words.Size(d.Before), words.Size(d.After))
			})
		}
		fmt.Fprintln(w)
	}
	for i, o := range []*Outcome{b, a} {
		if o.MeasureError != "" {
			fmt.Fprintf(w, "The %s image was not measured: %s\n", []string{"original", "patched"}[i], textsafe.Term(o.MeasureError))
		}
	}
	if !b.OK() && b.Build.OK && b.Smoke != nil {
		fmt.Fprintf(w, "The original image's smoke run failed too:\n")
		writeSmokeTail(w, b.Smoke)
	}
	switch {
	case !a.Build.OK:
		fmt.Fprintf(w, "The patched Dockerfile does not build: %s\n", textsafe.Term(a.Build.Error))
		for _, l := range a.Build.Tail {
			fmt.Fprintln(w, "  | "+textsafe.Term(l))
		}
	case a.Smoke != nil:
		fmt.Fprintf(w, "The patched image's output (%s):\n", smokeCell(a))
		writeSmokeTail(w, a.Smoke)
	}
	r.writeSearch(w)
}

// writeSearch says which suggestions the patched Dockerfile holds, which
// were dropped and why, and the sets built to find out.
func (r *Report) writeSearch(w io.Writer) {
	if len(r.Trials) <= 1 && len(r.Dropped) == 0 {
		fmt.Fprintf(w, "\n%d builds on the engine, the original's included.\n", r.Builds)
		return
	}
	fmt.Fprintln(w)
	if len(r.Kept) > 0 {
		fmt.Fprintf(w, "The patched Dockerfile holds %s: the largest set of the accepted suggestions that builds and runs.\n", strings.Join(r.Kept, ", "))
	}
	if len(r.Dropped) > 0 {
		fmt.Fprintln(w, "Dropped:")
		for _, d := range r.Dropped {
			fmt.Fprintf(w, "  %-6s %s\n", d.ID, textsafe.Term(d.Reason()))
		}
	}
	fmt.Fprintf(w, "Sets built and run on the original (%d builds, the original's included; at most %d):\n", r.Builds, r.MaxBuilds)
	b := &r.Before
	width := 0
	for _, tr := range r.Trials {
		width = max(width, len(strings.Join(tr.IDs, "+")))
	}
	for i := range r.Trials {
		o := &r.Trials[i].Outcome
		line := fmt.Sprintf("  %-*s build %s, smoke %s", width, strings.Join(r.Trials[i].IDs, "+"), buildCell(o), smokeCell(o))
		if o.Measure != nil && b.Measure != nil {
			line += ", size " + words.Size(o.Measure.Totals.Size) + " " + delta(b.Measure.Totals.Size, o.Measure.Totals.Size)
		}
		fmt.Fprintln(w, line)
		if !o.Build.OK && len(o.Build.Tail) > 0 {
			fmt.Fprintf(w, "  %*s | %s\n", width, "", textsafe.Term(o.Build.Tail[len(o.Build.Tail)-1]))
		}
	}
}

func writeSmokeTail(w io.Writer, s *SmokeResult) {
	if len(s.Tail) == 0 {
		fmt.Fprintln(w, "  (no output)")
	}
	for _, l := range s.Tail {
		fmt.Fprintln(w, "  | "+textsafe.Term(l))
	}
}

func bytesOrFact(n int64) string {
	if n == 0 {
		return "(no bytes: a fact about the image)"
	}
	return words.Size(n)
}

func buildCell(o *Outcome) string {
	if o.Build.OK {
		return fmt.Sprintf("ok, %.1fs", o.Build.Duration.Seconds())
	}
	return "FAILED"
}

func measureCell(o *Outcome) string {
	if o.Measure != nil {
		return words.Size(o.Measure.Totals.Size)
	}
	return "-"
}

func smokeCell(o *Outcome) string {
	s := o.Smoke
	switch {
	case s == nil:
		return "not run"
	case s.Error != "":
		return "FAILED to run"
	case s.StillRunning:
		return fmt.Sprintf("running after %.0fs", s.Duration.Seconds())
	case s.ExitCode == 0:
		return "exit 0"
	}
	return fmt.Sprintf("FAILED, exit %d", s.ExitCode)
}

func smokeCommand(os ...*Outcome) string {
	for _, o := range os {
		if o.Smoke != nil {
			return textsafe.Term(strings.Join(o.Smoke.Command, " "))
		}
	}
	return ""
}

// SizeChange says how a size after compares with before, as the report's
// size row does: "unchanged", "−40 MB (−33.3%) saved, measured" or
// "+1.0 MB (+2.0%) larger, measured".
func SizeChange(before, after int64) string { return delta(before, after) }

// delta says how after compares with before; a saving only when smaller.
func delta(before, after int64) string {
	d := after - before
	switch {
	case d == 0:
		return "unchanged"
	case before == 0:
		return "+" + words.Size(d)
	case d < 0:
		return fmt.Sprintf("−%s (−%.1f%%) saved, measured", words.Size(-d), float64(-d)*100/float64(before))
	}
	return fmt.Sprintf("+%s (+%.1f%%) larger, measured", words.Size(d), float64(d)*100/float64(before))
}
