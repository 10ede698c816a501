package rules

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

// This file holds what several rules share: one index of the merged tree,
// the owners of paths, and the collector that turns flagged paths into
// findings with bytes counted the same way everywhere.

// fsIndex is built once per Pass, on first use.
type fsIndex struct {
	all        []*fsview.Node // every visible node but the root, parents first
	stdlibDirs []*fsview.Node // PREFIX/lib/python3.N directories holding a standard library
	siteDirs   []*fsview.Node // directories named site-packages or dist-packages
	osOwner    map[string]int // visible path → index in Inventory.OS (first lister)
	distOwner  map[string]int // visible path → index in Inventory.Python
}

var stdlibDirName = regexp.MustCompile(`^python[23]\.[0-9]+$`)

func (p *Pass) index() *fsIndex {
	if p.idx != nil {
		return p.idx
	}
	x := &fsIndex{osOwner: map[string]int{}, distOwner: map[string]int{}}
	p.FS.Walk(func(n *fsview.Node) bool {
		x.all = append(x.all, n)
		if n.Kind == layer.KindDir {
			name := n.Name()
			switch {
			case name == "site-packages" || name == "dist-packages":
				x.siteDirs = append(x.siteDirs, n)
			case stdlibDirName.MatchString(name) && n.Parent() != nil &&
				(n.Parent().Name() == "lib" || n.Parent().Name() == "lib64") && inventory.StdlibMarker(n) != nil:
				x.stdlibDirs = append(x.stdlibDirs, n)
			}
		}
		return true
	})
	for i, pkg := range p.Inventory.OS {
		for _, f := range pkg.Files {
			if _, ok := x.osOwner[f]; !ok {
				x.osOwner[f] = i
			}
		}
	}
	for i, d := range p.Inventory.Python {
		for _, f := range d.Files {
			if _, ok := x.distOwner[f]; !ok {
				x.distOwner[f] = i
			}
		}
	}
	p.idx = x
	return x
}

// Nodes returns every visible node (the root excepted), parents before
// children, siblings in name order.
func (p *Pass) Nodes() []*fsview.Node { return p.index().all }

// OSOwner returns the OS package that lists the visible path, if any.
func (p *Pass) OSOwner(path string) (*inventory.OSPackage, bool) {
	i, ok := p.index().osOwner[path]
	if !ok {
		return nil, false
	}
	return &p.Inventory.OS[i], true
}

// DistOwner returns the Python distribution whose RECORD (or file list)
// names the visible path, if any.
func (p *Pass) DistOwner(path string) (*inventory.PythonDist, bool) {
	i, ok := p.index().distOwner[path]
	if !ok {
		return nil, false
	}
	return &p.Inventory.Python[i], true
}

// Ignored reports whether the config's ignore patterns cover the path.
func (p *Pass) Ignored(path string) bool { return p.ignore.ignored(path) }

// inPythonLib reports whether p lies in a Python library tree: a
// lib/python3.N directory, site-packages or dist-packages.
func inPythonLib(p string) bool {
	for _, part := range fsview.SplitPath(p) {
		if part == "site-packages" || part == "dist-packages" || stdlibDirName.MatchString(part) {
			return true
		}
	}
	return false
}

// hasPathElement reports whether one element of p equals name.
func hasPathElement(p, name string) bool {
	for _, part := range fsview.SplitPath(p) {
		if part == name {
			return true
		}
	}
	return false
}

// --- collecting bytes -------------------------------------------------------

// collector gathers the flagged files of one rule and makes its findings:
// one per layer that wrote flagged bytes. Bytes count each stored content
// once (hardlinks once), and a hardlinked file only when every one of its
// visible links is flagged: removing some links of a file frees nothing.
type collector struct {
	p       *Pass
	seen    map[unit]bool
	pending map[unit]*linkSet // by the stored content of a hardlinked file
	accs    map[int]*acc
}

