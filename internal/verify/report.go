package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/dustin/go-humanize"
	"io"
	"slices"
	"strings"
)

// Report compares the original with the patched Dockerfile, both built,
// measured and run on the engine.
type Report struct {
	Before Outcome `json:"before"`
	After  Outcome `json:"after"`
	// Each is every accepted suggestion applied alone to the original,
	// built and run: only when the combined result failed, to say which
	// suggestion breaks the build or the app.
	Each []Outcome `json:"each,omitempty"`
}

// Verify builds, measures and runs the combined result against before (the
// original's Outcome). When the combined result does not build or its
// smoke run fails, each candidate of each (one accepted suggestion alone)
// is built and run too, so the report can say which one fails.
func (v *Verifier) Verify(ctx context.Context, before Outcome, combined Candidate, each []Candidate) *Report {
	r := &Report{Before: before}
	r.After = v.Run(ctx, combined)
	if r.After.OK() || ctx.Err() != nil {
		return r
	}
	if len(each) == 1 { // the combination is that one suggestion
		o := r.After
		o.Name = each[0].Name
		r.Each = []Outcome{o}
		return r
	}
	if len(each) > 1 {
		for _, c := range each {
			if ctx.Err() != nil {
				break
			}
			r.Each = append(r.Each, v.Run(ctx, c))
		}
	}
	return r
}

// OK: the patched Dockerfile built and its smoke run passed.
func (r *Report) OK() bool { return r.After.OK() }

// MarshalJSON adds ok, failure and the findings compared by rule.
func (r *Report) MarshalJSON() ([]byte, error) {
	type plain Report
	removed, reduced, added, grown := r.Findings()
	return json.Marshal(struct {
		*plain
		OK       bool           `json:"ok"`
		Failure  string         `json:"failure,omitempty"`
		Removed  []FindingDelta `json:"findingsRemoved"`
		Reduced  []FindingDelta `json:"findingsReduced"`
		Added    []FindingDelta `json:"findingsAdded"`
		Grown    []FindingDelta `json:"findingsGrown"`
		Measured bool           `json:"measured"`
	}{(*plain)(r), r.OK(), r.Failure(), nonNil(removed), nonNil(reduced), nonNil(added), nonNil(grown),
		r.Before.Measure != nil && r.After.Measure != nil})
}

func nonNil(ds []FindingDelta) []FindingDelta {
	if ds == nil {
		return []FindingDelta{}
	}
	return ds
}

// Failure says in one line why the verification failed ("" when OK).
func (r *Report) Failure() string {
	a := r.After
	switch {
	case r.OK():
		return ""
	case !a.Build.OK:
		msg := "the patched Dockerfile does not build"
		if a.Build.Error != "" {
			msg += ": " + a.Build.Error
		}
		return msg + r.culprits()
	case a.Smoke == nil:
		return "the patched image was not run" + r.culprits()
	case a.Smoke.Error != "":
		return "the patched image does not run: " + a.Smoke.Error + r.culprits()
	default:
		msg := fmt.Sprintf("the app fails in the patched image (%s exited %d)", strings.Join(a.Smoke.Command, " "), a.Smoke.ExitCode)
		if r.Before.Smoke != nil && !r.Before.Smoke.OK() {
			msg += "; it fails in the original too: give --smoke CMD"
		}
		return msg + r.culprits()
	}
}

func (r *Report) culprits() string {
	if len(r.Each) == 0 {
		return ""
	}
	var bad []string
	for _, o := range r.Each {
		if !o.OK() {
			bad = append(bad, o.Name)
		}
	}
	if len(bad) == 0 {
		return "; each suggestion alone passes: it is their combination"
	}
	return "; failing alone: " + strings.Join(bad, ", ")
}

