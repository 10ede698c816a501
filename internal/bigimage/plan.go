package bigimage

import (
	"archive/tar"
	"fmt"
	"math"
	"math/rand"
	"path"
	"sort"
	"strings"
)

// entry is one tar entry of a generated layer. Regular files take their
// bytes from data when set, else from a pool window.
type entry struct {
	name     string // relative: "usr/lib/x"
	typ      byte
	size     int64
	pool     uint8
	off      int64
	data     []byte
	link     string
	mode     int64
	uid, gid int
}

type layerPlan struct {
	createdBy string
	entries   []entry
}

// planner builds the layers of the image in order, remembering what each
// step installed so that later steps can overwrite, chown or delete it.
type planner struct {
	rng    *rand.Rand
	v      *vocab
	scale  float64
	layers []layerPlan
	cur    *layerPlan
	dirs   map[string]bool // directories written in the current layer

	debs     []debPkg
	pyPkgs   []pyPkg
	licenses [][]byte
}

type debPkg struct {
	name, version string
	files         []string
	bytes         int64
}

type pyPkg struct {
	name, version string
	root          string   // site-packages/NAME/
	distInfo      string   // site-packages/NAME-VER.dist-info/
	files         []entry  // every regular file, for chown copies
	pycDirs       []string // __pycache__ directories
}

func (p *planner) n(base int) int {
	v := int(math.Round(float64(base) * p.scale))
	if v < 1 {
		v = 1
	}
	return v
}

func (p *planner) begin(createdBy string) {
	p.layers = append(p.layers, layerPlan{createdBy: createdBy})
	p.cur = &p.layers[len(p.layers)-1]
	p.dirs = map[string]bool{}
}

// mkdirs writes the parent directories of name that this layer has not
// written yet, as docker build does for every changed path.
func (p *planner) mkdirs(name string) {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			d := name[:i]
			if !p.dirs[d] {
				p.dirs[d] = true
				p.cur.entries = append(p.cur.entries, entry{name: d + "/", typ: tar.TypeDir, mode: 0o755})
			}
		}
	}
}

func (p *planner) file(name string, pool uint8, size int64) entry {
	p.mkdirs(name)
	e := entry{name: name, typ: tar.TypeReg, size: size, pool: pool, off: p.rng.Int63n(poolSize), mode: 0o644}
	p.cur.entries = append(p.cur.entries, e)
	return e
}

func (p *planner) literal(name string, data []byte) entry {
	p.mkdirs(name)
	e := entry{name: name, typ: tar.TypeReg, size: int64(len(data)), data: data, mode: 0o644}
	p.cur.entries = append(p.cur.entries, e)
	return e
}

func (p *planner) again(e entry) {
	p.mkdirs(e.name)
	p.cur.entries = append(p.cur.entries, e)
}

func (p *planner) symlink(name, target string) {
	p.mkdirs(name)
	p.cur.entries = append(p.cur.entries, entry{name: name, typ: tar.TypeSymlink, link: target, mode: 0o777})
}

func (p *planner) hardlink(name, target string) {
	p.mkdirs(name)
	p.cur.entries = append(p.cur.entries, entry{name: name, typ: tar.TypeLink, link: target, mode: 0o755})
}

// whiteout deletes name of a lower layer: an empty file of mode 0, as
// the engine exports one.
func (p *planner) whiteout(name string) {
	i := strings.LastIndexByte(name, '/')
	p.literal(name[:i+1]+".wh."+name[i+1:], nil)
	p.cur.entries[len(p.cur.entries)-1].mode = 0
}

// removeFiles deletes files of the lower layers as `docker build` records
// the deletion: a directory the deletion leaves empty goes too (dpkg
// removes a package's directories nothing else uses), and a removed
// directory is one whiteout, its contents not listed — overlayfs keeps
// a whiteout only for the topmost deleted path.
func (p *planner) removeFiles(files []string) {
	tree := lowerTree(p.layers[:len(p.layers)-1])
	gone := map[string]bool{}
	for _, f := range files {
		gone[f] = true
		for dir, base := splitPath(f); dir != ""; dir, base = splitPath(dir) {
			kids := tree[dir]
			delete(kids, base)
			if len(kids) > 0 {
				break
			}
			gone[dir] = true
		}
	}
	var top []string
	for f := range gone {
		if dir, _ := splitPath(f); !gone[dir] {
			top = append(top, f)
		}
	}
	sort.Strings(top)
	for _, f := range top {
		p.whiteout(f)
	}
}