type linkSet struct {
	links int // Node.Links: every visible path of the content
	first *fsview.Node
	root  string
	layer int
	paths map[string]bool
}

// acc is what one layer contributed to a rule's findings.
type acc struct {
	layer int
	bytes int64
	files int
	roots map[string]int64
	units map[unit]int64
	pkgs  []FindingPackage
}

func (p *Pass) collector() *collector {
	return &collector{p: p, seen: map[unit]bool{}, pending: map[unit]*linkSet{}, accs: map[int]*acc{}}
}

func (c *collector) acc(layer int) *acc {
	a := c.accs[layer]
	if a == nil {
		a = &acc{layer: layer, roots: map[string]int64{}, units: map[unit]int64{}}
		c.accs[layer] = a
	}
	return a
}

// root makes a flagged path show in the finding even when it holds no bytes
// (a test directory of empty files).
func (c *collector) root(layer int, root string) *acc {
	a := c.acc(layer)
	if _, ok := a.roots[root]; !ok {
		a.roots[root] = 0
	}
	return a
}

// addTree flags every regular file at or below n, under the root n.Path,
// each attributed to the layer that stored its content. Ignored paths are
// skipped.
func (c *collector) addTree(n *fsview.Node) {
	c.addTreeAt(n, -2)
}

// addTreeAt is addTree with every file attributed to layer idx (-2: the layer
// that stored each file).
func (c *collector) addTreeAt(n *fsview.Node, idx int) {
	if n == nil || c.p.Ignored(n.Path) {
		return
	}
	c.addBelow(n, n.Path, idx, nil)
}

// addBelow flags every regular file at or below n, under the root root,
// attributed to layer idx (-2: the layer that stored each file), but what
// the config ignores and what skip (nil: nothing) says: a directory
// skipped is not entered.
func (c *collector) addBelow(n *fsview.Node, root string, idx int, skip func(*fsview.Node) bool) {
	var walk func(x *fsview.Node)
	walk = func(x *fsview.Node) {
		switch x.Kind {
		case layer.KindFile:
			c.add(x, root, idx)
		case layer.KindDir:
			for ch := range x.ChildNodes() {
				if !c.p.Ignored(ch.Path) && (skip == nil || !skip(ch)) {
					walk(ch)
				}
			}
		}
	}
	walk(n)
}

// addFile flags one regular file, under the root root ("" for its own path).
func (c *collector) addFile(n *fsview.Node, root string) { c.addFileAt(n, root, -2) }

// addFileAt flags one regular file attributed to layer idx (-2: the layer that
// stored it).
func (c *collector) addFileAt(n *fsview.Node, root string, idx int) {
	if n == nil || n.Kind != layer.KindFile || c.p.Ignored(n.Path) {
		return
	}
	if root == "" {
		root = n.Path
	}
	c.add(n, root, idx)
}

// contentUnit is the stored content a regular file reaches; false for
// anything else.
func contentUnit(n *fsview.Node) (unit, bool) {
	layer, at := n.InodeKey()
	return unit{layer: layer, path: at}, at != ""
}

func (c *collector) add(n *fsview.Node, root string, layer int) {
	u, ok := contentUnit(n)
	if !ok {
		return
	}
	if layer == -2 {
		layer = u.layer
	}
	if links := n.Links(); links > 1 {
		ls := c.pending[u]
		if ls == nil {
			ls = &linkSet{links: links, first: n, root: root, layer: layer, paths: map[string]bool{}}
			c.pending[u] = ls
		}
		ls.paths[n.Path] = true
		return
	}
	c.count(n, root, layer)
}

func (c *collector) count(n *fsview.Node, root string, layer int) {
	u, _ := contentUnit(n)
	a := c.root(layer, root)
	if c.seen[u] {
		return
	}
	c.seen[u] = true
	a.units[u] = n.Size
	a.bytes += n.Size
	a.files++
	a.roots[root] += n.Size
}

