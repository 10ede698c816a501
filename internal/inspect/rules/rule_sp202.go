package rules

import (
	"cmp"
	"regexp"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var unpackagedToolchainRule = &Rule{
	ID:       "SP202",
	Name:     "unpackaged-toolchain",
	Category: "compilers",
	Severity: SeverityMedium,
	Doc:      "compilers and build tools no OS package owns: toolchain trees (/usr/local/go, rustup's cargo and rustup dirs, /usr/local/libexec/gcc) and compiler executables in a bin directory; cmake and ninja installed with pip",
	Fix:      "install toolchains in a build stage only; COPY --from the build stage what the runtime needs",
	Uses:     []InventoryUse{UsesOSPackages, UsesPythonDists},
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
				if fsview.UnderDir(q, d) {
					return true
				}
			}
			return false
		}
		for _, d := range dirs {
			n := p.FS.Lookup(d)
			if n == nil || n.Kind != layer.KindDir {
				continue
			}
			// Only what no OS package owns.
			c.addBelow(n, d, -2, func(x *fsview.Node) bool {
				if x.Kind != layer.KindFile {
					return false
				}
				_, owned := p.OSOwner(x.Path)
				return owned
			})
		}
		for _, n := range p.Nodes() {
			if n.Kind != layer.KindFile || n.Mode&0o111 == 0 || n.Parent() == nil || n.Parent().Name() != "bin" {
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
				c.acc(d.Layer).addPkg(FindingPackage{Name: d.Name, Version: d.Version, Manager: cmp.Or(d.Installer, "unknown"), Location: d.Location, Bytes: d.Bytes})
			}
		}
		return c.findings(func(a *acc) string {
			return "compilers and build tools outside the OS package manager: " + strings.Join(firstN(rootsOf(a), 3), ", ")
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