// splitPath splits "a/b/c" into "a/b" and "c", "a" into "" and "a".
func splitPath(name string) (dir, base string) {
	i := strings.LastIndexByte(name, '/')
	return name[:max(i, 0)], name[i+1:]
}

// lowerTree is the file system the layers leave: each directory's
// children by name ("" is the root).
func lowerTree(layers []layerPlan) map[string]map[string]bool {
	tree := map[string]map[string]bool{}
	var drop func(dir string)
	drop = func(dir string) {
		for kid := range tree[dir] {
			drop(dir + "/" + kid)
		}
		delete(tree, dir)
	}
	for _, l := range layers {
		for _, e := range l.entries {
			dir, base := splitPath(strings.TrimSuffix(e.name, "/"))
			switch {
			case base == ".wh..wh..opq":
				for kid := range tree[dir] {
					drop(path.Join(dir, kid))
				}
				tree[dir] = map[string]bool{}
			case strings.HasPrefix(base, ".wh."):
				base = strings.TrimPrefix(base, ".wh.")
				delete(tree[dir], base)
				drop(path.Join(dir, base))
			default:
				for {
					if tree[dir] == nil {
						tree[dir] = map[string]bool{}
					}
					tree[dir][base] = true
					if dir == "" {
						break
					}
					dir, base = splitPath(dir)
				}
			}
		}
	}
	return tree
}

// logSize draws a log-normal size around median, capped.
func (p *planner) logSize(median float64, sigma float64, max int64) int64 {
	s := int64(median * math.Exp(sigma*p.rng.NormFloat64()))
	if s < 1 {
		s = 1
	}
	if s > max {
		s = max
	}
	return s
}

func (p *planner) ident() string {
	for {
		w := p.v.word()
		if !strings.ContainsAny(w, " ") {
			return w
		}
	}
}

// debPackage installs a Debian-like package: a library, a binary, docs
// (copyright texts are shared between packages: real duplicates), data.
func (p *planner) debPackage(name string, files int, binMedian float64) debPkg {
	d := debPkg{name: name, version: fmt.Sprintf("%d.%d.%d-%d", 1+p.rng.Intn(9), p.rng.Intn(20), p.rng.Intn(10), 1+p.rng.Intn(3))}
	add := func(e entry) {
		d.files = append(d.files, "/"+e.name)
		d.bytes += e.size
	}
	lib := fmt.Sprintf("usr/lib/x86_64-linux-gnu/lib%s.so.%d.0.0", name, 1+p.rng.Intn(5))
	add(p.file(lib, poolBin, p.logSize(binMedian, 1.0, 64<<20)))
	p.symlink(strings.TrimSuffix(lib, ".0.0"), lib[strings.LastIndexByte(lib, '/')+1:])
	d.files = append(d.files, "/"+strings.TrimSuffix(lib, ".0.0"))
	add(p.file("usr/bin/"+name, poolBin, p.logSize(binMedian/2, 1.0, 32<<20)))
	add(p.literal("usr/share/doc/"+name+"/copyright", p.licenses[p.rng.Intn(len(p.licenses))]))
	add(p.file("usr/share/doc/"+name+"/changelog.Debian.gz", poolBin, p.logSize(6<<10, 0.8, 256<<10)))
	add(p.file("usr/share/man/man1/"+name+".1.gz", poolBin, p.logSize(3<<10, 0.6, 64<<10)))
	for i := 5; i < files; i++ {
		var e entry
		switch i % 4 {
		case 0:
			e = p.file(fmt.Sprintf("usr/share/locale/%s/LC_MESSAGES/%s-%d.mo", locales[(i/4)%len(locales)], name, i/40), poolBin, p.logSize(8<<10, 1, 1<<20))
		case 1:
			e = p.file(fmt.Sprintf("usr/include/%s/%s_%d.h", name, p.ident(), i), poolText, p.logSize(3<<10, 1, 256<<10))
		default:
			e = p.file(fmt.Sprintf("usr/share/%s/%s_%d.dat", name, p.ident(), i), poolText, p.logSize(3<<10, 1.2, 1<<20))
		}
		add(e)
	}
	p.literal("var/lib/dpkg/info/"+name+".list", []byte(strings.Join(d.files, "\n")+"\n"))
	p.debs = append(p.debs, d)
	return d
}

var locales = []string{"de", "fr", "es", "it", "ja", "pt_BR", "ru", "zh_CN", "pl", "nl"}