// Passing are the names of the suggestions that passed alone (after a
// failed combined result).
func (r *Report) Passing() []string {
	var ok []string
	for _, o := range r.Each {
		if o.OK() {
			ok = append(ok, o.Name)
		}
	}
	return ok
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
		row("size", humanSize(bt.Size), humanSize(at.Size), delta(bt.Size, at.Size)+" (visible bytes)")
		row("stored", humanSize(bt.StoredSize), humanSize(at.StoredSize), delta(bt.StoredSize, at.StoredSize)+" (all layers)")
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
				return fmt.Sprintf("%s → %s", humanSize(d.Before), humanSize(d.After))
			})
		}
		list("Findings added", added, func(d FindingDelta) string { return bytesOrFact(d.After) })
		if len(grown) > 0 {
			list("Findings grown", grown, func(d FindingDelta) string {
				return fmt.Sprintf("%s → %s", humanSize(d.Before), humanSize(d.After))
			})
		}
		fmt.Fprintln(w)
	}
	for _, o := range []*Outcome{b, a} {
		if o.MeasureError != "" {
			fmt.Fprintf(w, "The %s image was not measured: %s\n", o.Name, o.MeasureError)
		}
	}
	if !b.OK() && b.Build.OK && b.Smoke != nil {
		fmt.Fprintf(w, "The original image's smoke run failed too:\n")
		writeSmokeTail(w, b.Smoke)
	}
	switch {
	case !a.Build.OK:
		fmt.Fprintf(w, "The patched Dockerfile does not build: %s\n", a.Build.Error)
		for _, l := range a.Build.Tail {
			fmt.Fprintln(w, "  | "+l)
		}
	case a.Smoke != nil:
		fmt.Fprintf(w, "The patched image's output (%s):\n", smokeCell(a))
		writeSmokeTail(w, a.Smoke)
	}
	if len(r.Each) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "Each accepted suggestion alone, on the original:")
		for i := range r.Each {
			o := &r.Each[i]
			line := fmt.Sprintf("  %-8s build %s, smoke %s", o.Name, buildCell(o), smokeCell(o))
			if o.Measure != nil && b.Measure != nil {
				line += ", size " + humanSize(o.Measure.Totals.Size) + " " + delta(b.Measure.Totals.Size, o.Measure.Totals.Size)
			}
			fmt.Fprintln(w, line)
			if !o.Build.OK && len(o.Build.Tail) > 0 {
				fmt.Fprintln(w, "           | "+o.Build.Tail[len(o.Build.Tail)-1])
			}
		}
	}
}

func writeSmokeTail(w io.Writer, s *SmokeResult) {
	if len(s.Tail) == 0 {
		fmt.Fprintln(w, "  (no output)")
	}
	for _, l := range s.Tail {
		fmt.Fprintln(w, "  | "+l)
	}
}

func bytesOrFact(n int64) string {
	if n == 0 {
		return "(no bytes: a fact about the image)"
	}
	return humanSize(n)
}

func buildCell(o *Outcome) string {
	if o.Build.OK {
		return fmt.Sprintf("ok, %.1fs", o.Build.Duration.Seconds())
	}
	return "FAILED"
}

func measureCell(o *Outcome) string {
	if o.Measure != nil {
		return humanSize(o.Measure.Totals.Size)
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
			return strings.Join(o.Smoke.Command, " ")
		}
	}
	return ""
}

// delta says how after compares with before; a saving only when smaller.
func delta(before, after int64) string {
	d := after - before
	switch {
	case d == 0:
		return "unchanged"
	case before == 0:
		return "+" + humanSize(d)
	case d < 0:
		return fmt.Sprintf("−%s (−%.1f%%) saved, measured", humanSize(-d), float64(-d)*100/float64(before))
	}
	return fmt.Sprintf("+%s (+%.1f%%) larger, measured", humanSize(d), float64(d)*100/float64(before))
}

// humanSize prints bytes as every size slimpy shows (go-humanize, SI
// units, as inspect's reports).
func humanSize(n int64) string {
	if n < 0 {
		return "-" + humanize.Bytes(uint64(-n))
	}
	return humanize.Bytes(uint64(n))
}
