package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// findingPaths is how many of a finding's paths the text report shows.
const findingPaths = 3

// findings writes the rules' section: the findings grouped by category
// (categories with the most recoverable bytes first, then those without
// bytes by their worst severity), each finding with its largest paths, the
// layer that put them there and a fix. Nothing when the rules did not run.
func (p *printer) findings(r inspect.Report) {
	s := r.Summary
	if s == nil {
		return
	}
	p.line("")
	p.line("Findings (rules: docs/rules.md)")
	p.wrap("  ", fmt.Sprintf("%s recoverable of %s stored (%s) · %s after cleanup · score %d/100 (the bytes left after cleanup, in percent of the stored bytes)",
		size(s.RecoverableBytes), size(s.StoredSize), percent(s.RecoverableBytes, s.StoredSize), size(s.SlimmedSize), s.Score))
	if len(r.Findings) == 0 {
		p.line("  no findings")
		return
	}
	p.wrap("  ", fmt.Sprintf("%d findings: %s (each file counted once in the total; categories may overlap)", len(r.Findings), severityCounts(r)))

	byCat := map[string][]rules.Finding{}
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
		head := categoryTitle(c)
		if b := r.Categories[c]; b > 0 {
			head += " · " + size(b)
		}
		p.line("")
		p.wrap("", head)
		for _, f := range byCat[c] {
			p.finding(f)
		}
	}
}

// finding writes one finding: its head, the layer, the largest paths, the
// packages and the fix.
func (p *printer) finding(f rules.Finding) {
	head := fmt.Sprintf("  %s %-6s", textsafe.Term(f.Rule), textsafe.Term(string(f.Severity)))
	if f.Bytes > 0 {
		head += fmt.Sprintf(" %8s", size(f.Bytes))
	}
	p.wrap(head+"  ", textsafe.OneLine(f.Title))
	const indent = "      "
	if f.Layer >= 0 {
		p.clip(fmt.Sprintf("%slayer %d: %s", indent, f.Layer, textsafe.OneLine(f.CreatedBy)))
	}
	for i, path := range first(f.Paths, findingPaths) {
		bytes := ""
		if i < len(f.PathBytes) && f.PathBytes[i] > 0 {
			bytes = size(f.PathBytes[i])
		}
		lead := fmt.Sprintf("%s%8s  ", indent, bytes)
		p.line(lead + clipMiddle(textsafe.Term(path), p.cols-len(lead)))
	}
	if n := len(f.Paths) - findingPaths; n > 0 {
		p.line(fmt.Sprintf("%s… %s more paths (all in --format json)", indent, humanize.Comma(int64(n))))
	}
	if len(f.Packages) > 0 && f.Rule != "" && packagesWorthListing(f) {
		p.wrap(indent+"packages: ", strings.TrimPrefix(packageLine(f.Packages, 6), "packages: "))
	}
	p.wrap(indent+"fix: ", textsafe.OneLine(f.Fix))
}

// severityCounts: "1 high, 3 medium".
func severityCounts(r inspect.Report) string {
	var sev []string
	for _, k := range []string{"high", "medium", "low", "info"} {
		if n := r.Summary.BySeverity[k]; n > 0 {
			sev = append(sev, fmt.Sprintf("%s %s", humanize.Comma(int64(n)), k))
		}
	}
	return strings.Join(sev, ", ")
}

// categoryTitles name the categories for a reader; the ID in brackets is
// what --category-growth and the JSON call them. "duplicates" covers
// every copy stored more than once, so its title says which.
var categoryTitles = map[string]string{
	"python-tests":    "Test suites",
	"bytecode":        "Bytecode",
	"compilers":       "Compilers and build tools",
	"headers":         "Headers, static and development libraries",
	"caches":          "Caches",
	"packaging-tools": "Packaging tools",
	"stale-packages":  "Stale packages",
	"duplicates":      "Stored more than once: hidden copies, metadata-only rewrites, identical files",
	"security":        "Security",
	"docs":            "Documentation",
}

func categoryTitle(c string) string {
	if t, ok := categoryTitles[c]; ok {
		return t + " [" + c + "]"
	}
	return textsafe.Term(c)
}

// packagesWorthListing: findings whose title does not already name them.
func packagesWorthListing(f rules.Finding) bool {
	for _, pk := range f.Packages {
		if pk.Available != "" {
			return true
		}
	}
	return len(f.Packages) > 5
}

// packageLine lists packages with their upgrade or size.
func packageLine(pkgs []rules.FindingPackage, n int) string {
	pkgs = append([]rules.FindingPackage(nil), pkgs...)
	sort.SliceStable(pkgs, func(i, j int) bool { return pkgs[i].Bytes > pkgs[j].Bytes })
	var parts []string
	for _, pk := range first(pkgs, n) {
		pk.Name, pk.Version, pk.Note, pk.Available = textsafe.Term(pk.Name), textsafe.Term(pk.Version), textsafe.OneLine(pk.Note), textsafe.Term(pk.Available)
		switch {
		case pk.Available != "" && pk.Note != "":
			parts = append(parts, fmt.Sprintf("%s (%s; fixed in %s)", textsafe.Glue(pk.Name, pk.Version), pk.Note, pk.Available))
		case pk.Available != "":
			parts = append(parts, textsafe.Glue(pk.Name, pk.Version, "→", pk.Available))
		case pk.Bytes > 0:
			parts = append(parts, textsafe.Glue(pk.Name, size(pk.Bytes)))
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