// addHidden flags a stored copy the final file system cannot see,
// attributed to layer.
func (c *collector) addHidden(cp fsview.Copy, layer int) {
	if c.p.Ignored(cp.Path) {
		return
	}
	u := unit{hidden: true, layer: cp.Layer, path: cp.Path}
	a := c.root(layer, cp.Path)
	if c.seen[u] {
		return
	}
	c.seen[u] = true
	a.units[u] = cp.Size
	a.bytes += cp.Size
	a.files++
	a.roots[cp.Path] += cp.Size
}

// resolve counts the hardlinked files whose every link was flagged.
func (c *collector) resolve() {
	for _, ls := range c.pending {
		if len(ls.paths) >= ls.links {
			c.count(ls.first, ls.root, ls.layer)
		}
	}
	c.pending = map[unit]*linkSet{}
}

// findings makes one finding per layer that contributed bytes, titled by
// title.
func (c *collector) findings(title func(a *acc) string) []Finding {
	c.resolve()
	layers := make([]int, 0, len(c.accs))
	for l := range c.accs {
		layers = append(layers, l)
	}
	sort.Ints(layers)
	var out []Finding
	for _, l := range layers {
		a := c.accs[l]
		if a.bytes == 0 {
			continue
		}
		f := Finding{Title: title(a), Bytes: a.bytes, Files: a.files, Layer: l, units: a.units, Packages: a.pkgs}
		f.Paths, f.PathBytes = sortedRoots(a.roots)
		out = append(out, f)
	}
	return out
}

// findingsKeepEmpty is findings that also keeps layers whose flagged files
// hold no bytes (an empty .env is still a finding).
func (c *collector) findingsKeepEmpty(title func(a *acc) string) []Finding {
	c.resolve()
	var out []Finding
	for l, a := range c.accs {
		if len(a.roots) == 0 {
			continue
		}
		f := Finding{Title: title(a), Bytes: a.bytes, Files: a.files, Layer: l, units: a.units, Packages: a.pkgs}
		f.Paths, f.PathBytes = sortedRoots(a.roots)
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Layer < out[j].Layer })
	return out
}

// sortedRoots orders paths by bytes, largest first, then by path.
func sortedRoots(roots map[string]int64) ([]string, []int64) {
	paths := make([]string, 0, len(roots))
	for r := range roots {
		paths = append(paths, r)
	}
	sort.Slice(paths, func(i, j int) bool {
		if roots[paths[i]] != roots[paths[j]] {
			return roots[paths[i]] > roots[paths[j]]
		}
		return paths[i] < paths[j]
	})
	sizes := make([]int64, len(paths))
	for i, r := range paths {
		sizes[i] = roots[r]
	}
	return paths, sizes
}

// --- shared by several rules ------------------------------------------------

// rootsOf lists an acc's flagged roots, largest first.
func rootsOf(a *acc) []string {
	p, _ := sortedRoots(a.roots)
	return p
}

// firstN keeps the first n strings and says how many more there are.
func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), "+"+strconv.Itoa(len(s)-n)+" more")
}

// treeLayer is the layer that stored most of the bytes below n (the layer
// of the directory itself when it holds none).
func (p *Pass) treeLayer(n *fsview.Node) int {
	by := map[int]int64{}
	var walk func(x *fsview.Node)
	walk = func(x *fsview.Node) {
		for c := range x.ChildNodes() {
			switch c.Kind {
			case layer.KindDir:
				walk(c)
			case layer.KindFile:
				if l := c.StoredLayer(); l >= 0 {
					by[l] += c.Size
				}
			}
		}
	}
	walk(n)
	best, bestBytes := n.Layer, int64(-1)
	for l, b := range by {
		if b > bestBytes || (b == bestBytes && l < best) {
			best, bestBytes = l, b
		}
	}
	return best
}

