package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// findingPaths is how many of a finding's paths the text report shows.
const findingPaths = 3

// findings writes the rules' section: a summary line, then the findings
// grouped by category (categories with the most recoverable bytes first,
// then those without bytes by their worst severity), each finding with its
// largest paths, the layer that put them there and a fix. Nothing when the
// rules did not run.
func (p *printer) findings(r inspect.Report, o TextOptions) {
	s := r.Summary
	if s == nil {
		return
	}
	p.f("\nFindings (rules: docs/rules.md)\n")
	p.f("  %s recoverable of %s stored (%s) · %s after cleanup · efficiency %.1f%% · score %d/100\n",
		size(s.RecoverableBytes), size(s.StoredSize), percent(s.RecoverableBytes, s.StoredSize),
		size(s.SlimmedSize), s.Efficiency*100, s.Score)
	if len(r.Findings) == 0 {
		p.f("  no findings\n")
		return
	}
	var sev []string
	for _, k := range []string{"high", "medium", "low", "info"} {
		if n := s.BySeverity[k]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, k))
		}
	}
	p.f("  %d findings: %s (each file counted once in the total; categories may overlap)\n", len(r.Findings), strings.Join(sev, ", "))

	byCat := map[string][]inspect.Finding{}
	worst := map[string]int{}
	for _, f := range r.Findings {
		byCat[f.Category] = append(byCat[f.Category], f)
		if rk := f.Severity.Rank(); rk > worst[f.Category] {
			worst[f.Category] = rk
		}
	}
	cats := make([]string, 0, len(byCat))
	for c := range byCat {
		cats = append(cats, c)
	}
	sort.Slice(cats, func(i, j int) bool {
		a, b := cats[i], cats[j]
		if r.Categories[a] != r.Categories[b] {
			return r.Categories[a] > r.Categories[b]
		}
		if worst[a] != worst[b] {
			return worst[a] > worst[b]
		}
		return a < b
	})
	for _, c := range cats {
		fs := byCat[c]
		if b := r.Categories[c]; b > 0 {
			p.f("\n%s · %s\n", textsafe.Term(c), size(b))
		} else {
			p.f("\n%s\n", textsafe.Term(c))
		}
		for _, f := range fs {
			head := fmt.Sprintf("  %s %-6s", textsafe.Term(f.Rule), textsafe.Term(string(f.Severity)))
			if f.Bytes > 0 {
				head += fmt.Sprintf(" %8s", size(f.Bytes))
			}
			p.f("%s  %s\n", head, textsafe.Term(f.Title))
			if f.Layer >= 0 {
				p.f("      layer %d: %s\n", f.Layer, textsafe.Clip(f.CreatedBy, o.Width))
			}
			for i, path := range first(f.Paths, findingPaths) {
				if i < len(f.PathBytes) && f.PathBytes[i] > 0 {
					p.f("      %8s  %s\n", size(f.PathBytes[i]), textsafe.Term(path))
				} else {
					p.f("      %8s  %s\n", "", textsafe.Term(path))
				}
			}
			if n := len(f.Paths) - findingPaths; n > 0 {
				p.f("      … %s more paths (all in --format json)\n", humanize.Comma(int64(n)))
			}
			if len(f.Packages) > 0 && f.Rule != "" && packagesWorthListing(f) {
				p.f("      %s\n", packageLine(f.Packages, 6))
			}
			p.f("      fix: %s\n", textsafe.OneLine(f.Fix))
		}
	}
}

// packagesWorthListing: findings whose title does not already name them.
func packagesWorthListing(f inspect.Finding) bool {
	for _, pk := range f.Packages {
		if pk.Available != "" {
			return true
		}
	}
	return len(f.Packages) > 5
}

// packageLine lists packages with their upgrade or size.
func packageLine(pkgs []inspect.FindingPackage, n int) string {
	pkgs = append([]inspect.FindingPackage(nil), pkgs...)
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Bytes > pkgs[j].Bytes })
	var parts []string
	for _, pk := range first(pkgs, n) {
		pk.Name, pk.Version, pk.Note, pk.Available = textsafe.Term(pk.Name), textsafe.Term(pk.Version), textsafe.OneLine(pk.Note), textsafe.Term(pk.Available)
		switch {
		case pk.Available != "" && pk.Note != "":
			parts = append(parts, fmt.Sprintf("%s %s (%s; fixed in %s)", pk.Name, pk.Version, pk.Note, pk.Available))
		case pk.Available != "":
			parts = append(parts, fmt.Sprintf("%s %s → %s", pk.Name, pk.Version, pk.Available))
		case pk.Bytes > 0:
			parts = append(parts, fmt.Sprintf("%s %s", pk.Name, size(pk.Bytes)))
		default:
			parts = append(parts, pk.Name)
		}
	}
	s := "packages: " + strings.Join(parts, ", ")
	if len(pkgs) > n {
		s += fmt.Sprintf(", … %d more", len(pkgs)-n)
	}
	return s
}
