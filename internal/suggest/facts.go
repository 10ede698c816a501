package suggest

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/elfdeps"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// Facts are what an image tells about the Dockerfile that built it and
// that change what a suggestion writes (not only what it measures).
type Facts struct {
	// Python is the interpreter version of the image ("3.11.7"); "" if none.
	Python string
	// ConfigUser is the image config's User.
	ConfigUser string
	// Dists maps PEP 503 names of the distributions pip & co. installed to
	// their versions (for pinning).
	Dists map[string]string
	// Upgradable are the dpkg packages the image's own apt lists offer
	// newer versions of (SP403, aptUpgradableRule).
	Upgradable []string
	// Runtime are the shared libraries the compiled extension modules in
	// site-packages link (ELF DT_NEEDED), with their owning packages; nil
	// when not read.
	Runtime *RuntimeLibs
	// BaseLayers is how many layers the base image has (the first layer
	// the Dockerfile made); 0 when unknown.
	BaseLayers int

	fs  *fsview.FileSystem
	inv *inventory.Inventory
}

// RuntimeLibs are what the extension modules of an image need at run time.
type RuntimeLibs struct {
	Manager string // dpkg or apk
	// Packages own the libraries the extensions link, with the layer that
	// installed each (packages of the base image's layers are there
	// already when the runtime stage keeps the base).
	Packages []RuntimePackage
	// Objects is how many extension .so files were read; NotELF how many
	// of the candidates were not ELF files.
	Objects int
	NotELF  int
	// Unresolved are linked libraries neither bundled with the wheels
	// nor owned by a package.
	Unresolved []string
}

// RuntimePackage is one package the extensions need.
type RuntimePackage struct {
	Name   string
	Layer  int
	Needed []string // the sonames it provides, e.g. libpq.so.5
	By     []string // the extension modules that link them
}

// alwaysPresent are packages every Debian or Alpine base has.
var alwaysPresent = map[string]bool{"libc6": true, "libgcc-s1": true, "libstdc++6": true, "zlib1g": true, "musl": true, "libgcc": true, "libstdc++": true}

// NewFacts reads the facts that need no layer re-read.
func NewFacts(a *inspect.Analysis, findings []rules.Finding) *Facts {
	f := &Facts{Dists: map[string]string{}, fs: a.FS, inv: &a.Inventory}
	if a.Config != nil {
		f.ConfigUser = a.Config.Config.User
	}
	for _, it := range a.Inventory.Interpreters {
		if it.Kind == "venv" || it.Version == "" {
			continue
		}
		if len(it.Version) > len(f.Python) {
			f.Python = it.Version
		}
	}
	for _, d := range a.Inventory.Python {
		if d.Installer == "debian" {
			continue
		}
		f.Dists[normalizeDist(d.Name)] = d.Version
	}
	seen := map[string]bool{}
	for _, fd := range findings {
		if fd.Rule != aptUpgradableRule {
			continue
		}
		for _, p := range fd.Packages {
			if !seen[p.Name] {
				seen[p.Name] = true
				f.Upgradable = append(f.Upgradable, p.Name)
			}
		}
	}
	sort.Strings(f.Upgradable)
	return f
}

