package inventory

import (
	"path"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// Reads is what Build reads: the package databases, the
// os-release files, the Python distributions' metadata and what names an
// interpreter's version.
var Reads = []layer.Reads{
	{Patterns: []string{ // dpkg (Debian, Ubuntu; distroless's status.d)
		DpkgStatus, "/var/lib/dpkg/status.d/*", "/var/lib/dpkg/info/*.list",
	}},
	{Patterns: []string{"/lib/apk/db/installed", "/usr/lib/apk/db/installed"}},
	{Patterns: []string{"/etc/os-release", "/usr/lib/os-release"}},
	{Patterns: []string{
		"/**/*.dist-info/METADATA", "/**/*.dist-info/RECORD", "/**/*.dist-info/INSTALLER",
		"/**/*.egg-info/PKG-INFO", "/**/*.egg-info/installed-files.txt",
		"/**/*.egg-info", // a legacy single-file egg-info is itself the PKG-INFO
		"/**/pyvenv.cfg",
		// PREFIX/include/python3.N/patchlevel.h names the full version of
		// an interpreter built from source (/usr/local, conda).
		"/**/include/python*/**/patchlevel.h",
	}},
}

// Build reads the package databases of the merged file system.
// layers are the per-layer data in order (for "which layer installed it").
//
// It never fails: a database that is missing, truncated or malformed yields
// fewer packages, not an error, because an inventory is a best effort over
// whatever the image happens to carry.
func Build(fs *fsview.FileSystem, layers []*layer.Data) Inventory {
	if fs == nil || fs.Root() == nil {
		return Inventory{}
	}
	b := &invBuilder{fs: fs, layers: layers, r: newSymlinkResolver(fs), owner: map[string]int{}}
	inv := Inventory{OSRelease: b.osRelease()}
	inv.OS = append(inv.OS, b.dpkg()...)
	inv.OS = append(inv.OS, b.apk()...)
	sort.SliceStable(inv.OS, func(i, j int) bool {
		a, c := inv.OS[i], inv.OS[j]
		if a.Manager != c.Manager {
			return a.Manager < c.Manager
		}
		if a.Name != c.Name {
			return a.Name < c.Name
		}
		if a.Arch != c.Arch {
			return a.Arch < c.Arch
		}
		return a.Version < c.Version
	})
	for i, p := range inv.OS {
		for _, f := range p.Files {
			if _, taken := b.owner[f]; !taken {
				b.owner[f] = i
			}
		}
	}
	b.os = inv.OS
	b.scanPython()
	inv.Python = b.pythonDists()
	inv.Interpreters = b.interpreters()
	return inv
}

// invBuilder carries what the parts of the inventory share.
type invBuilder struct {
	fs     *fsview.FileSystem
	layers []*layer.Data
	r      *symlinkResolver
	os     []OSPackage
	// owner maps a visible path (file or symlink) to the index in os of the
	// first OS package that lists it.
	owner map[string]int

	// found by scanPython's walk
	metaDirs []*fsview.Node // *.dist-info directories, *.egg-info directories and files
	exes     []*fsview.Node // */bin/python3.N
}

// content returns the captured bytes of the file a path names, following
// symlinks (/etc/os-release is usually one), and the real path.
func (b *invBuilder) content(p string) ([]byte, string, bool) {
	real, n := b.r.stat(p)
	if n == nil || n.Kind != layer.KindFile {
		return nil, "", false
	}
	c, ok := b.fs.Content(real)
	return c, real, ok
}

// osRelease parses /etc/os-release, or /usr/lib/os-release when the former
// is missing.
func (b *invBuilder) osRelease() map[string]string {
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if c, _, ok := b.content(p); ok {
			return ParseOSRelease(string(c))
		}
	}
	return nil
}

// byteCounter sums visible regular-file bytes, each stored content (inode)
// once, so hardlinks of one file count once.
type inodeByteCounter struct {
	seen  map[inodeRef]bool
	total int64
}

type inodeRef struct {
	layer int
	path  string
}

func (c *inodeByteCounter) add(n *fsview.Node) {
	if n == nil || n.Kind != layer.KindFile {
		return
	}
	l, p := n.InodeKey()
	id := inodeRef{l, p}
	if l < 0 {
		id = inodeRef{-1, n.Path}
	}
	if c.seen == nil {
		c.seen = map[inodeRef]bool{}
	}
	if c.seen[id] {
		return
	}
	c.seen[id] = true
	c.total += n.Size
}

// visibleFiles resolves listed paths to the visible paths they name (parent
// directory symlinks followed, so /bin/ls is found at /usr/bin/ls when /bin
// links to usr/bin) and keeps those that exist and are not directories, each
// once. bytes is the regular-file bytes among them, inode once.
func (b *invBuilder) visibleFiles(paths []string) (files []string, bytes int64) {
	seen := make(map[*fsview.Node]bool, len(paths))
	// A listed path that other listed paths sit under is a directory to
	// the package, even where the image has a symlink there (/bin under
	// usr-merge); a symlink with nothing listed below it is a file. (Built
	// at the first symlink: most packages list none.)
	var parents map[string]bool
	var bc inodeByteCounter
	for _, p := range paths {
		p = absClean(p)
		real, n := b.r.lstat(p)
		if n == nil || n.Kind == layer.KindDir || seen[n] {
			continue
		}
		if n.Kind == layer.KindSymlink {
			if parents == nil {
				parents = map[string]bool{}
				for _, q := range paths {
					parents[path.Dir(absClean(q))] = true
				}
			}
			if parents[p] {
				continue
			}
		}
		seen[n] = true
		files = append(files, real)
		if n.Kind == layer.KindFile && n.Links() == 1 {
			// No other visible path reaches this content, and this
			// path is counted once: no need to remember it.
			bc.total += n.Size
		} else {
			bc.add(n)
		}
	}
	return files, bc.total
}

