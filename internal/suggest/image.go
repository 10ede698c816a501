package suggest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// Image is an analysed image, its findings and the map from its layers to
// the lines of the Dockerfile that built it: what savings are measured on.
type Image struct {
	A        *inspect.Analysis
	Findings []rules.Finding
	// LayerOf maps an instruction's first line to the layer it made.
	LayerOf map[int]int
	// FirstLayer is the first layer the Dockerfile's final stage made
	// (the layers below come from the base image); -1 when no
	// instruction was found in the history.
	FirstLayer int
}

// NewImage maps the image's layers to the instructions of d's final stage
// (and the stages it is built FROM): backwards from the last layer, by
// instruction keyword and created_by text.
func NewImage(a *inspect.Analysis, findings []rules.Finding, d *Dockerfile) *Image {
	img := &Image{A: a, Findings: findings, LayerOf: map[int]int{}, FirstLayer: -1}
	var cands []*Instruction
	for _, st := range reverse(d.Final().chain()) {
		for _, in := range st.Instrs {
			if in.makesLayer() || in.Keyword == "WORKDIR" {
				cands = append(cands, in)
			}
		}
	}
	i, j := len(a.Layers)-1, len(cands)-1
	for i >= 0 && j >= 0 {
		lt := a.Layers[i].CreatedBy
		in := cands[j]
		switch {
		case layerMatches(lt, in):
			img.LayerOf[in.StartLine] = i
			img.FirstLayer = i
			i--
			j--
		case in.Keyword == "WORKDIR":
			j-- // a WORKDIR whose directory existed makes no layer
		case strings.HasPrefix(lt, "WORKDIR"):
			i--
		default:
			return img // the history does not follow this Dockerfile any further
		}
	}
	return img
}

func reverse(s []*Stage) []*Stage {
	out := make([]*Stage, len(s))
	for i, x := range s {
		out[len(s)-1-i] = x
	}
	return out
}

var flagRe = regexp.MustCompile(`--[a-z-]+=\S+\s+`)

// normInstr folds an instruction's text for comparison with a history
// created_by: flags, the shell wrapper, continuations and spacing go.
func normInstr(s string) string {
	s = strings.ReplaceAll(s, "\\\n", " ")
	s = flagRe.ReplaceAllString(s, "")
	for _, sh := range []string{"/bin/sh -c ", "/bin/bash -c ", "/bin/sh -o pipefail -c "} {
		s = strings.Replace(s, sh, "", 1)
	}
	return strings.Join(strings.Fields(s), " ")
}

func layerMatches(createdBy string, in *Instruction) bool {
	kw, rest, _ := strings.Cut(createdBy, " ")
	if !strings.EqualFold(kw, in.Keyword) {
		return false
	}
	if in.Keyword != "RUN" {
		return true
	}
	a := normInstr(rest)
	b := normInstr(strings.TrimPrefix(strings.TrimPrefix(in.Original, "RUN"), "run"))
	if a == b || a == "" {
		return true
	}
	n := 24
	if len(a) < n || len(b) < n {
		n = min(len(a), len(b))
	}
	return a[:n] == b[:n]
}

// layer is the layer an instruction made.
func (img *Image) layer(in *Instruction) (int, bool) {
	l, ok := img.LayerOf[in.StartLine]
	return l, ok && l < len(img.A.Layers)
}

func notFound(in *Instruction) Savings {
	return Savings{Note: notMeasured(fmt.Sprintf("line %d was not found in the image history", in.StartLine))}
}

// storedBy sums the regular-file bytes that the instructions' layers
// stored at paths match accepts (visible or hidden later).
func (img *Image) storedBy(ins []*Instruction, match func(p string) bool, note string) Savings {
	var total int64
	for _, in := range ins {
		l, ok := img.layer(in)
		if !ok {
			return notFound(in)
		}
		ld := img.A.Layers[l].Data
		if ld == nil {
			return notFound(in)
		}
		for _, e := range ld.Entries {
			if e.Kind == layer.KindFile && match(e.Path) {
				total += e.Size
			}
		}
	}
	return Savings{Bytes: total, Measured: true, Note: note}
}

