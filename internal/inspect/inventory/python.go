package inventory

import (
	"encoding/csv"
	"io"
	"path"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// pythonExeName matches the versioned interpreter executables: python3.11,
// python3.12 (not python3.11-config, python3.11d).
var pythonExeName = regexp.MustCompile(`^python3\.[0-9]+$`)

// scanPython walks the merged tree once for the Python metadata
// directories and interpreter executables.
func (b *invBuilder) scanPython() {
	b.fs.Walk(func(n *fsview.Node) bool {
		name := n.Name()
		switch {
		case n.Kind == layer.KindDir && strings.HasSuffix(name, ".dist-info"):
			b.metaDirs = append(b.metaDirs, n)
			return false
		case strings.HasSuffix(name, ".egg-info") && (n.Kind == layer.KindDir || n.Kind == layer.KindFile):
			b.metaDirs = append(b.metaDirs, n)
			return false
		case (n.Kind == layer.KindFile || n.Kind == layer.KindSymlink) && pythonExeName.MatchString(name) &&
			path.Base(path.Dir(n.Path)) == "bin":
			b.exes = append(b.exes, n)
		}
		return true
	})
}

// vendoredLocation reports whether a metadata directory sits in a package's
// private vendor tree (setuptools/_vendor/packaging-24.0.dist-info): it is
// not an installed distribution, and its files belong to the vendoring one.
func vendoredLocation(loc string) bool {
	for _, part := range fsview.SplitPath(loc) {
		if part == "_vendor" {
			return true
		}
	}
	return false
}

// pythonDists lists the *.dist-info and *.egg-info distributions.
func (b *invBuilder) pythonDists() []PythonDist {
	// The distributions are independent (the merged tree and the OS
	// packages are only read): they are worked out on every core, each
	// worker with its own symlink resolver, and kept in metaDirs order.
	dists := make([]PythonDist, len(b.metaDirs))
	found := make([]bool, len(b.metaDirs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := min(runtime.GOMAXPROCS(0), len(b.metaDirs)); w > 0; w-- {
		wb := *b
		wb.r = newSymlinkResolver(b.fs)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(b.metaDirs) {
					return
				}
				m := b.metaDirs[i]
				loc := path.Dir(m.Path)
				if vendoredLocation(loc) {
					continue
				}
				dists[i], found[i] = wb.pythonDist(m, loc)
			}
		}()
	}
	wg.Wait()
	var out []PythonDist
	for i, d := range dists {
		if found[i] {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, c := out[i], out[j]
		if la, lc := strings.ToLower(a.Name), strings.ToLower(c.Name); la != lc {
			return la < lc
		}
		if a.Name != c.Name {
			return a.Name < c.Name
		}
		if a.Location != c.Location {
			return a.Location < c.Location
		}
		return a.Version < c.Version
	})
	return out
}

func (b *invBuilder) pythonDist(m *fsview.Node, loc string) (PythonDist, bool) {
	d := PythonDist{Location: loc, MetaDir: m.Path, Layer: m.Layer}
	var metaPath string // METADATA or PKG-INFO
	var listed []string // from RECORD or installed-files.txt; nil: unknown
	haveList := false
	switch {
	case strings.HasSuffix(m.Path, ".dist-info"):
		metaPath = m.Path + "/METADATA"
		if c, ok := b.fs.Content(m.Path + "/INSTALLER"); ok {
			d.Installer = strings.TrimSpace(string(c))
		}
		if c, ok := b.fs.Content(m.Path + "/RECORD"); ok {
			listed, haveList = recordPaths(string(c), loc), true
		}
	case m.Kind == layer.KindDir: // .egg-info directory
		metaPath = m.Path + "/PKG-INFO"
		if c, ok := b.fs.Content(m.Path + "/installed-files.txt"); ok {
			haveList = true
			for _, line := range strings.Split(string(c), "\n") {
				line = strings.TrimSpace(line)
				if line == "" {
					continue
				}
				listed = append(listed, path.Join(m.Path, line))
			}
		}
	default: // a single-file .egg-info is the PKG-INFO itself
		metaPath = m.Path
	}

	name, version := "", ""
	if c, ok := b.fs.Content(metaPath); ok {
		name, version = pkgInfoNameVersion(string(c))
	}
	if mn := b.fs.Lookup(metaPath); mn != nil {
		d.Layer = mn.Layer
	}
	if name == "" || version == "" {
		fn, fv := metaDirNameVersion(path.Base(m.Path))
		if name == "" {
			name = fn
		}
		if version == "" {
			version = fv
		}
	}
	if name == "" {
		return d, false
	}
	d.Name, d.Version = name, version

	owner, owned := b.owner[metaPath]
	if !owned {
		owner, owned = b.owner[m.Path]
	}
	if d.Installer == "" {
		switch {
		case fsview.UnderDir(loc, "/usr/lib/python3/dist-packages"):
			d.Installer = "debian"
		case owned:
			if b.os[owner].Manager == "dpkg" {
				d.Installer = "debian"
			} else {
				d.Installer = b.os[owner].Manager
			}
		}
	}

	switch {
	case haveList:
		d.Files, d.Bytes = b.visibleFiles(listed)
	case owned:
		// Debian strips RECORD and installed-files.txt; the package that
		// ships the metadata shipped the distribution's files next to it.
		var paths []string
		for _, f := range b.os[owner].Files {
			if fsview.UnderDir(f, loc) && f != loc {
				paths = append(paths, f)
			}
		}
		d.Files, d.Bytes = b.visibleFiles(paths)
	default:
		// Nothing says which files are the distribution's: at least its
		// metadata is.
		var paths []string
		if m.Kind == layer.KindFile {
			paths = append(paths, m.Path)
		} else {
			var walk func(n *fsview.Node)
			walk = func(n *fsview.Node) {
				for _, c := range n.Children() {
					if c.Kind == layer.KindDir {
						walk(c)
					} else {
						paths = append(paths, c.Path)
					}
				}
			}
			walk(m)
		}
		d.Files, d.Bytes = b.visibleFiles(paths)
	}
	return d, true
}

// recordPaths returns the absolute, clean paths of a RECORD: CSV rows whose
// first field is a path relative to the directory that holds the
// .dist-info (scripts appear as ../../../bin/NAME), or absolute.
func recordPaths(text, loc string) []string {
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	var out []string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		if len(rec) == 0 || rec[0] == "" {
			continue
		}
		p := rec[0]
		if strings.HasPrefix(p, "/") {
			out = append(out, path.Clean(p))
		} else {
			out = append(out, path.Join(loc, p))
		}
	}
	return out
}

