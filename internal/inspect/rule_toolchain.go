package inspect

import (
	"regexp"
	"sort"
	"strings"
)

// toolchainPackage matches the OS packages of compilers and build tools, by
// name, for dpkg and apk. gcc-N-base, libgcc-s1, libstdc++6, libgfortran5
// and the like are runtime libraries: not matched.
var toolchainPackage = regexp.MustCompile(`^(` + strings.Join([]string{
	`(gcc|g\+\+|cpp|gfortran|gccgo|gdc|gobjc|gobjc\+\+)(-[0-9]+)?(-[a-z0-9_]+-linux-[a-z0-9]+)?`, // gcc, gcc-12, cpp-14-x86-64-linux-gnu
	`lib(gcc|stdc\+\+|gfortran|objc|go|phobos)-[0-9]+-dev(-[a-z0-9]+-cross)?`,
	`binutils(-.+)?`, `libbinutils`, `libctf0`, `libctf-nobfd0`, `libgprofng0`, `libsframe[0-9]+`,
	`build-essential`, `build-base`, `dpkg-dev`, `libdpkg-perl`,
	`make`, `make-guile`, `cmake`, `cmake-data`, `ninja-build`, `samurai`, `meson`, `autoconf`, `automake`, `libtool`, `libtool-bin`,
	`pkg-config`, `pkgconf`, `pkgconf-bin`, `libpkgconf[0-9]+`,
	`clang(-[0-9]+)?`, `clang\+\+(-[0-9]+)?`, `libclang-common-[0-9]+-dev`, `libclang-cpp[0-9.]+`, `libclang1-[0-9]+`,
	`llvm(-[0-9]+)?(-dev|-runtime|-linker-tools|-tools)?`, `libllvm[0-9]+`, `lld(-[0-9]+)?`,
	`rustc`, `cargo`, `libstd-rust-[0-9.]+`, `libstd-rust-dev`, `rust`, `rust-stdlib`,
	`golang(-[0-9.]+)?(-go|-src|-doc)?`, `go`,
	`gfortran`,
}, "|") + `)$`)

// toolchainPrivateLib matches the libraries compilers bring along that
// hardly anything else uses. They count only when every installed package
// that depends on them is part of the toolchain (dpkg; see privateLibs).
var toolchainPrivateLib = regexp.MustCompile(`^(libisl[0-9]+|libmpc[0-9]+|libmpfr[0-9]+|isl[0-9]*|mpc1|mpfr[0-9]+|libcc1-0|libasan[0-9]+|libubsan[0-9]+|liblsan[0-9]+|libtsan[0-9]+|libhwasan[0-9]+|libitm[0-9]+|libquadmath[0-9]+|libgomp[0-9]+|libatomic[0-9]+|libgprofng[0-9]+|libjansson[0-9]+|patch|m4|libfile-fcntllock-perl|libalgorithm-.*-perl|perl|perl-modules-[0-9.]+|libperl[0-9.]+|libgdbm[0-9]+|libgdbm-compat[0-9]+|libz3-[0-9]+|libedit2|libxml2)$`)

// toolchainPackages returns the OS packages SP201 counts: the toolchain by
// name, then the private libraries whose dependents are all in the set
// (grown to a fixed point: libmpfr6 is needed by libmpc3 and cpp-12 only).
// A library something outside the toolchain depends on stays (gawk needs
// libmpfr6; python3-numpy needs libgomp1 through OpenBLAS). apk databases
// carry no reverse dependencies here: there the private libraries count
// when a compiler is installed.
func (p *Pass) toolchainPackages() []int {
	set := map[string]bool{}
	var out []int
	for i, pkg := range p.Inventory.OS {
		if toolchainPackage.MatchString(pkg.Name) {
			set[pkg.Name] = true
			out = append(out, i)
		}
	}
	if len(out) == 0 {
		return nil
	}
	rdeps := p.dpkgReverseDeps()
	for changed := true; changed; {
		changed = false
		for i, pkg := range p.Inventory.OS {
			if set[pkg.Name] || !toolchainPrivateLib.MatchString(pkg.Name) {
				continue
			}
			deps := rdeps[pkg.Name]
			if pkg.Manager == "dpkg" && len(deps) == 0 {
				continue // nothing installed needs it: not brought by the toolchain
			}
			all := true
			for _, d := range deps {
				if !set[d] {
					all = false
					break
				}
			}
			if pkg.Manager == "apk" && !strings.HasPrefix(pkg.Name, "isl") && pkg.Name != "mpc1" && !strings.HasPrefix(pkg.Name, "mpfr") {
				all = false
			}
			if all {
				set[pkg.Name] = true
				out = append(out, i)
				changed = true
			}
		}
	}
	sort.Ints(out)
	return out
}