func (p *planner) dpkgStatus() []byte {
	var b strings.Builder
	debs := append([]debPkg(nil), p.debs...)
	sort.Slice(debs, func(i, j int) bool { return debs[i].name < debs[j].name })
	for _, d := range debs {
		fmt.Fprintf(&b, "Package: %s\nStatus: install ok installed\nPriority: optional\nSection: libs\n"+
			"Installed-Size: %d\nMaintainer: Debian Maintainers <debian-devel@lists.debian.org>\n"+
			"Architecture: amd64\nVersion: %s\nDescription: %s %s\n\n", d.name, (d.bytes+1023)/1024, d.version, p.ident(), p.ident())
	}
	return []byte(b.String())
}

// pythonTree writes a Python package tree: modules, their byte code in
// __pycache__, a tests/ directory and extension modules.
func (p *planner) pythonTree(root string, modules, sos int, soMedian float64, pyc bool) (files []entry, pycDirs []string) {
	seen := map[string]bool{}
	// Sub-packages of ~20-40 modules each, some nested one level.
	sub := modules/30 + 1
	subdirs := make([]string, sub)
	for k := 1; k < sub; k++ {
		subdirs[k] = fmt.Sprintf("%s_%d/", p.ident(), k)
		if k > 3 && p.rng.Intn(3) == 0 {
			subdirs[k] = subdirs[1+p.rng.Intn(3)] + subdirs[k]
		}
	}
	for i := 0; i < modules; i++ {
		d := root + subdirs[i%sub]
		if i%7 == 3 {
			d += "tests/"
		}
		mod := fmt.Sprintf("%s_%d", p.ident(), i)
		e := p.file(d+mod+".py", poolText, p.logSize(1500, 1.1, 400<<10))
		files = append(files, e)
		if pyc {
			c := p.file(d+"__pycache__/"+mod+".cpython-311.pyc", poolPyc, e.size*3/4+200)
			files = append(files, c)
			if !seen[d] {
				seen[d] = true
				pycDirs = append(pycDirs, d+"__pycache__")
			}
		}
	}
	for i := 0; i < sos; i++ {
		files = append(files, p.file(fmt.Sprintf("%s_%s_%d.cpython-311-x86_64-linux-gnu.so", root, p.ident(), i), poolBin, p.logSize(soMedian, 1.0, 256<<20)))
	}
	return files, pycDirs
}