// absClean is path.Clean("/"+p), without building "/"+p when p is
// absolute already (RECORD and dpkg lists are; Clean does not allocate for
// a path that is clean).
func absClean(p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Clean("/" + p)
}

// symlinkResolver resolves paths in the merged file system the way the kernel
// would inside the container: symlinks are followed relative to the
// directory that holds them, absolute targets from the image root.
type symlinkResolver struct {
	fs   *fsview.FileSystem
	dirs map[string]*fsview.Node // directory path as asked → real directory node (nil: none)
}

func newSymlinkResolver(fs *fsview.FileSystem) *symlinkResolver {
	return &symlinkResolver{fs: fs, dirs: map[string]*fsview.Node{}}
}

// maxSymlinkHops bounds the symlinks one resolution follows (Linux uses 40).
const maxSymlinkHops = 40

// dir returns the real directory node that the path d names, or nil.
func (r *symlinkResolver) dir(d string) *fsview.Node {
	if n, ok := r.dirs[d]; ok {
		return n
	}
	_, n := r.walk(d, true)
	if n != nil && n.Kind != layer.KindDir {
		n = nil
	}
	r.dirs[d] = n
	return n
}

// lstat returns the node p names with the symlinks of its parent
// directories followed but not a symlink in its last component, and that
// node's real path; nil when there is none.
func (r *symlinkResolver) lstat(p string) (string, *fsview.Node) {
	p = absClean(p)
	if p == "/" {
		return "/", r.fs.Root()
	}
	d, base := path.Split(p)
	dn := r.dir(path.Clean(d))
	if dn == nil {
		return "", nil
	}
	c := dn.Child(base)
	if c == nil {
		return "", nil
	}
	return c.Path, c
}

// stat follows symlinks in every component of p, the last one included.
func (r *symlinkResolver) stat(p string) (string, *fsview.Node) { return r.walk(p, true) }

func (r *symlinkResolver) walk(p string, followLast bool) (string, *fsview.Node) {
	parts := fsview.SplitPath(p)
	n := r.fs.Root()
	hops := 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if p := n.Parent(); p != nil {
				n = p
			}
			continue
		}
		if n.Kind != layer.KindDir {
			return "", nil
		}
		c := n.Child(part)
		if c == nil {
			return "", nil
		}
		if c.Kind == layer.KindSymlink && (len(parts) > 0 || followLast) {
			hops++
			if hops > maxSymlinkHops {
				return "", nil
			}
			if strings.HasPrefix(c.Link, "/") {
				n = r.fs.Root()
			}
			parts = append(fsview.SplitPath(c.Link), parts...)
			continue
		}
		n = c
	}
	return n.Path, n
}

// dbHistory follows a package database through the layers and returns, for
// each package key it ever lists, the first layer of the unbroken run of
// layers whose database lists it up to the top: the layer that installed
// the version the image has. A database is one or more files (isDB picks
// them by path); only layers that carry one of them (or delete one) change
// what the database says. keys parses one database file's content.
func dbHistory(layers []*layer.Data, isDB func(p string) bool, keys func(p string, content []byte) []string) map[string]int {
	state := map[string][]string{} // db file → keys it lists
	start := map[string]int{}
	for i, ld := range layers {
		if ld == nil {
			continue
		}
		changed := false
		for _, w := range ld.Whiteouts {
			for p := range state {
				if fsview.UnderDir(p, w) {
					delete(state, p)
					changed = true
				}
			}
		}
		for _, d := range ld.Opaques {
			for p := range state {
				if p != d && fsview.UnderDir(p, d) {
					delete(state, p)
					changed = true
				}
			}
		}
		for p, c := range ld.Contents {
			if isDB(p) {
				state[p] = keys(p, c)
				changed = true
			}
		}
		if !changed {
			continue
		}
		now := map[string]bool{}
		for _, ks := range state {
			for _, k := range ks {
				now[k] = true
			}
		}
		for k := range start {
			if !now[k] {
				delete(start, k)
			}
		}
		for k := range now {
			if _, ok := start[k]; !ok {
				start[k] = i
			}
		}
	}
	return start
}

// pkgKey identifies one package version in a database.
func pkgKey(name, arch, version string) string {
	return name + "\x00" + arch + "\x00" + version
}

// IsPackageDB matches the package databases whose history the inventories
// follow through the layers (generously: any file named status or
// installed, wherever a symlink put it).
func IsPackageDB(p string) bool {
	dir, base := layer.SplitAbs(p)
	return base == "status" || base == "installed" || dir == dpkgStatusD || p == DpkgStatus ||
		p == apkDBPaths[0] || p == apkDBPaths[1]
}