// addPkg records a package once per acc.
func (a *acc) addPkg(pk FindingPackage) {
	for _, q := range a.pkgs {
		if q.Name == pk.Name && q.Version == pk.Version && q.Location == pk.Location {
			return
		}
	}
	a.pkgs = append(a.pkgs, pk)
}

// packageList names the largest packages: "gcc-12 (71 MB), cpp-12 (...)".
func packageList(pkgs []FindingPackage, n int) string {
	sorted := append([]FindingPackage(nil), pkgs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Bytes != sorted[j].Bytes {
			return sorted[i].Bytes > sorted[j].Bytes
		}
		return sorted[i].Name < sorted[j].Name
	})
	var names []string
	for _, pk := range sorted {
		names = append(names, pk.Name)
	}
	return words.Count(len(pkgs), "package", "packages") + " (" + strings.Join(firstN(names, n), ", ") + ")"
}

// envValue returns NAME's value in the image config's Env, or "".
func (p *Pass) envValue(name string) string {
	for _, kv := range p.Config.Config.Env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// --- dpkg dependencies --------------------------------------------------------

// dpkgReverseDeps reads the installed packages' Depends and Pre-Depends
// from /var/lib/dpkg/status: for each package name, the installed packages
// that depend on it (every alternative of an "a | b" counts).
func (p *Pass) dpkgReverseDeps() map[string][]string {
	out := map[string][]string{}
	c, ok := p.FS.Content(inventory.DpkgStatus)
	if !ok {
		return out
	}
	for _, s := range inventory.ParseStanzas(string(c)) {
		name := s["package"]
		if name == "" || !inventory.DpkgInstalled(s) {
			continue
		}
		for _, field := range []string{"depends", "pre-depends"} {
			for _, dep := range dependencyNames(s[field]) {
				out[dep] = append(out[dep], name)
			}
		}
	}
	return out
}

// dependencyNames returns the package names of a Depends field:
// "libc6 (>= 2.34), libisl23 | libisl22, python3:any" → libc6 libisl23
// libisl22 python3.
func dependencyNames(field string) []string {
	var out []string
	for _, clause := range strings.Split(field, ",") {
		for _, alt := range strings.Split(clause, "|") {
			alt = strings.TrimSpace(alt)
			if i := strings.IndexAny(alt, " ([<"); i >= 0 {
				alt = alt[:i]
			}
			alt, _, _ = strings.Cut(alt, ":")
			if alt != "" {
				out = append(out, alt)
			}
		}
	}
	return out
}

// --- Python helpers -----------------------------------------------------------

// normalizeDistName is PEP 503's normalisation: runs of -_. become "-",
// lower case.
func normalizeDistName(name string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			dash = true
			continue
		}
		if dash && sb.Len() > 0 {
			sb.WriteByte('-')
		}
		dash = false
		sb.WriteRune(r)
	}
	return sb.String()
}

// pyVersionTag turns "3.11.7" or "3.11" into "311" (the cpython-311 of
// bytecode file names); "" when it cannot.
func pyVersionTag(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return parts[0] + parts[1]
}

// pythonMinorOf returns the "3.N" a Python library location serves:
// .../lib/python3.N/... → 3.N; /usr/lib/python3/dist-packages → the
// distribution interpreter's; "" when unknown.
func (p *Pass) pythonMinorOf(loc string) string {
	for _, part := range fsview.SplitPath(loc) {
		if stdlibDirName.MatchString(part) {
			return strings.TrimPrefix(part, "python")
		}
	}
	if fsview.UnderDir(loc, "/usr/lib/python3") || fsview.UnderDir(loc, "/usr/local/lib/python3") {
		for _, it := range p.Inventory.Interpreters {
			if it.Prefix == "/usr" {
				parts := strings.SplitN(it.Version, ".", 3)
				if len(parts) >= 2 {
					return parts[0] + "." + parts[1]
				}
			}
		}
	}
	return ""
}