func (p *planner) pipPackage(site, name string, modules, sos int, soMedian float64) pyPkg {
	pk := pyPkg{name: name, version: fmt.Sprintf("%d.%d.%d", p.rng.Intn(3), p.rng.Intn(30), p.rng.Intn(10))}
	pk.root = site + name + "/"
	pk.distInfo = fmt.Sprintf("%s%s-%s.dist-info/", site, name, pk.version)
	pk.files, pk.pycDirs = p.pythonTree(pk.root, modules, sos, soMedian, true)
	var record strings.Builder
	for _, f := range pk.files {
		fmt.Fprintf(&record, "%s,sha256=%016x,%d\n", strings.TrimPrefix(f.name, site), p.rng.Uint64(), f.size)
	}
	di := []entry{
		p.literal(pk.distInfo+"METADATA", []byte(fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: %s %s\n", name, pk.version, p.ident(), p.ident()))),
		p.literal(pk.distInfo+"INSTALLER", []byte("pip\n")),
		p.literal(pk.distInfo+"WHEEL", []byte("Wheel-Version: 1.0\nGenerator: bdist_wheel (0.41.2)\nRoot-Is-Purelib: false\nTag: cp311-cp311-linux_x86_64\n")),
		p.literal(pk.distInfo+"LICENSE", p.licenses[p.rng.Intn(len(p.licenses))]),
		p.literal(pk.distInfo+"top_level.txt", []byte(name+"\n")),
	}
	for _, e := range di {
		fmt.Fprintf(&record, "%s,sha256=%016x,%d\n", strings.TrimPrefix(e.name, site), p.rng.Uint64(), e.size)
	}
	fmt.Fprintf(&record, "%s,,\n", strings.TrimPrefix(pk.distInfo+"RECORD", site))
	p.literal(pk.distInfo+"RECORD", []byte(record.String()))
	pk.files = append(pk.files, di...)
	p.pyPkgs = append(p.pyPkgs, pk)
	return pk
}

const site = "usr/local/lib/python3.11/site-packages/"

// plan lays out the image: a Debian base, a toolchain and Python, a pip
// install with its cache, the application, and the usual waste: a chown -R
// layer, rm -rf of caches, __pycache__ deletions, an upgrade that replaces
// a package, a purge of the toolchain.
func plan(o Options) []layerPlan {
	p := &planner{rng: rand.New(rand.NewSource(o.Seed)), scale: o.Scale}
	p.v = newVocab(rand.New(rand.NewSource(o.Seed + 1)))
	for i := 0; i < 4; i++ {
		p.licenses = append(p.licenses, p.v.pythonText(p.rng, 2000+p.rng.Intn(20000)))
	}

	// 0: the base system.
	p.begin("/bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007327828f7530cc3455c43bbcdcaf449a75a9 in / ")
	p.literal("etc/os-release", []byte("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"))
	p.literal("etc/debian_version", []byte("12.8\n"))
	for _, d := range []string{"bin", "lib", "sbin"} {
		p.symlink(d, "usr/"+d)
	}
	for i := 0; i < p.n(90); i++ {
		p.debPackage(fmt.Sprintf("base%d-%s", i, p.ident()), 60+p.rng.Intn(60), 60<<10)
	}
	// coreutils-like hardlinks
	for i := 0; i < 20 && i < len(p.debs); i++ {
		p.hardlink(fmt.Sprintf("usr/bin/link%d", i), "usr/bin/"+p.debs[i].name)
	}
	p.literal("var/lib/dpkg/status", p.dpkgStatus())
	baseDebs := len(p.debs)

	// 1: the toolchain, Python and the apt lists.
	p.begin("/bin/sh -c apt-get update && apt-get install -y python3 python3-dev build-essential")
	var aptLists []string
	for i := 0; i < 8; i++ {
		aptLists = append(aptLists, p.file(fmt.Sprintf("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_%s_binary-amd64_Packages.lz4", aptComponents[i%len(aptComponents)]+fmt.Sprint(i)), poolBin, 3<<20+p.rng.Int63n(1<<20)).name)
	}
	for i := 0; i < p.n(110); i++ {
		p.debPackage(fmt.Sprintf("dev%d-%s", i, p.ident()), 80+p.rng.Intn(100), 120<<10)
	}
	stdFiles, _ := p.pythonTree("usr/lib/python3.11/", p.n(8000), p.n(60), 200<<10, true)
	_ = stdFiles
	p.literal("usr/lib/python3.11/os.py", []byte("import abc\nimport sys\n"))
	p.literal("usr/include/python3.11/patchlevel.h", []byte("#define PY_VERSION \"3.11.2\"\n"))
	p.literal("var/lib/dpkg/status", p.dpkgStatus())
	toolchain := p.debs[baseDebs:]

	// 2: the Python dependencies, and pip's cache left behind.
	p.begin("/bin/sh -c pip install -r requirements.txt")
	for i := 0; i < 40; i++ {
		mods := p.n(250 + p.rng.Intn(1900))
		if i < 4 {
			mods = p.n(4000 + p.rng.Intn(2000))
		}
		p.pipPackage(site, fmt.Sprintf("%s%d", p.ident(), i), mods, p.rng.Intn(6), 400<<10)
	}
	for i := 0; i < p.n(500); i++ {
		p.file(fmt.Sprintf("root/.cache/pip/http-v2/%x/%x/%x/%016x", i%16, (i/16)%16, i%7, p.rng.Uint64()), poolBin, p.logSize(30<<10, 1.5, 16<<20))
	}

	// 3: the application.
	p.begin("/bin/sh -c #(nop) COPY dir:3f2a0c5b8e1d4f6a7b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a in /app ")
	appFiles, appPyc := p.pythonTree("app/", p.n(7500), 0, 0, true)
	for i := 0; i < p.n(400); i++ {
		appFiles = append(appFiles, p.file(fmt.Sprintf("app/static/%s_%d.js", p.ident(), i), poolText, p.logSize(20<<10, 1.2, 2<<20)))
	}

	// 4: chown -R: the application and one large package stored again,
	// same bytes, new owner — their directories too.
	p.begin("/bin/sh -c chown -R 1000:1000 /app " + "/" + p.pyPkgs[0].root)
	for _, set := range [][]entry{appFiles, p.pyPkgs[0].files} {
		for _, e := range set {
			e.uid, e.gid = 1000, 1000
			p.again(e)
		}
	}
	for i, e := range p.cur.entries {
		if e.typ == tar.TypeDir && (strings.HasPrefix(e.name, "app/") || strings.HasPrefix(e.name, p.pyPkgs[0].root)) {
			p.cur.entries[i].uid, p.cur.entries[i].gid = 1000, 1000
		}
	}

	// 5: caches removed one layer too late.
	p.begin("/bin/sh -c rm -rf /root/.cache /var/lib/apt/lists/*")
	p.whiteout("root/.cache")
	for _, f := range aptLists {
		p.whiteout(f)
	}

	// 6: byte code of the application deleted, directory by directory.
	p.begin("/bin/sh -c find /app -name __pycache__ -prune -exec rm -rf {} +")
	for _, d := range appPyc {
		p.whiteout(d)
	}

	// 7: an upgrade replaces a package: an opaque directory with the new
	// version, the old dist-info deleted.
	old := p.pyPkgs[5]
	p.begin("/bin/sh -c pip install --upgrade " + old.name)
	p.mkdirs(old.root)
	p.literal(old.root+".wh..wh..opq", nil)
	p.whiteout(strings.TrimSuffix(old.distInfo, "/"))
	p.pyPkgs = append(p.pyPkgs[:5:5], p.pyPkgs[6:]...)
	p.pipPackage(site, old.name, p.n(1500), 2, 600<<10)

	// 8: the toolchain purged: its files deleted one by one, the
	// directories they leave empty with them.
	p.begin("/bin/sh -c apt-get purge -y --auto-remove build-essential")
	purged := toolchain[:len(toolchain)/2]
	var removed []string
	for _, d := range purged {
		for _, f := range d.files {
			removed = append(removed, strings.TrimPrefix(f, "/"))
		}
		removed = append(removed, "var/lib/dpkg/info/"+d.name+".list")
	}
	p.removeFiles(removed)
	p.debs = append(p.debs[:baseDebs:baseDebs], toolchain[len(purged):]...)
	p.literal("var/lib/dpkg/status", p.dpkgStatus())

	// 9: configuration.
	p.begin("/bin/sh -c #(nop) COPY dir:9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b in /etc/app ")
	for i := 0; i < 50; i++ {
		p.file(fmt.Sprintf("etc/app/%s_%d.yaml", p.ident(), i), poolText, p.logSize(2<<10, 0.8, 64<<10))
	}
	p.file("etc/app/settings.yaml", poolText, 4100)

	// 10: a user.
	p.begin("/bin/sh -c useradd -u 1000 app")
	p.literal("etc/passwd", []byte("root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n"))
	p.literal("etc/group", []byte("root:x:0:\napp:x:1000:\n"))
	p.mkdirs("home/app/x")

	// Beyond 0.8 GB the image grows the way ML images do: a few wheels of
	// large native libraries.
	for li, share := range []float64{0.6, 0.4} {
		extra := int64(float64(o.ExtraBytes) * share)
		if extra <= 0 {
			continue
		}
		name := []string{"torch", "nvidia_cudnn"}[li]
		p.begin("/bin/sh -c pip install " + name)
		pk := p.pipPackage(site, name, 3000, 0, 0)
		_ = pk
		for i := 0; extra > 0; i++ {
			sz := p.logSize(120<<20, 0.8, 600<<20)
			if sz > extra {
				sz = extra
			}
			p.file(fmt.Sprintf("%s%s/lib/lib%s_%d.so", site, name, p.ident(), i), poolBin, sz)
			extra -= sz
		}
	}
	for _, l := range p.layers {
		sortAsDockerExports(l.entries)
	}
	return p.layers
}

// sortAsDockerExports puts a layer's entries in the order the engine's
// export of a built layer has them (moby's ExportChanges): by path, byte
// for byte, a directory without its trailing slash and a whiteout at the
// path it deletes — so a directory comes before what it holds. A
// hardlink's target always comes first: it is stored under the name that
// sorts first.
func sortAsDockerExports(entries []entry) {
	keyed := make([]struct {
		key string
		e   entry
	}, len(entries))
	for i, e := range entries {
		dir, base := splitPath(strings.TrimSuffix(e.name, "/"))
		if base != ".wh..wh..opq" {
			base = strings.TrimPrefix(base, ".wh.")
		}
		keyed[i].key, keyed[i].e = path.Join(dir, base), e
	}
	sort.SliceStable(keyed, func(i, j int) bool { return keyed[i].key < keyed[j].key })
	for i := range keyed {
		entries[i] = keyed[i].e
	}
}

var aptComponents = []string{"main", "contrib", "updates_main", "security_main"}