// ReadRuntimeLibs reads the ELF headers of the shared objects in the
// image's Python library trees that no OS package owns (what pip & co.
// installed): their DT_NEEDED entries, resolved to the packages that own
// the libraries. Only the layers that store those files are streamed
// again, and only those files are read; cache (nil: none) keeps what each
// layer's objects link, so a later run streams no layer it knows (nor one
// an inspect with the same cache walked: its walk keeps them too).
func (f *Facts) ReadRuntimeLibs(ctx context.Context, img v1.Image, cache inspect.DerivedValues) error {
	owned := map[string]bool{}
	libOwner := map[string]*inventory.OSPackage{} // base name → package
	manager := ""
	for i := range f.inv.OS {
		p := &f.inv.OS[i]
		manager = p.Manager
		for _, file := range p.Files {
			owned[file] = true
			if elfdeps.IsSharedObject(path.Base(file)) && strings.Contains(file, "/lib") {
				if _, dup := libOwner[path.Base(file)]; !dup {
					libOwner[path.Base(file)] = p
				}
			}
		}
	}
	// Every shared object of the library trees is known before the first
	// is read (want sees them all first): one shipped inside a wheel
	// (auditwheel's .libs) is no OS package's.
	bundled := map[string]bool{}
	rl := &RuntimeLibs{Manager: manager}
	f.Runtime = rl
	pkgs := map[string]*RuntimePackage{}
	unresolved := map[string]bool{}
	want := func(n *fsview.Node) bool {
		if !elfdeps.Candidate(n.Path) {
			return false
		}
		bundled[n.Name()] = true
		return !owned[n.Path]
	}
	err := inspect.ReadVisibleDerived(ctx, img, f.fs, want, elfdeps.MaxRead, elfdeps.Needed, cache, func(paths []string, value []byte) {
		needed, isELF := elfdeps.Parse(value)
		if !isELF {
			rl.NotELF += len(paths)
			return
		}
		if needed == nil {
			return // an ELF object whose imports could not be read
		}
		rl.Objects += len(paths)
		for _, so := range needed {
			if bundled[so] {
				continue // shipped inside the wheel (auditwheel's .libs)
			}
			owner := libOwner[so]
			if owner == nil {
				if !strings.HasPrefix(so, "libpython") {
					unresolved[so] = true
				}
				continue
			}
			if alwaysPresent[owner.Name] {
				continue
			}
			rp := pkgs[owner.Name]
			if rp == nil {
				rp = &RuntimePackage{Name: owner.Name, Layer: owner.Layer}
				pkgs[owner.Name] = rp
			}
			rp.Needed = appendUnique(rp.Needed, so)
			for _, v := range paths {
				rp.By = appendUnique(rp.By, v)
			}
		}
	})
	if err != nil {
		return fmt.Errorf("reading the extension modules: %w", err)
	}
	for _, p := range pkgs {
		sort.Strings(p.Needed)
		sort.Strings(p.By)
		rl.Packages = append(rl.Packages, *p)
	}
	sort.Slice(rl.Packages, func(i, j int) bool { return rl.Packages[i].Name < rl.Packages[j].Name })
	for so := range unresolved {
		rl.Unresolved = append(rl.Unresolved, so)
	}
	sort.Strings(rl.Unresolved)
	return nil
}

// uniq drops the repeats of s, keeping the first of each, in order.
func uniq(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// junk is what a .dockerignore pattern would have kept out of the image.
type junk struct {
	pattern string
	files   int
	bytes   int64
}

// junkUnder finds below dir (a COPY . destination) what a .dockerignore
// should exclude: .git, virtualenvs, caches, bytecode, secrets, tests.
func (f *Facts) junkUnder(dir string) []junk {
	root := f.fs.Lookup(dir)
	if root == nil || root.Kind != layer.KindDir {
		return nil
	}
	acc := map[string]*junk{}
	var order []string
	add := func(pattern string, n *fsview.Node) {
		j := acc[pattern]
		if j == nil {
			j = &junk{pattern: pattern}
			acc[pattern] = j
			order = append(order, pattern)
		}
		walkNode(n, func(x *fsview.Node) {
			if x.Kind == layer.KindFile {
				j.files++
				j.bytes += x.Size
			}
		})
	}
	var visit func(n *fsview.Node, rel string)
	visit = func(n *fsview.Node, rel string) {
		for _, c := range n.Children() {
			name := c.Name()
			r := strings.TrimPrefix(rel+"/"+name, "/")
			if c.Kind == layer.KindDir {
				switch {
				case name == ".git":
					add(".git", c)
				case name == "__pycache__":
					add("**/__pycache__", c)
				case name == ".pytest_cache" || name == ".mypy_cache" || name == ".ruff_cache" || name == ".tox" || name == "node_modules" || name == "htmlcov":
					add(r, c)
				case f.fs.Lookup(c.Path+"/pyvenv.cfg") != nil:
					add(r, c)
				case (name == "tests" || name == "test") && hasTestModules(c):
					add(r, c)
				default:
					visit(c, r)
				}
				continue
			}
			if c.Kind != layer.KindFile {
				continue
			}
			switch {
			case name == ".env" || strings.HasPrefix(name, ".env.") && !strings.HasSuffix(name, ".example") && !strings.HasSuffix(name, ".sample"):
				add(r, c)
			case strings.HasSuffix(name, ".pyc") || strings.HasSuffix(name, ".pyo"):
				add("**/*.py[co]", c)
			}
		}
	}
	visit(root, "")
	var out []junk
	for _, p := range order {
		out = append(out, *acc[p])
	}
	return out
}

func hasTestModules(n *fsview.Node) bool {
	found := false
	walkNode(n, func(x *fsview.Node) {
		b := x.Name()
		if x.Kind == layer.KindFile && (strings.HasPrefix(b, "test_") && strings.HasSuffix(b, ".py") || strings.HasSuffix(b, "_test.py") || b == "conftest.py") {
			found = true
		}
	})
	return found
}
