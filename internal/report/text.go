// Package report renders an inspection report for people (text) and for
// machines (JSON). It reads only inspect.Report, never an image.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// JSON writes the report as indented JSON.
func JSON(w io.Writer, r inspect.Report) error {
	// What json.Encoder with SetIndent("", "  ") writes, a piece at a time.
	return r.WriteJSON(w)
}

// TextOptions tune the text report.
type TextOptions struct {
	Now   time.Time // for "N days ago"; zero means time.Now()
	Top   int       // rows of the waste and duplicate lists; 0 (or less) means 10
	Width int       // instruction column budget; 0 means 60
}

// Text writes the report a person reads in a terminal. Every string that
// comes from the image (file names, history, package names, os-release)
// goes through textsafe: an escape sequence or a newline in a file name
// can neither drive the terminal nor forge a line of the report.
func Text(w io.Writer, r inspect.Report, o TextOptions) error {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	if o.Width <= 0 {
		o.Width = 60
	}
	p := &printer{w: w}
	t := r.Totals
	img := r.Image
	p.f("Image      %s (%s)\n", textsafe.Term(img.Reference), img.Transport)
	line := "Platform   " + textsafe.Term(img.Platform)
	if !img.Created.IsZero() {
		line += fmt.Sprintf("   created %s (%s)", img.Created.Format("2006-01-02"), age(img.Created, o.Now))
	}
	line += "   user " + userLabel(img.User)
	p.f("%s\n", line)
	if img.OS != "" {
		p.f("OS         %s\n", textsafe.Term(img.OS))
	}
	p.f("Size       %s visible · %s stored in layers · %s of layer blobs · %s files\n",
		size(t.Size), size(t.StoredSize), size(t.CompressedSize), humanize.Comma(int64(t.Files)))
	p.f("Wasted     %s stored but not visible (%s of stored) · efficiency %.1f%%\n",
		size(t.WastedBytes), percent(t.WastedBytes, t.StoredSize), t.Efficiency*100)

	p.f("\nLayers\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "#\tSIZE\tFILES\tADDED\tMODIFIED\tREMOVED\tHIDES\t \tINSTRUCTION\n")
	for _, l := range r.Layers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t \t%s\n", l.Index, size(l.Size), humanize.Comma(int64(l.Files)),
			size(l.AddedBytes), size(l.ModifiedBytes), size(l.RemovedBytes), size(l.WastedBytes), textsafe.Clip(l.CreatedBy, o.Width))
	}
	tw.Flush()
	p.f("(HIDES: bytes stored by this or a lower layer that this layer made invisible)\n")

	if len(r.Waste.Copies) > 0 {
		p.f("\nWaste: %s in %s hidden copies", size(r.Waste.Bytes), humanize.Comma(int64(r.Waste.Files)))
		var reasons []string
		for _, k := range sortedKeys(r.Waste.ByReason) {
			reasons = append(reasons, fmt.Sprintf("%s %s", textsafe.Term(k), size(r.Waste.ByReason[k])))
		}
		p.f(" (%s)\n", strings.Join(reasons, ", "))
		p.wasteByLayer(r, o)
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "  SIZE\tSTORED IN\tHIDDEN BY\tHOW\tPATH\n")
		for _, c := range first(r.Waste.Copies, o.Top) {
			fmt.Fprintf(tw, "  %s\tlayer %d\tlayer %d\t%s\t%s\n", size(c.Size), c.Layer, c.HiddenBy, c.Reason, textsafe.Term(c.Path))
		}
		tw.Flush()
		more(p, len(r.Waste.Copies), o.Top)
	}

	if len(r.Duplicates.Groups) > 0 {
		p.f("\nDuplicates: %s in %d groups of identical files at different paths\n", size(r.Duplicates.WastedBytes), len(r.Duplicates.Groups))
		for _, g := range first(r.Duplicates.Groups, o.Top) {
			p.f("  %s × %d  %s\n", size(g.Size), len(g.Paths), strings.Join(firstStrings(g.Paths, 3), "  "))
		}
		more(p, len(r.Duplicates.Groups), o.Top)
	}

	if m := r.MetadataOnlyCopies; m.Files > 0 {
		p.f("\nMetadata-only rewrites: %s in %s files stored again with the same content\n", size(m.Bytes), humanize.Comma(int64(m.Files)))
		layers := make([]int, 0, len(m.ByLayer))
		for l := range m.ByLayer {
			layers = append(layers, l)
		}
		sort.Ints(layers)
		for _, l := range layers {
			p.f("  layer %d: %s  %s\n", l, size(m.ByLayer[l]), textsafe.Clip(createdBy(r, l), o.Width))
		}
	}

	p.f("\nPackages\n")
	p.inventory(r)
	p.findings(r, o)
	return p.err
}

func (p *printer) wasteByLayer(r inspect.Report, o TextOptions) {
	for _, l := range r.Layers {
		if l.WastedBytes > 0 {
			p.f("  layer %d hides %s  %s\n", l.Index, size(l.WastedBytes), textsafe.Clip(l.CreatedBy, o.Width))
		}
	}
}

func (p *printer) inventory(r inspect.Report) {
	byManager := map[string][]inspect.PackageRef{}
	for _, pkg := range r.Packages.OS {
		byManager[pkg.Manager] = append(byManager[pkg.Manager], pkg)
	}
	if len(byManager) == 0 {
		p.f("  no dpkg or apk database\n")
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
			big = append(big, fmt.Sprintf("%s %s", textsafe.Term(pkg.Name), size(pkg.Bytes)))
		}
		p.f("  %s: %d packages, %s; largest: %s\n", textsafe.Term(m), len(pkgs), size(total), strings.Join(big, ", "))
	}
	for _, it := range r.Packages.Interpreters {
		p.f("  Python %s (%s) at %s\n", textsafe.Term(it.Version), textsafe.Term(it.Kind), textsafe.Term(it.Path))
	}
	if n := len(r.Packages.Python); n > 0 {
		var total int64
		for _, d := range r.Packages.Python {
			total += d.Bytes
		}
		p.f("  %d Python distributions, %s\n", n, size(total))
	}
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func more(p *printer, n, shown int) {
	if n > shown {
		p.f("  … %d more (all of them in --format json)\n", n-shown)
	}
}

func createdBy(r inspect.Report, layer int) string {
	if layer >= 0 && layer < len(r.Layers) {
		return r.Layers[layer].CreatedBy
	}
	return ""
}

// size shows bytes the way docker and dive do (SI units).
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
	return fmt.Sprintf("%d days ago", days)
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// firstStrings are the first n of s, made safe to show (file names), and
// how many more.
func firstStrings(s []string, n int) []string {
	var out []string
	for _, x := range first(s, n) {
		out = append(out, textsafe.Term(x))
	}
	if len(s) > n {
		out = append(out, fmt.Sprintf("(+%d more)", len(s)-n))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