// pkgInfoNameVersion reads Name and Version from the header of METADATA or
// PKG-INFO (an email-style header ending at the first blank line).
func pkgInfoNameVersion(text string) (name, version string) {
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			break
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		switch strings.ToLower(k) {
		case "name":
			if name == "" {
				name = strings.TrimSpace(v)
			}
		case "version":
			if version == "" {
				version = strings.TrimSpace(v)
			}
		}
	}
	return name, version
}

// metaDirNameVersion splits "name-1.2.dist-info" or "name-1.2-py3.11.egg-info".
func metaDirNameVersion(base string) (name, version string) {
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".dist-info"), ".egg-info")
	name, version, _ = strings.Cut(base, "-")
	if i := strings.Index(version, "-py"); i >= 0 {
		version = version[:i]
	}
	return name, version
}

// interpreters lists the Python installations: every PREFIX/bin/python3.N
// and the stdlib directories /usr/lib/python3.N and /usr/local/lib/python3.N
// that no such executable accounts for.
func (b *invBuilder) interpreters() []Interpreter {
	var out []Interpreter
	have := map[string]bool{} // prefix + version
	for _, n := range b.exes {
		minor := strings.TrimPrefix(n.Name(), "python")
		prefix := path.Dir(path.Dir(n.Path))
		it := Interpreter{Prefix: prefix, Path: n.Path, Layer: n.Layer}
		it.Kind, it.Version = b.interpreterKindVersion(prefix, minor, n.Path)
		have[prefix+"\x00"+minor] = true
		out = append(out, it)
	}
	for _, prefix := range []string{"/usr", "/usr/local"} {
		lib := b.fs.Lookup(prefix + "/lib")
		if lib == nil || lib.Kind != layer.KindDir {
			continue
		}
		for _, c := range lib.Children() {
			name := c.Name()
			if c.Kind != layer.KindDir || !pythonExeName.MatchString(name) {
				continue
			}
			minor := strings.TrimPrefix(name, "python")
			if have[prefix+"\x00"+minor] {
				continue
			}
			marker := StdlibMarker(c)
			if marker == nil {
				continue
			}
			it := Interpreter{Prefix: prefix, Layer: marker.Layer}
			it.Kind, it.Version = b.interpreterKindVersion(prefix, minor, "")
			have[prefix+"\x00"+minor] = true
			out = append(out, it)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Prefix != out[j].Prefix {
			return out[i].Prefix < out[j].Prefix
		}
		if out[i].Version != out[j].Version {
			return out[i].Version < out[j].Version
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// StdlibMarker returns a node that shows a python3.N directory holds a
// standard library (not only site-packages), or nil.
func StdlibMarker(dir *fsview.Node) *fsview.Node {
	for _, name := range []string{"os.py", "encodings", "lib-dynload", "__pycache__"} {
		if c := dir.Child(name); c != nil {
			return c
		}
	}
	return nil
}

var (
	fullPyVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+([a-z]+[0-9]+)?`)
	pyVersionDef  = regexp.MustCompile(`(?m)^#define\s+PY_VERSION\s+"([^"]+)"`)
)

// interpreterKindVersion classifies an installation and finds its full
// version where the image says it: pyvenv.cfg for a venv, else the OS
// package that ships the executable (or python3.N's package), else the
// installed headers' patchlevel.h. minor is "3.N".
func (b *invBuilder) interpreterKindVersion(prefix, minor, exe string) (kind, version string) {
	version = minor
	matches := func(v string) bool {
		return v == minor || strings.HasPrefix(v, minor+".")
	}
	if c, ok := b.fs.Content(prefix + "/pyvenv.cfg"); ok || b.fs.Lookup(prefix+"/pyvenv.cfg") != nil {
		kind = "venv"
		if v := pyvenvVersion(string(c)); v != "" && matches(v) {
			return kind, v
		}
		return kind, version
	}
	switch prefix {
	case "/usr":
		kind = "distro"
	case "/usr/local":
		kind = "local"
	default:
		kind = "other"
	}
	if v := b.osPackagePythonVersion(minor, exe); v != "" && matches(v) {
		return kind, v
	}
	if c, ok := b.fs.Content(prefix + "/include/python" + minor + "/patchlevel.h"); ok {
		if m := pyVersionDef.FindStringSubmatch(string(c)); m != nil {
			if v := fullPyVersion.FindString(m[1]); v != "" && matches(v) {
				return kind, v
			}
		}
	}
	return kind, version
}

// osPackagePythonVersion returns the upstream version of the OS package that
// ships exe or, for the distribution's interpreter, of a package named after
// python3.N; "" when none does.
func (b *invBuilder) osPackagePythonVersion(minor, exe string) string {
	var cands []int
	if exe != "" {
		if i, ok := b.owner[exe]; ok {
			cands = append(cands, i)
		}
	}
	if exe == "" || strings.HasPrefix(exe, "/usr/bin/") {
		names := map[string]bool{
			"python" + minor + "-minimal": true, "python" + minor: true,
			"libpython" + minor + "-minimal": true, "libpython" + minor + "-stdlib": true,
			"python3": true, // apk
		}
		for i, p := range b.os {
			if names[p.Name] && (p.Name != "python3" || p.Manager == "apk") {
				cands = append(cands, i)
			}
		}
	}
	for _, i := range cands {
		v := b.os[i].Version
		if _, rest, ok := strings.Cut(v, ":"); ok { // epoch
			v = rest
		}
		if full := fullPyVersion.FindString(v); full != "" && strings.HasPrefix(full, minor+".") {
			return full
		}
	}
	return ""
}

// pyvenvVersion reads "version = 3.11.4" (venv) or "version_info =
// 3.12.1.final.0" (virtualenv, uv) from a pyvenv.cfg.
func pyvenvVersion(text string) string {
	var version, info string
	for _, line := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		switch strings.TrimSpace(strings.ToLower(k)) {
		case "version":
			version = strings.TrimSpace(v)
		case "version_info":
			info = strings.TrimSpace(v)
		}
	}
	for _, v := range []string{version, info} {
		if full := fullPyVersion.FindString(v); full != "" {
			return full
		}
	}
	return ""
}
