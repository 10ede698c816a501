// Package report renders an inspection report for people (text) and for
// machines (JSON). It reads only inspect.Report, never an image.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r inspect.Report) error {
	// What json.Encoder with SetIndent("", "  ") writes, a piece at a time.
	return r.WriteJSON(w)
}

// MaxColumns is the widest line of the text report.
const MaxColumns = 120

// TextOptions tune the text report.
type TextOptions struct {
	Now time.Time // for "N days ago"; zero means time.Now()
	Top int       // rows of the waste and identical-file lists; 0 (or less) means 10
	// Columns is the widest line (a terminal's width); 0, or more than
	// MaxColumns, means MaxColumns. Long lines are wrapped (prose) or cut
	// (table rows: an instruction at its end, a path in its middle).
	Columns int
}

// The report names each figure once, and always the same way:
//
//   - layer efficiency: visible bytes / stored bytes (totals.efficiency),
//     the figure dive calls efficiency;
//   - score: the bytes left after the findings' cleanup, in percent of
//     the stored bytes (summary.score; summary.efficiency is it as a
//     ratio), never called efficiency;
//   - hidden copies (waste): bytes a layer stored and a later layer hid;
//   - identical files at different paths (duplicates in the JSON);
//   - metadata-only rewrites: the same content stored again by a chown.

// Text writes the report a person reads in a terminal: the headline first
// (what can be recovered, the score, the top findings), then the details.
// Every string that comes from the image (file names, history, package
// names, os-release) goes through textsafe: an escape sequence or a
// newline in a file name can neither drive the terminal nor forge a line
// of the report.
func Text(w io.Writer, r inspect.Report, o TextOptions) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	if o.Columns <= 0 || o.Columns > MaxColumns {
		o.Columns = MaxColumns
	}
	p := &printer{w: w, cols: o.Columns}
	p.headline(r)
	p.image(r, o)
	p.layers(r)
	p.waste(r, o)
	p.identical(r, o)
	p.metadataRewrites(r)
	p.line("")
	p.line("Packages")
	p.inventory(r)
	p.findings(r)
	return p.err
}

// headline is what a reader needs first: how big the image is, how much
// of it the findings could recover, the score and the top findings.
func (p *printer) headline(r inspect.Report) {
	t := r.Totals
	p.wrap("", fmt.Sprintf("%s: %s visible, %s stored in %d layers (%s of layer blobs), %s files",
		textsafe.Term(r.Image.Reference), size(t.Size), size(t.StoredSize), len(r.Layers), size(t.CompressedSize), humanize.Comma(int64(t.Files))))
	if s := r.Summary; s != nil {
		p.wrap("", fmt.Sprintf("Recoverable %s of %s stored (%s): %s after cleanup · score %d/100",
			size(s.RecoverableBytes), size(s.StoredSize), percent(s.RecoverableBytes, s.StoredSize), size(s.SlimmedSize), s.Score))
	}
	p.wrap("", fmt.Sprintf("Layer efficiency %.1f%%: %s stored in layers but hidden by later ones (%s of stored)",
		t.Efficiency*100, size(t.WastedBytes), percent(t.WastedBytes, t.StoredSize)))
	if r.Summary == nil {
		return
	}
	if len(r.Findings) == 0 {
		p.line("No findings.")
		return
	}
	p.line("Top findings (" + severityCounts(r) + "; all of them below)")
	top := topFindings(r.Findings, topFindingRows)
	for _, f := range top {
		bytes := ""
		if f.Bytes > 0 {
			bytes = size(f.Bytes)
		}
		p.clip(fmt.Sprintf("  %8s  %-5s %-6s %s", bytes, textsafe.Term(f.Rule), textsafe.Term(string(f.Severity)), textsafe.OneLine(f.TitleAmong(top))))
	}
}

// topFindingRows is how many findings the headline lists.
const topFindingRows = 5

// topFindings are the high-severity findings, then the others by bytes.
func topFindings(fs []rules.Finding, n int) []rules.Finding {
	out := append([]rules.Finding(nil), fs...)
	sort.SliceStable(out, func(i, j int) bool {
		hi, hj := out[i].Severity == rules.SeverityHigh, out[j].Severity == rules.SeverityHigh
		if hi != hj {
			return hi
		}
		return out[i].Bytes > out[j].Bytes
	})
	return first(out, n)
}

func (p *printer) image(r inspect.Report, o TextOptions) {
	img := r.Image
	p.line("")
	p.wrap("Image      ", fmt.Sprintf("%s (%s)", textsafe.Term(img.Reference), img.Transport))
	line := textsafe.Term(img.Platform)
	if !img.Created.IsZero() {
		line += fmt.Sprintf(" · created %s (%s)", img.Created.Format("2006-01-02"), age(img.Created, o.Now))
	}
	p.wrap("Platform   ", line+" · user "+userLabel(img.User))
	if img.OS != "" {
		p.wrap("OS         ", textsafe.Term(img.OS))
	}
}

func (p *printer) layers(r inspect.Report) {
	p.line("")
	p.line("Layers")
	rows := [][]string{{"#", "SIZE", "FILES", "ADDED", "MODIFIED", "REMOVED", "HIDES", "INSTRUCTION"}}
	for _, l := range r.Layers {
		rows = append(rows, []string{fmt.Sprint(l.Index), size(l.Size), humanize.Comma(int64(l.Files)),
			size(l.AddedBytes), size(l.ModifiedBytes), size(l.RemovedBytes), size(l.WastedBytes), textsafe.OneLine(l.CreatedBy)})
	}
	p.table(rows, 7, false)
	p.line("(HIDES: bytes stored by this or a lower layer that this layer made invisible)")
}