var buildToolchainRule = &Rule{
	ID:       "SP201",
	Name:     "build-toolchain",
	Category: "compilers",
	Severity: SeverityMedium,
	Doc:      "compilers and build tools installed as OS packages (gcc, g++, cpp, binutils, make, cmake, pkg-config, clang, rustc/cargo, golang, gfortran, build-essential) with the libraries only they use (libisl, libmpc, libmpfr...)",
	Fix:      "build in a separate stage and COPY only the results (wheels, a venv) into a runtime stage without compilers; or apt-get purge --auto-remove them in the RUN that used them",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, i := range p.toolchainPackages() {
			pkg := p.Inventory.OS[i]
			for _, f := range pkg.Files {
				c.addFileAt(p.FS.Lookup(f), "", pkg.Layer)
			}
			c.acc(pkg.Layer).addPkg(FindingPackage{Name: pkg.Name, Version: pkg.Version, Manager: pkg.Manager, Bytes: pkg.Bytes})
		}
		return c.findings(func(a *acc) string {
			return "build toolchain: " + packageList(a.pkgs, 5)
		})
	},
}

// compilerExe matches the executables of compilers and build tools.
var compilerExe = regexp.MustCompile(`^((x86_64|aarch64|arm|i686|powerpc64le|s390x|riscv64)[a-z0-9_-]*-)?(gcc|g\+\+|cc|c\+\+|cpp|clang|clang\+\+|gfortran|rustc|cargo|rustup|go|gofmt|make|cmake|ninja|ld|ld\.bfd|ld\.gold|as|tcc|zig)(-[0-9.]+)?$`)

// toolchainDirs are install trees of toolchains that come without a
// package manager (rustup, the Go tarball, a GCC built from source).
var toolchainDirs = []string{
	"/usr/local/go", "/usr/local/cargo", "/usr/local/rustup", "/usr/local/libexec/gcc", "/usr/local/lib/gcc",
	"/root/.cargo", "/root/.rustup", "/opt/rust", "/opt/go",
}

var unpackagedToolchainRule = &Rule{
	ID:       "SP202",
	Name:     "unpackaged-toolchain",
	Category: "compilers",
	Severity: SeverityMedium,
	Doc:      "compilers and build tools no OS package owns: toolchain trees (/usr/local/go, rustup's cargo and rustup dirs, /usr/local/libexec/gcc) and compiler executables in a bin directory; cmake and ninja installed with pip",
	Fix:      "install toolchains in a build stage only; COPY --from the build stage what the runtime needs",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		var dirs []string
		dirs = append(dirs, toolchainDirs...)
		if home := p.FS.Lookup("/home"); home != nil {
			for _, h := range home.Children() {
				dirs = append(dirs, h.Path+"/.cargo", h.Path+"/.rustup")
			}
		}
		inTree := func(q string) bool {
			for _, d := range dirs {
				if underDir(q, d) {
					return true
				}
			}
			return false
		}
		for _, d := range dirs {
			n := p.FS.Lookup(d)
			if n == nil || n.Kind != KindDir {
				continue
			}
			// Only what no OS package owns.
			var walk func(x *Node)
			walk = func(x *Node) {
				for _, ch := range x.children {
					if p.Ignored(ch.Path) {
						continue
					}
					if ch.Kind == KindDir {
						walk(ch)
					} else if _, owned := p.OSOwner(ch.Path); !owned {
						c.addFile(ch, d)
					}
				}
			}
			walk(n)
		}
		for _, n := range p.Nodes() {
			if n.Kind != KindFile || n.Mode&0o111 == 0 || n.parent == nil || n.parent.Name() != "bin" {
				continue
			}
			if !compilerExe.MatchString(n.Name()) || inTree(n.Path) {
				continue
			}
			if _, owned := p.OSOwner(n.Path); owned {
				continue
			}
			if _, owned := p.DistOwner(n.Path); owned {
				continue // an entry-point script of a pip package: counted below if it is a build tool
			}
			c.addFile(n, "")
		}
		for _, d := range p.Inventory.Python {
			switch normalizeDistName(d.Name) {
			case "cmake", "ninja":
				if _, owned := p.OSOwner(d.MetaDir); owned {
					continue // Debian's python3-* are counted by name in SP201 when they are build tools
				}
				for _, f := range d.Files {
					c.addFileAt(p.FS.Lookup(f), d.MetaDir, d.Layer)
				}
				c.acc(d.Layer).addPkg(FindingPackage{Name: d.Name, Version: d.Version, Manager: orDefault(d.Installer, "unknown"), Location: d.Location, Bytes: d.Bytes})
			}
		}
		return c.findings(func(a *acc) string {
			return "compilers and build tools outside the OS package manager: " + strings.Join(firstN(rootsOf(a), 3), ", ")
		})
	},
}
