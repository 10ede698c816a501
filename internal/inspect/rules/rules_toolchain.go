package rules

// What SP201 (build toolchain) and SP213 (dev packages) share: which OS
// packages are the toolchain.

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