// waste lists the hidden copies: by layer, then the largest.
func (p *printer) waste(r inspect.Report, o TextOptions) {
	if len(r.Waste.Copies) == 0 {
		return
	}
	var reasons []string
	for _, k := range sortedKeys(r.Waste.ByReason) {
		reasons = append(reasons, textsafe.Glue(textsafe.Term(k), size(r.Waste.ByReason[k])))
	}
	p.line("")
	p.wrap("", fmt.Sprintf("Hidden copies (waste): %s in %s copies stored by a layer and hidden by a later one (%s)",
		size(r.Waste.Bytes), humanize.Comma(int64(r.Waste.Files)), strings.Join(reasons, ", ")))
	for _, l := range r.Layers {
		if l.WastedBytes > 0 {
			p.clip(fmt.Sprintf("  layer %d hides %s  %s", l.Index, size(l.WastedBytes), textsafe.OneLine(l.CreatedBy)))
		}
	}
	rows := [][]string{{"SIZE", "STORED IN", "HIDDEN BY", "HOW", "PATH"}}
	for _, c := range first(r.Waste.Copies, o.Top) {
		rows = append(rows, []string{size(c.Size), fmt.Sprintf("layer %d", c.Layer), fmt.Sprintf("layer %d", c.HiddenBy), fmt.Sprint(c.Reason), textsafe.Term(c.Path)})
	}
	p.table(rows, 0, true)
	more(p, len(r.Waste.Copies), o.Top)
}

// identical lists the groups of identical files at different paths.
func (p *printer) identical(r inspect.Report, o TextOptions) {
	if len(r.Duplicates.Groups) == 0 {
		return
	}
	p.line("")
	p.wrap("", fmt.Sprintf("Identical files at different paths: %s in %s groups (the bytes of every copy but one)",
		size(r.Duplicates.WastedBytes), humanize.Comma(int64(len(r.Duplicates.Groups)))))
	for _, g := range first(r.Duplicates.Groups, o.Top) {
		head := fmt.Sprintf("  %8s × %d  ", size(g.Size), len(g.Paths))
		for i, path := range first(g.Paths, 3) {
			if i > 0 {
				head = strings.Repeat(" ", len([]rune(head)))
			}
			p.line(head + clipMiddle(textsafe.Term(path), p.cols-len([]rune(head))))
		}
		if n := len(g.Paths) - 3; n > 0 {
			p.line(strings.Repeat(" ", len([]rune(head))) + fmt.Sprintf("(+%d more)", n))
		}
	}
	more(p, len(r.Duplicates.Groups), o.Top)
}

func (p *printer) metadataRewrites(r inspect.Report) {
	m := r.MetadataOnlyCopies
	if m.Files == 0 {
		return
	}
	p.line("")
	p.wrap("", fmt.Sprintf("Metadata-only rewrites: %s in %s files stored again with the same content", size(m.Bytes), humanize.Comma(int64(m.Files))))
	layers := make([]int, 0, len(m.ByLayer))
	for l := range m.ByLayer {
		layers = append(layers, l)
	}
	sort.Ints(layers)
	for _, l := range layers {
		p.clip(fmt.Sprintf("  layer %d: %s  %s", l, size(m.ByLayer[l]), textsafe.OneLine(createdBy(r, l))))
	}
}

func (p *printer) inventory(r inspect.Report) {
	byManager := map[string][]inspect.PackageRef{}
	for _, pkg := range r.Packages.OS {
		byManager[pkg.Manager] = append(byManager[pkg.Manager], pkg)
	}
	if len(byManager) == 0 {
		p.line("  no dpkg or apk database")
	}
	for _, m := range sortedKeys(byManager) {
		pkgs := byManager[m]
		var total int64
		for _, pkg := range pkgs {
			total += pkg.Bytes
		}
		sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Bytes > pkgs[j].Bytes })
		var big []string
		for _, pkg := range first(pkgs, 5) {
			big = append(big, textsafe.Glue(textsafe.Term(pkg.Name), size(pkg.Bytes)))
		}
		p.wrap("  ", fmt.Sprintf("%s: %s packages, %s; largest: %s", textsafe.Term(m), humanize.Comma(int64(len(pkgs))), size(total), strings.Join(big, ", ")))
	}
	for _, it := range r.Packages.Interpreters {
		p.wrap("  ", fmt.Sprintf("Python %s (%s) at %s", textsafe.Term(it.Version), textsafe.Term(it.Kind), textsafe.Term(it.Path)))
	}
	if n := len(r.Packages.Python); n > 0 {
		var total int64
		for _, d := range r.Packages.Python {
			total += d.Bytes
		}
		p.line(fmt.Sprintf("  %s Python distributions, %s", humanize.Comma(int64(n)), size(total)))
	}
}

func more(p *printer, n, shown int) {
	if n > shown {
		p.line(fmt.Sprintf("  … %s more (all of them in --format json)", humanize.Comma(int64(n-shown))))
	}
}

func createdBy(r inspect.Report, layer int) string {
	if layer >= 0 && layer < len(r.Layers) {
		return r.Layers[layer].CreatedBy
	}
	return ""
}

// size shows bytes the way docker and dive do (SI units, go-humanize).
func size(b int64) string {
	if b < 0 {
		return "-" + humanize.Bytes(uint64(-b))
	}
	return humanize.Bytes(uint64(b))
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", float64(part)*100/float64(whole))
}

func userLabel(u string) string {
	if u == "" {
		return "root (none set)"
	}
	return textsafe.Term(u)
}

func age(t, now time.Time) string {
	days := int(now.Sub(t).Hours() / 24)
	switch {
	case days < 0:
		return "in the future"
	case days == 0:
		return "today"
	case days == 1:
		return "1 day ago"
	}
	return fmt.Sprintf("%s days ago", humanize.Comma(int64(days)))
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
