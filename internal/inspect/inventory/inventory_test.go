package inventory

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// invEntry is one tar entry of a test layer.
type invEntry struct {
	typ  byte
	path string
	body []byte
	link string
}

func invDir(p string) invEntry            { return invEntry{typ: tar.TypeDir, path: p} }
func invFile(p string, b []byte) invEntry { return invEntry{typ: tar.TypeReg, path: p, body: b} }
func invSize(p string, n int) invEntry {
	return invFile(p, bytes.Repeat([]byte{byte(len(p))}, n))
}
func invSym(p, target string) invEntry { return invEntry{typ: tar.TypeSymlink, path: p, link: target} }
func invHard(p, target string) invEntry {
	return invEntry{typ: tar.TypeLink, path: p, link: strings.TrimPrefix(target, "/")}
}

// invWhiteout deletes p from the layers below.
func invWhiteout(p string) invEntry {
	d, base := filepath.Split(p)
	return invFile(d+".wh."+base, nil)
}

// invLayer writes the entries as a real tar stream, the way image builders
// do (relative names, directories with a trailing slash), and runs it
// through the layer walker.
func invLayer(t *testing.T, entries ...invEntry) *layer.Data {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		name := strings.TrimPrefix(e.path, "/")
		h := &tar.Header{Typeflag: e.typ, Name: name, Mode: 0o644, Linkname: e.link, Format: tar.FormatPAX}
		switch e.typ {
		case tar.TypeDir:
			h.Name += "/"
			h.Mode = 0o755
		case tar.TypeReg:
			h.Size = int64(len(e.body))
		case tar.TypeSymlink:
			h.Mode = 0o777
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.typ == tar.TypeReg {
			if _, err := tw.Write(e.body); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ld, err := walkLayer(bytes.NewReader(buf.Bytes()), "")
	if err != nil {
		t.Fatal(err)
	}
	return ld
}

// captures is what the walker keeps for Build: its own declarations.
var captures = layer.Compile(Reads)

// walkLayer walks a test layer as Analyze does, keeping what Reads names.
func walkLayer(r io.Reader, wantDiffID string) (*layer.Data, error) {
	return layer.Walk(context.Background(), r, wantDiffID, captures, new(layer.ImageBudget).Layer())
}

func invBuild(t *testing.T, layers ...*layer.Data) Inventory {
	t.Helper()
	fs, _, err := fsview.Merge(layers)
	if err != nil {
		t.Fatal(err)
	}
	return Build(fs, layers)
}

func invData(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "inventory", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func invOS(t *testing.T, inv Inventory, manager, name string) OSPackage {
	t.Helper()
	for _, p := range inv.OS {
		if p.Manager == manager && p.Name == name {
			return p
		}
	}
	t.Fatalf("no %s package %q in %v", manager, name, invOSNames(inv))
	return OSPackage{}
}

func invOSNames(inv Inventory) []string {
	var out []string
	for _, p := range inv.OS {
		out = append(out, p.Manager+":"+p.Name+"="+p.Version)
	}
	return out
}

func invPy(t *testing.T, inv Inventory, name, location string) PythonDist {
	t.Helper()
	for _, d := range inv.Python {
		if d.Name == name && d.Location == location {
			return d
		}
	}
	t.Fatalf("no python dist %s in %s; have %+v", name, location, inv.Python)
	return PythonDist{}
}

func invSameSet(t *testing.T, what string, got, want []string) {
	t.Helper()
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %q\n want %q", what, g, w)
	}
}

// dropStanzas removes the named packages' paragraphs from a status text:
// the database as it was before those packages were installed.
func dropStanzas(status string, names ...string) string {
	var keep []string
	for _, para := range strings.Split(strings.TrimSpace(status), "\n\n") {
		drop := false
		for _, n := range names {
			if strings.HasPrefix(para, "Package: "+n+"\n") {
				drop = true
			}
		}
		if !drop {
			keep = append(keep, para)
		}
	}
	return strings.Join(keep, "\n\n") + "\n"
}

const (
	zlibOld = "Version: 1:1.2.13.dfsg-1\n"
	zlibNew = "Version: 1:1.2.13.dfsg-1+deb12u1\n"
)

// debianLayers builds a bookworm-like image: a usr-merged base whose dpkg
// lists pre-merge paths, a layer that installs python3.11-minimal and
// python3-six, and a layer that upgrades zlib1g.
func debianLayers(t *testing.T) []*layer.Data {
	status := string(invData(t, "dpkg/status"))
	osRelease := invData(t, "os-release")
	list := func(name string) []byte { return invData(t, "dpkg/info/"+name) }

	base := invLayer(t,
		invDir("/usr"), invDir("/usr/bin"), invDir("/usr/sbin"), invDir("/usr/lib"),
		invDir("/usr/lib/x86_64-linux-gnu"),
		invSym("/bin", "usr/bin"), invSym("/sbin", "usr/sbin"), invSym("/lib", "usr/lib"),
		invSym("/lib64", "usr/lib64"), invDir("/usr/lib64"),
		invDir("/etc"),
		invFile("/usr/lib/os-release", osRelease),
		invSym("/etc/os-release", "../usr/lib/os-release"),
		invFile("/etc/debian_version", []byte("12.11\n")),
		invSize("/usr/bin/hostname", 22680),
		invSym("/usr/bin/dnsdomainname", "hostname"),
		invSym("/usr/bin/domainname", "hostname"),
		invSym("/usr/bin/nisdomainname", "hostname"),
		invSym("/usr/bin/ypdomainname", "hostname"),
		invSize("/usr/bin/ls", 151344),
		invSize("/usr/bin/cat", 44016),
		invSize("/usr/bin/perl", 3804432),
		invHard("/usr/bin/perl5.36.0", "/usr/bin/perl"),
		invSize("/usr/share/doc/perl-base/copyright", 1000),
		invSize("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", 121280),
		invSym("/usr/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13"),
		invDir("/var/lib/dpkg/info"),
		invFile("/var/lib/dpkg/status", []byte(dropStanzas(status, "python3.11-minimal", "python3-six"))),
		invFile("/var/lib/dpkg/info/base-files.list", list("base-files.list")),
		invFile("/var/lib/dpkg/info/hostname.list", list("hostname.list")),
		invFile("/var/lib/dpkg/info/coreutils.list", list("coreutils.list")),
		invFile("/var/lib/dpkg/info/perl-base.list", list("perl-base.list")),
		invFile("/var/lib/dpkg/info/zlib1g:amd64.list", list("zlib1g_amd64.list")),
	)
	six := "/usr/lib/python3/dist-packages/six-1.16.0.egg-info"
	pyInstall := invLayer(t,
		invFile("/var/lib/dpkg/status", []byte(status)),
		invFile("/var/lib/dpkg/info/python3.11-minimal.list", list("python3.11-minimal.list")),
		invFile("/var/lib/dpkg/info/python3-six.list", list("python3-six.list")),
		invSize("/usr/bin/python3.11", 6831704),
		invSize("/usr/lib/python3.11/os.py", 39504),
		invSize("/usr/lib/python3/dist-packages/six.py", 34549),
		invFile(six+"/PKG-INFO", invData(t, "debpy/six-PKG-INFO")),
		invFile(six+"/dependency_links.txt", []byte("\n")),
		invFile(six+"/top_level.txt", []byte("six\n")),
		invSize("/usr/share/doc/python3-six/copyright", 1200),
	)
	upgrade := invLayer(t,
		invFile("/var/lib/dpkg/status", []byte(strings.Replace(status, zlibOld, zlibNew, 1))),
		invFile("/var/lib/dpkg/info/zlib1g:amd64.list", list("zlib1g_amd64.list")),
		invSize("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", 121288),
	)
	return []*layer.Data{base, pyInstall, upgrade}
}

func TestInventoryDpkg(t *testing.T) {
	inv := invBuild(t, debianLayers(t)...)

	if got := inv.OSRelease["PRETTY_NAME"]; got != "Debian GNU/Linux 12 (bookworm)" {
		t.Errorf("PRETTY_NAME through the /etc/os-release symlink = %q", got)
	}
	if got := inv.OSRelease["VERSION_CODENAME"]; got != "bookworm" {
		t.Errorf("VERSION_CODENAME = %q", got)
	}

	var names []string
	for _, p := range inv.OS {
		names = append(names, p.Name)
	}
	want := []string{"base-files", "coreutils", "hostname", "perl-base", "python3-six", "python3.11-minimal", "zlib1g"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("packages (sorted, without the deinstalled at-spi2-core) = %q, want %q", names, want)
	}

	host := invOS(t, inv, "dpkg", "hostname")
	if host.Version != "3.23+nmu1" || host.Arch != "amd64" || host.Source != "" || host.InstalledSize != 46*1024 || host.Layer != 0 {
		t.Errorf("hostname = %+v", host)
	}
	// /bin/hostname and its /bin/*domainname links are visible under /usr/bin.
	invSameSet(t, "hostname files", host.Files, []string{
		"/usr/bin/hostname", "/usr/bin/dnsdomainname", "/usr/bin/domainname",
		"/usr/bin/nisdomainname", "/usr/bin/ypdomainname",
	})
	if host.Bytes != 22680 {
		t.Errorf("hostname bytes = %d, want 22680 (symlinks count nothing)", host.Bytes)
	}

	core := invOS(t, inv, "dpkg", "coreutils")
	invSameSet(t, "coreutils files", core.Files, []string{"/usr/bin/cat", "/usr/bin/ls"})
	if core.Bytes != 151344+44016 {
		t.Errorf("coreutils bytes = %d", core.Bytes)
	}

	perl := invOS(t, inv, "dpkg", "perl-base")
	if perl.Source != "perl" {
		t.Errorf("perl-base source = %q", perl.Source)
	}
	invSameSet(t, "perl-base files", perl.Files, []string{"/usr/bin/perl", "/usr/bin/perl5.36.0", "/usr/share/doc/perl-base/copyright"})
	if perl.Bytes != 3804432+1000 {
		t.Errorf("perl-base bytes = %d: the hardlinked perl5.36.0 must count once", perl.Bytes)
	}

	bf := invOS(t, inv, "dpkg", "base-files")
	invSameSet(t, "base-files files", bf.Files, []string{"/etc/debian_version", "/usr/lib/os-release", "/etc/os-release"})

	py := invOS(t, inv, "dpkg", "python3.11-minimal")
	if py.Layer != 1 || py.Source != "python3.11" || py.Version != "3.11.2-6+deb12u6" || py.InstalledSize != 6762*1024 {
		t.Errorf("python3.11-minimal = %+v, want layer 1", py)
	}
	if six := invOS(t, inv, "dpkg", "python3-six"); six.Layer != 1 || six.Arch != "all" {
		t.Errorf("python3-six = %+v, want layer 1", six)
	}

	z := invOS(t, inv, "dpkg", "zlib1g")
	if z.Version != "1:1.2.13.dfsg-1+deb12u1" || z.Layer != 2 {
		t.Errorf("upgraded zlib1g = %s in layer %d, want the new version from layer 2", z.Version, z.Layer)
	}
	invSameSet(t, "zlib1g files (from zlib1g:amd64.list, /lib resolved)", z.Files, []string{
		"/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "/usr/lib/x86_64-linux-gnu/libz.so.1",
	})
	if z.Bytes != 121288 {
		t.Errorf("zlib1g bytes = %d, want the upgraded library's", z.Bytes)
	}

	// python3-six's egg-info has no file list: dpkg's list says what it is.
	d := invPy(t, inv, "six", "/usr/lib/python3/dist-packages")
	if d.Version != "1.16.0" || d.Installer != "debian" || d.Layer != 1 || d.MetaDir != "/usr/lib/python3/dist-packages/six-1.16.0.egg-info" {
		t.Errorf("six = %+v", d)
	}
	invSameSet(t, "six files", d.Files, []string{
		"/usr/lib/python3/dist-packages/six.py",
		"/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
		"/usr/lib/python3/dist-packages/six-1.16.0.egg-info/dependency_links.txt",
		"/usr/lib/python3/dist-packages/six-1.16.0.egg-info/top_level.txt",
	})
	if want := int64(34549 + len(invData(t, "debpy/six-PKG-INFO")) + 1 + 4); d.Bytes != want {
		t.Errorf("six bytes = %d, want %d", d.Bytes, want)
	}

	wantInterp := []Interpreter{{Version: "3.11.2", Prefix: "/usr", Kind: "distro", Path: "/usr/bin/python3.11", Layer: 1}}
	if !reflect.DeepEqual(inv.Interpreters, wantInterp) {
		t.Errorf("interpreters = %+v, want %+v", inv.Interpreters, wantInterp)
	}
}

// A package removed in one layer and installed again later belongs to the
// later layer: the earlier install is not what the image has.
func TestInventoryDpkgReinstalledLayer(t *testing.T) {
	layers := debianLayers(t)
	status := string(invData(t, "dpkg/status"))
	remove := invLayer(t, invFile("/var/lib/dpkg/status", []byte(dropStanzas(status, "hostname"))))
	again := invLayer(t, invFile("/var/lib/dpkg/status", []byte(status)))
	inv := invBuild(t, layers[0], layers[1], remove, again)
	if h := invOS(t, inv, "dpkg", "hostname"); h.Layer != 3 {
		t.Errorf("reinstalled hostname layer = %d, want 3", h.Layer)
	}
	if c := invOS(t, inv, "dpkg", "coreutils"); c.Layer != 0 {
		t.Errorf("coreutils layer = %d, want 0", c.Layer)
	}
}

func TestInventoryDpkgDistroless(t *testing.T) {
	sd := "/var/lib/dpkg/status.d/"
	base := invLayer(t,
		invDir("/etc"), invDir("/usr/lib"),
		invFile("/usr/lib/os-release", invData(t, "os-release")),
		invSym("/etc/os-release", "../usr/lib/os-release"),
		invSize("/usr/share/base-files/dot.bashrc", 3526),
		invSize("/usr/share/base-files/dot.profile", 161),
		invFile(sd+"base-files", invData(t, "distroless/base-files")),
		invFile(sd+"base-files.md5sums", invData(t, "distroless/base-files.md5sums")),
	)
	libs := invLayer(t,
		invSize("/lib/x86_64-linux-gnu/libz.so.1.2.13", 121280),
		invSym("/lib/x86_64-linux-gnu/libz.so.1", "libz.so.1.2.13"),
		invSize("/usr/share/doc/zlib1g/copyright", 1409),
		invFile(sd+"zlib1g", invData(t, "distroless/zlib1g")),
		invFile(sd+"zlib1g.md5sums", invData(t, "distroless/zlib1g.md5sums")),
	)
	inv := invBuild(t, base, libs)
	if len(inv.OS) != 2 {
		t.Fatalf("packages = %v", invOSNames(inv))
	}
	bf := invOS(t, inv, "dpkg", "base-files")
	if bf.Version != "12.4+deb12u11" || bf.Layer != 0 {
		t.Errorf("base-files = %+v", bf)
	}
	invSameSet(t, "base-files files (from md5sums)", bf.Files, []string{
		"/usr/lib/os-release", "/usr/share/base-files/dot.bashrc", "/usr/share/base-files/dot.profile",
	})
	z := invOS(t, inv, "dpkg", "zlib1g")
	if z.Layer != 1 || z.Source != "zlib" || z.Bytes != 121280+1409 {
		t.Errorf("zlib1g = %+v, want layer 1 and the library plus copyright", z)
	}
	if inv.OSRelease["ID"] != "debian" {
		t.Errorf("os-release = %v", inv.OSRelease)
	}
}

func TestInventoryApk(t *testing.T) {
	db := "/lib/apk/db/installed"
	base := invLayer(t,
		invFile("/etc/os-release", []byte("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n")),
		invSize("/lib/ld-musl-x86_64.so.1", 654616),
		invSym("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1"),
		invSize("/bin/busybox", 935440),
		invSym("/bin/sh", "/bin/busybox"),
		invSize("/etc/securetty", 61),
		invSize("/usr/share/udhcpc/default.script", 3593),
		invFile(db, invData(t, "apk/installed-base")),
	)
	addPython := invLayer(t,
		invSize("/bin/busybox", 935448),
		invSize("/usr/bin/python3.11", 14248),
		invSym("/usr/bin/python3", "python3.11"),
		invSize("/usr/lib/python3.11/os.py", 39504),
		invFile(db, invData(t, "apk/installed-python")),
	)
	inv := invBuild(t, base, addPython)
	if got := invOSNames(inv); !reflect.DeepEqual(got, []string{"apk:busybox=1.36.1-r16", "apk:musl=1.2.4_git20230717-r4", "apk:python3=3.11.8-r0"}) {
		t.Fatalf("packages = %q", got)
	}
	musl := invOS(t, inv, "apk", "musl")
	if musl.Layer != 0 || musl.Arch != "x86_64" || musl.InstalledSize != 663552 || musl.Bytes != 654616 {
		t.Errorf("musl = %+v", musl)
	}
	invSameSet(t, "musl files", musl.Files, []string{"/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"})
	bb := invOS(t, inv, "apk", "busybox")
	if bb.Layer != 1 || bb.Bytes != 935448+61+3593 {
		t.Errorf("upgraded busybox = %+v, want layer 1", bb)
	}
	py := invOS(t, inv, "apk", "python3")
	if py.Layer != 1 || py.Source != "" || py.Bytes != 14248+39504 {
		t.Errorf("python3 = %+v", py)
	}
	invSameSet(t, "python3 files", py.Files, []string{"/usr/bin/python3", "/usr/bin/python3.11", "/usr/lib/python3.11/os.py"})
	wantInterp := []Interpreter{{Version: "3.11.8", Prefix: "/usr", Kind: "distro", Path: "/usr/bin/python3.11", Layer: 1}}
	if !reflect.DeepEqual(inv.Interpreters, wantInterp) {
		t.Errorf("interpreters = %+v, want %+v", inv.Interpreters, wantInterp)
	}
	if inv.OSRelease["PRETTY_NAME"] != "Alpine Linux v3.19" || inv.OSRelease["VERSION_ID"] != "3.19.1" {
		t.Errorf("os-release = %v", inv.OSRelease)
	}
}

// pythonLayers: a source-built CPython in /usr/local with a pip-installed
// dist-info and a legacy egg-info, then a venv in /opt/venv with the same
// dist-info, then a pip uninstall of the /usr/local copy.
func pythonLayers(t *testing.T) []*layer.Data {
	sp := "/usr/local/lib/python3.11/site-packages"
	jp := "pip/jsonpointer-3.1.1.dist-info/"
	egg := "egg/tinyegg-0.1.0-py3.11.egg-info/"
	distInfo := func(site, bin string) []invEntry {
		di := site + "/jsonpointer-3.1.1.dist-info/"
		return []invEntry{
			invFile(di+"METADATA", invData(t, jp+"METADATA")),
			invFile(di+"INSTALLER", invData(t, jp+"INSTALLER")),
			invFile(di+"RECORD", invData(t, jp+"RECORD")),
			invSize(di+"WHEEL", 91),
			invSize(di+"top_level.txt", 12),
			invSize(di+"licenses/AUTHORS", 113),
			invSize(di+"licenses/LICENSE.txt", 1413),
			invSize(site+"/jsonpointer.py", 10551),
			invSize(bin+"/jsonpointer", 1782),
		}
	}
	local := []invEntry{
		invSize("/usr/local/bin/python3.11", 16048),
		invSym("/usr/local/bin/python3", "python3.11"),
		invSize("/usr/local/lib/python3.11/os.py", 39504),
		invFile("/usr/local/include/python3.11/patchlevel.h", invData(t, "local/patchlevel.h")),
		invFile(sp+"/tinyegg-0.1.0-py3.11.egg-info/PKG-INFO", invData(t, egg+"PKG-INFO")),
		invFile(sp+"/tinyegg-0.1.0-py3.11.egg-info/installed-files.txt", invData(t, egg+"installed-files.txt")),
		invFile(sp+"/tinyegg-0.1.0-py3.11.egg-info/SOURCES.txt", []byte("setup.py\ntinyegg/__init__.py\n")),
		invFile(sp+"/tinyegg-0.1.0-py3.11.egg-info/top_level.txt", []byte("tinyegg\n")),
		invFile(sp+"/tinyegg/__init__.py", []byte("VALUE = 1\n")),
		// A vendored copy inside another distribution is not installed.
		invFile(sp+"/setuptools/_vendor/packaging-24.0.dist-info/METADATA", []byte("Metadata-Version: 2.1\nName: packaging\nVersion: 24.0\n")),
	}
	local = append(local, distInfo(sp, "/usr/local/bin")...)
	venv := []invEntry{
		invFile("/opt/venv/pyvenv.cfg", invData(t, "venv/pyvenv.cfg")),
		invSym("/opt/venv/bin/python", "/usr/local/bin/python3.11"),
		invSym("/opt/venv/bin/python3", "python"),
		invSym("/opt/venv/bin/python3.11", "python"),
		invSym("/opt/venv/lib64", "lib"),
	}
	venv = append(venv, distInfo("/opt/venv/lib/python3.11/site-packages", "/opt/venv/bin")...)
	uninstall := []invEntry{
		invWhiteout(sp + "/jsonpointer-3.1.1.dist-info"),
		invWhiteout(sp + "/jsonpointer.py"),
		invWhiteout("/usr/local/bin/jsonpointer"),
	}
	return []*layer.Data{invLayer(t, local...), invLayer(t, venv...), invLayer(t, uninstall...)}
}

func TestInventoryPython(t *testing.T) {
	inv := invBuild(t, pythonLayers(t)...)
	if len(inv.OS) != 0 {
		t.Errorf("OS packages in an image without databases: %v", invOSNames(inv))
	}

	var got []string
	for _, d := range inv.Python {
		got = append(got, d.Name+" "+d.Location)
	}
	want := []string{
		"jsonpointer /opt/venv/lib/python3.11/site-packages",
		"tinyegg /usr/local/lib/python3.11/site-packages",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("dists = %q, want %q (the uninstalled copy and the vendored one left out)", got, want)
	}

	sp := "/opt/venv/lib/python3.11/site-packages"
	jp := invPy(t, inv, "jsonpointer", sp)
	if jp.Version != "3.1.1" || jp.Installer != "pip" || jp.Layer != 1 || jp.MetaDir != sp+"/jsonpointer-3.1.1.dist-info" {
		t.Errorf("jsonpointer = %+v", jp)
	}
	di := sp + "/jsonpointer-3.1.1.dist-info/"
	invSameSet(t, "jsonpointer files", jp.Files, []string{
		"/opt/venv/bin/jsonpointer", // ../../../bin/jsonpointer
		di + "INSTALLER", di + "METADATA", di + "RECORD", di + "WHEEL",
		di + "licenses/AUTHORS", di + "licenses/LICENSE.txt", di + "top_level.txt",
		sp + "/jsonpointer.py",
		// __pycache__/jsonpointer.cpython-311.pyc is in RECORD but not in the image
	})
	var wantBytes int64 = 1782 + 91 + 113 + 1413 + 12 + 10551
	for _, f := range []string{"METADATA", "INSTALLER", "RECORD"} {
		wantBytes += int64(len(invData(t, "pip/jsonpointer-3.1.1.dist-info/"+f)))
	}
	if jp.Bytes != wantBytes {
		t.Errorf("jsonpointer bytes = %d, want %d", jp.Bytes, wantBytes)
	}

	lsp := "/usr/local/lib/python3.11/site-packages"
	egg := invPy(t, inv, "tinyegg", lsp)
	if egg.Version != "0.1.0" || egg.Installer != "" || egg.Layer != 0 {
		t.Errorf("tinyegg = %+v", egg)
	}
	ed := lsp + "/tinyegg-0.1.0-py3.11.egg-info/"
	invSameSet(t, "tinyegg files", egg.Files, []string{
		lsp + "/tinyegg/__init__.py", ed + "PKG-INFO", ed + "SOURCES.txt", ed + "top_level.txt",
	})

	wantInterp := []Interpreter{
		{Version: "3.11.7", Prefix: "/opt/venv", Kind: "venv", Path: "/opt/venv/bin/python3.11", Layer: 1},
		{Version: "3.11.7", Prefix: "/usr/local", Kind: "local", Path: "/usr/local/bin/python3.11", Layer: 0},
	}
	if !reflect.DeepEqual(inv.Interpreters, wantInterp) {
		t.Errorf("interpreters =\n %+v\nwant\n %+v", inv.Interpreters, wantInterp)
	}
}

// Hardlinked files of one distribution count once, and a stdlib directory
// without an executable is still an installation.
func TestInventoryPythonHardlinksAndStdlibOnly(t *testing.T) {
	sp := "/usr/lib/python3/dist-packages"
	di := sp + "/jsonpointer-3.1.1.dist-info/"
	record := "jsonpointer.py,,\njsonpointer_copy.py,,\njsonpointer-3.1.1.dist-info/METADATA,,\njsonpointer-3.1.1.dist-info/RECORD,,\n"
	meta := invData(t, "pip/jsonpointer-3.1.1.dist-info/METADATA")
	l := invLayer(t,
		invFile(di+"METADATA", meta),
		invFile(di+"RECORD", []byte(record)),
		invSize(sp+"/jsonpointer.py", 10551),
		invHard(sp+"/jsonpointer_copy.py", sp+"/jsonpointer.py"),
		invSize("/usr/lib/python3.12/encodings/__init__.py", 5620),
	)
	inv := invBuild(t, l)
	d := invPy(t, inv, "jsonpointer", sp)
	if want := int64(10551 + len(meta) + len(record)); d.Bytes != want {
		t.Errorf("bytes = %d, want %d (hardlink once)", d.Bytes, want)
	}
	if len(d.Files) != 4 || d.Installer != "debian" {
		t.Errorf("dist = %+v", d)
	}
	want := []Interpreter{{Version: "3.12", Prefix: "/usr", Kind: "distro", Layer: 0}}
	if !reflect.DeepEqual(inv.Interpreters, want) {
		t.Errorf("interpreters = %+v, want %+v", inv.Interpreters, want)
	}
}

func TestInventoryResolver(t *testing.T) {
	l := invLayer(t,
		invDir("/usr/bin"), invDir("/usr/lib/x86_64-linux-gnu"),
		invSym("/bin", "usr/bin"), invSym("/lib", "/usr/lib"),
		invSym("/usr/lib64", "lib"),
		invSym("/usr/lib/x86_64-linux-gnu/back", "../.."),
		invSym("/loop1", "loop2"), invSym("/loop2", "loop1/x"),
		invSize("/usr/bin/ls", 10),
		invSym("/usr/bin/dir", "ls"),
	)
	fs, _, err := fsview.Merge([]*layer.Data{l})
	if err != nil {
		t.Fatal(err)
	}
	r := newSymlinkResolver(fs)
	for _, c := range []struct{ in, lstat, stat string }{
		{"/bin/ls", "/usr/bin/ls", "/usr/bin/ls"},
		{"/bin/dir", "/usr/bin/dir", "/usr/bin/ls"},
		{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"},
		{"/usr/lib64/x86_64-linux-gnu/back/bin/ls", "/usr/bin/ls", "/usr/bin/ls"},
		{"/lib/../bin/ls", "/usr/bin/ls", "/usr/bin/ls"}, // .. after a symlink is the target's parent
		{"/loop1/x", "", ""},
		{"/bin/missing", "", ""},
		{"/usr/bin/ls/x", "", ""},
	} {
		got, _ := r.lstat(c.in)
		if got != c.lstat {
			t.Errorf("lstat(%s) = %q, want %q", c.in, got, c.lstat)
		}
		got, _ = r.stat(c.in)
		if got != c.stat {
			t.Errorf("stat(%s) = %q, want %q", c.in, got, c.stat)
		}
	}
}

func TestInventoryParsers(t *testing.T) {
	osr := ParseOSRelease("# comment\nNAME=\"Debian \\\"GNU\\\"/Linux\"\nID=debian\nVERSION_ID='12'\n\nBAD LINE\n")
	if osr["NAME"] != `Debian "GNU"/Linux` || osr["ID"] != "debian" || osr["VERSION_ID"] != "12" || len(osr) != 3 {
		t.Errorf("os-release = %q", osr)
	}
	recs := dpkgRecords("Package: a\nStatus: install ok not-installed\nVersion: 1\n\nPackage: b\nStatus: hold ok installed\nSource: bsrc (0.9)\nVersion: 1\nInstalled-Size: 2\n\nPackage: c\nStatus: install ok half-installed\n")
	if len(recs) != 1 || recs[0].name != "b" || recs[0].source != "bsrc" || recs[0].size != 2048 {
		t.Errorf("dpkg records = %+v", recs)
	}
	if n, v := metaDirNameVersion("tinyegg-0.1.0-py3.11.egg-info"); n != "tinyegg" || v != "0.1.0" {
		t.Errorf("egg-info name = %q %q", n, v)
	}
	if v := pyvenvVersion("home = /usr/bin\nversion_info = 3.12.1.final.0\n"); v != "3.12.1" {
		t.Errorf("version_info = %q", v)
	}
	paths := recordPaths("\"odd,name.py\",sha256=x,1\n../../../bin/tool,,\n/abs/file,,\n", "/opt/v/lib/python3.11/site-packages")
	if !reflect.DeepEqual(paths, []string{"/opt/v/lib/python3.11/site-packages/odd,name.py", "/opt/v/bin/tool", "/abs/file"}) {
		t.Errorf("record paths = %q", paths)
	}
}