// metadataRewrites sums the copies the instructions' layers stored again
// with the content they had (SP503).
func (img *Image) metadataRewrites(ins []*Instruction, note string) Savings {
	var total int64
	for _, in := range ins {
		l, ok := img.layer(in)
		if !ok {
			return notFound(in)
		}
		for _, m := range img.A.FS.MetadataCopies {
			if m.Layer == l {
				total += m.Size
			}
		}
	}
	return Savings{Bytes: total, Measured: true, Note: note}
}

// hiddenOrRewritten sums the copies that to's layer stored and from's
// layer hid (deleted, overwrote or rewrote).
func (img *Image) hiddenOrRewritten(from, to *Instruction) Savings {
	lf, ok := img.layer(from)
	if !ok {
		return notFound(from)
	}
	lt, ok := img.layer(to)
	if !ok {
		return notFound(to)
	}
	var total int64
	for _, c := range img.A.FS.Hidden {
		if c.HiddenBy == lf && c.Layer == lt {
			total += c.Size
		}
	}
	return Savings{Bytes: total, Measured: true}
}

// wasteWithin sums the copies a layer of the group stored and a later
// layer of the group hid.
func (img *Image) wasteWithin(g []*Instruction) Savings {
	in := map[int]bool{}
	for _, x := range g {
		l, ok := img.layer(x)
		if !ok {
			return notFound(x)
		}
		in[l] = true
	}
	var total int64
	for _, c := range img.A.FS.Hidden {
		if in[c.Layer] && in[c.HiddenBy] {
			total += c.Size
		}
	}
	return Savings{Bytes: total, Measured: true}
}

// unionBytesExcept counts the visible regular files below (or at) the
// paths, each stored content once (hardlinks share one), not the files in
// skip (nor the findings' hidden copies).
func (img *Image) unionBytesExcept(paths []string, skip map[string]bool) int64 {
	type key struct {
		layer int
		path  string
	}
	seen := map[key]bool{}
	var total int64
	for _, p := range paths {
		n := img.A.FS.Lookup(p)
		if n == nil {
			continue
		}
		walkNode(n, func(x *fsview.Node) {
			if x.Kind != layer.KindFile || skip[x.Path] {
				return
			}
			l, at := x.InodeKey()
			k := key{l, at}
			if !seen[k] {
				seen[k] = true
				total += x.Size
			}
		})
	}
	return total
}

// walkNode calls fn for n and every node below it.
func walkNode(n *fsview.Node, fn func(*fsview.Node)) {
	stack := []*fsview.Node{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		fn(x)
		if x.Kind == layer.KindDir {
			stack = append(stack, x.Children()...)
		}
	}
}

// findingPaths are the paths of the findings of the given rules whose
// layer passes keep.
func (img *Image) findingPaths(rules []string, keep func(layer int) bool) (paths []string, n int) {
	for _, f := range img.Findings {
		if slices.Contains(rules, f.Rule) && keep(f.Layer) {
			paths = append(paths, f.Paths...)
			n++
		}
	}
	return paths, n
}

// dependencyClosure is the named dpkg packages and everything they depend
// on (Depends, Pre-Depends; every installed alternative), from the image's
// /var/lib/dpkg/status.
func (img *Image) dependencyClosure(names []string) map[string]bool {
	out := map[string]bool{}
	status, ok := img.A.FS.Content("/var/lib/dpkg/status")
	if !ok {
		for _, n := range names {
			out[n] = true
		}
		return out
	}
	deps := map[string][]string{}
	for _, st := range inventory.ParseStanzas(string(status)) {
		name := st["package"] // ParseStanzas lower-cases field names
		for _, field := range []string{st["depends"], st["pre-depends"]} {
			for _, alt := range strings.FieldsFunc(field, func(r rune) bool { return r == ',' || r == '|' }) {
				dep := strings.TrimSpace(alt)
				if i := strings.IndexAny(dep, " (:"); i >= 0 {
					dep = dep[:i]
				}
				if dep != "" {
					deps[name] = append(deps[name], dep)
				}
			}
		}
	}
	var visit func(string)
	visit = func(n string) {
		if out[n] {
			return
		}
		out[n] = true
		for _, d := range deps[n] {
			visit(d)
		}
	}
	for _, n := range names {
		visit(n)
	}
	return out
}
