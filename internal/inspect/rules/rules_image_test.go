package rules_test

import (
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

const (
	testSite  = "usr/local/lib/python3.11/site-packages"
	testLib   = "usr/local/lib/python3.11"
	debian12  = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"
	debPkgIdx = "Package: dash\nVersion: 0.5.12-2+deb12u1\nArchitecture: amd64\nDescription: shell\n\n" +
		"Package: gcc-12\nVersion: 12.2.0-14\nArchitecture: amd64\n\n" +
		"Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\n\n" +
		"Package: libc6\nVersion: 2.36-9+deb12u9\nArchitecture: i386\n\n" +
		"Package: base-files\nVersion: 12.4+deb12u1~pre1\nArchitecture: amd64\n\n"
)

var (
	basePkgs = []dpkgPkg{
		{name: "base-files", version: "12.4", files: []string{"/etc/debian_version", "/usr/lib/os-release", "/usr/share/doc/base-files/copyright"}},
		{name: "dash", version: "0.5.12-2", depends: "libc6 (>= 2.34)", files: []string{"/usr/bin/dash", "/usr/share/man/man1/dash.1.gz"}},
		{name: "libc6", version: "2.36-9+deb12u4", files: []string{"/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/locale/de/LC_MESSAGES/libc.mo", "/usr/share/locale/locale.alias"}},
	}
	gccPkgs = []dpkgPkg{
		{name: "gcc-12", version: "12.2.0-14", depends: "cpp-12 (= 12.2.0-14), libgcc-12-dev, libisl23 (>= 0.15), libmpc3 (>= 1.1.0), libmpfr6 (>= 3.1.3), binutils", files: []string{"/usr/bin/x86_64-linux-gnu-gcc-12", "/usr/lib/gcc/x86_64-linux-gnu/12/collect2"}},
		{name: "cpp-12", version: "12.2.0-14", depends: "libisl23, libmpc3, libmpfr6", files: []string{"/usr/lib/gcc/x86_64-linux-gnu/12/cc1"}},
		{name: "libgcc-12-dev", version: "12.2.0-14", files: []string{"/usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a"}},
		{name: "binutils", version: "2.40-2", depends: "binutils-x86-64-linux-gnu", files: []string{"/usr/bin/x86_64-linux-gnu-ld.bfd"}},
		{name: "libisl23", version: "0.25-1.1", files: []string{"/usr/lib/x86_64-linux-gnu/libisl.so.23.2.0"}},
		{name: "libmpc3", version: "1.3.1-1", depends: "libmpfr6", files: []string{"/usr/lib/x86_64-linux-gnu/libmpc.so.3.3.1"}},
		{name: "libmpfr6", version: "4.2.0-1", files: []string{"/usr/lib/x86_64-linux-gnu/libmpfr.so.6.2.0"}},
		{name: "libc6-dev", version: "2.36-9+deb12u4", depends: "libc6", files: []string{"/usr/include/stdio.h", "/usr/lib/x86_64-linux-gnu/libc.a"}},
	}
)

// fullImage is a python:3.11-on-bookworm-like image with one instance of
// every problem the rules look for, each in its own layer where possible.
func fullImage() (v1.Config, time.Time, []ruleLayer) {
	base := ruleLayer{createdBy: "/bin/sh -c #(nop) ADD file:0123 in / ", entries: append([]tartest.Entry{
		sized("etc/debian_version", 5),
		tartest.Symlink("etc/os-release", "../usr/lib/os-release"),
		tartest.File("usr/lib/os-release", debian12),
		exe(sized("usr/bin/dash", 9000)),
		sized("usr/lib/x86_64-linux-gnu/libc.so.6", 20000),
		sized("usr/share/doc/base-files/copyright", 3000),
		sized("usr/share/man/man1/dash.1.gz", 4000),
		sized("usr/share/locale/de/LC_MESSAGES/libc.mo", 6000),
		sized("usr/share/locale/locale.alias", 2000),
	}, dpkgDB(basePkgs...)...)}

	all := append(append([]dpkgPkg{}, basePkgs...), gccPkgs...)
	gcc := ruleLayer{createdBy: "/bin/sh -c apt-get update && apt-get install -y gcc-12 libc6-dev", entries: concat([]tartest.Entry{
		tartest.File("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", lz4Bytes(nil, debPkgIdx)),
		tartest.File("var/lib/apt/lists/lock", ""),
		tartest.Dir("var/lib/apt/lists/partial"),
	}, gccFiles(), []tartest.Entry{
		tartest.Symlink("usr/bin/gcc-12", "x86_64-linux-gnu-gcc-12"),
		sized("usr/include/stdio.h", 900),
		sized("usr/lib/x86_64-linux-gnu/libc.a", 25000),
		sized("var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb", 14000),
		sized("var/cache/apt/pkgcache.bin", 1500),
	}, dpkgDB(all...))}

	python := ruleLayer{createdBy: "/bin/sh -c set -eux; ./configure; make install", entries: append([]tartest.Entry{
		exe(sized("usr/local/bin/python3.11", 16000)),
		sized(testLib+"/os.py", 3000),
		sized(testLib+"/encodings/__init__.py", 500),
		sized(testLib+"/__pycache__/os.cpython-311.pyc", 1500),
		sized(testLib+"/__pycache__/os.cpython-311.opt-1.pyc", 1400),
		sized(testLib+"/__pycache__/os.cpython-311.opt-2.pyc", 1300),
		sized(testLib+"/__pycache__/gone.cpython-311.pyc", 700),
		sized(testLib+"/old.py", 100),
		sized(testLib+"/__pycache__/old.cpython-39.pyc", 600),
		sized(testLib+"/sourceless.pyc", 650),
		sized(testLib+"/test/__init__.py", 10),
		sized(testLib+"/test/test_os.py", 5000),
		sized(testLib+"/test/__pycache__/test_os.cpython-311.pyc", 2500),
		sized(testLib+"/idlelib/idle_test/test_config.py", 1200),
		sized(testLib+"/unittest/__init__.py", 800),
		sized(testLib+"/unittest/case.py", 4000),
		sized(testLib+"/unittest/test/test_case.py", 2200),
		sized(testLib+"/config-3.11-x86_64-linux-gnu/libpython3.11.a", 45000),
		sized("usr/local/include/python3.11/Python.h", 1100),
		sized(testLib+"/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl", 2100),
		sized(testSite+"/pip/__init__.py", 300),
		sized(testSite+"/pip/_internal/main.py", 2700),
	}, distInfo(testSite, "pip", "23.2.1", "pip/__init__.py", "pip/_internal/main.py")...)}

	pipInstall := ruleLayer{createdBy: "/bin/sh -c pip install numpy django", entries: concat(
		[]tartest.Entry{
			sized(testSite+"/numpy/__init__.py", 4000),
			sized(testSite+"/numpy/testing/__init__.py", 600),
			sized(testSite+"/numpy/testing/_private/utils.py", 5000),
			sized(testSite+"/numpy/testing/tests/test_utils.py", 1900),
			sized(testSite+"/numpy/core/tests/test_multiarray.py", 12000),
			sized(testSite+"/numpy/core/tests/__pycache__/test_multiarray.cpython-311.pyc", 6000),
			sized(testSite+"/numpy/core/include/numpy/ndarrayobject.h", 1700),
		},
		distInfo(testSite, "numpy", "1.26.3", "numpy/__init__.py", "numpy/testing/__init__.py", "numpy/testing/_private/utils.py",
			"numpy/testing/tests/test_utils.py", "numpy/core/tests/test_multiarray.py", "numpy/core/include/numpy/ndarrayobject.h"),
		[]tartest.Entry{
			sized(testSite+"/django/test/__init__.py", 400),
			sized(testSite+"/django/test/client.py", 3300),
			sized(testSite+"/django/test/testcases.py", 6100),
			sized(testSite+"/_pytest/python.py", 2000),
			sized(testSite+"/pytest/__init__.py", 200),
		},
		distInfo(testSite, "Django", "5.0", "django/test/__init__.py", "django/test/client.py", "django/test/testcases.py"),
		[]tartest.Entry{
			sized("root/.cache/pip/http-v2/a/b/c/body", 8000),
			sized("root/.cache/pip/wheels/ab/numpy-1.26.3-cp311-cp311-linux_x86_64.whl", 9000),
			sized("tmp/numpy-1.26.3-cp311-cp311-linux_x86_64.whl", 7700),
			sized("tmp/mylib-1.0.tar.gz", 1234),
			sized("usr/share/misc/data-2.0.tar.gz", 999),
		},
	)}

	app := ruleLayer{createdBy: "COPY . /app # buildkit", entries: []tartest.Entry{
		sized("app/app.py", 2400),
		sized("app/tests/conftest.py", 300),
		sized("app/tests/test_app.py", 1600),
		tartest.File("app/.env", "SECRET=1\n"),
		tartest.File("app/.env.example", "SECRET=\n"),
		sized("app/deploy/id_rsa", 1700),
		sized("app/.git/config", 120),
		sized("app/.git/objects/pack/pack-1.pack", 9900),
		sameContent("app/static/logo.png", "LOGO", 5000),
		sameContent("app/assets/logo.png", "LOGO", 5000),
		sameContent("app/small/a.txt", "tiny", 100),
		sameContent("app/small/b.txt", "tiny", 100),
		sized("home/app/.cache/pip/selfcheck.json", 150),
	}}

	chown := ruleLayer{createdBy: "/bin/sh -c chown -R 1000 /app/app.py && rm -rf /var/cache/apt/archives/*.deb", entries: []tartest.Entry{
		{Name: "app/app.py", Type: sized("app/app.py", 2400).Type, Content: sized("app/app.py", 2400).Content, UID: 1000},
		tartest.Whiteout("var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb"),
	}}

	cfg := v1.Config{WorkingDir: "/app", Env: []string{"PATH=/usr/local/bin:/usr/bin"}, Cmd: []string{"python3", "app.py"}}
	created := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	return cfg, created, []ruleLayer{base, gcc, python, pipInstall, app, chown}
}

// gccFiles are the files of gccPkgs but libc6-dev's.
func gccFiles() []tartest.Entry {
	return []tartest.Entry{
		exe(sized("usr/bin/x86_64-linux-gnu-gcc-12", 30000)),
		exe(sized("usr/lib/gcc/x86_64-linux-gnu/12/collect2", 7000)),
		exe(sized("usr/lib/gcc/x86_64-linux-gnu/12/cc1", 50000)),
		sized("usr/lib/gcc/x86_64-linux-gnu/12/libgcc.a", 8000),
		exe(sized("usr/bin/x86_64-linux-gnu-ld.bfd", 11000)),
		sized("usr/lib/x86_64-linux-gnu/libisl.so.23.2.0", 12000),
		sized("usr/lib/x86_64-linux-gnu/libmpc.so.3.3.1", 3000),
		sized("usr/lib/x86_64-linux-gnu/libmpfr.so.6.2.0", 5000),
	}
}

func concat(parts ...[]tartest.Entry) []tartest.Entry {
	var out []tartest.Entry
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}
