package inspect

import (
	"path"
	"regexp"
	"strings"
)

// headerFile matches C and C++ headers.
var headerFile = regexp.MustCompile(`\.(h|hh|hpp|hxx)$`)

var headerFilesRule = &Rule{
	ID:       "SP211",
	Name:     "header-files",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "C/C++ headers: /usr/include, /usr/local/include, PREFIX/include of a Python installation (conda, venvs), and *.h shipped inside site-packages or dist-packages",
	Fix:      "compile in a build stage; in the runtime stage install the libraries without their -dev packages (or rm -rf /usr/local/include after building)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		roots := []string{"/usr/include", "/usr/local/include"}
		// PREFIX/include where PREFIX holds a Python (conda, a venv's include/site).
		for _, lib := range p.index().stdlibDirs {
			prefix := path.Dir(path.Dir(lib.Path))
			roots = append(roots, prefix+"/include")
		}
		for _, site := range p.index().siteDirs {
			// A venv: PREFIX/lib/python3.N/site-packages → PREFIX/include.
			if prefix := path.Dir(path.Dir(path.Dir(site.Path))); prefix != "/" {
				roots = append(roots, prefix+"/include")
			}
		}
		done := map[string]bool{}
		for _, r := range roots {
			if done[r] {
				continue
			}
			done[r] = true
			covered := false
			for d := range done {
				if d != r && underDir(r, d) {
					covered = true
				}
			}
			if n := p.FS.Lookup(r); n != nil && n.Kind == KindDir && !covered {
				c.addTree(n)
			}
		}
		for _, n := range p.Nodes() {
			if n.Kind == KindFile && headerFile.MatchString(n.Name()) && (hasPathElement(n.Path, "site-packages") || hasPathElement(n.Path, "dist-packages")) {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "C/C++ headers: " + plural(a.files, "file", "files") + " (" + strings.Join(firstN(rootsOf(a), 2), ", ") + ")"
		})
	},
}

var staticLibrariesRule = &Rule{
	ID:       "SP212",
	Name:     "static-libraries",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "static libraries (*.a) and libtool archives (*.la): only a linker reads them (libpython3.N.a alone is ~45 MB)",
	Fix:      "delete *.a and *.la in the RUN that installed them (CPython from source: rm PREFIX/lib/python3.N/config-3.N-*/libpython3.N.a), or build in a separate stage",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != KindFile {
				continue
			}
			name := n.Name()
			if strings.HasSuffix(name, ".a") || strings.HasSuffix(name, ".la") {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "static libraries and libtool archives: " + plural(a.files, "file", "files")
		})
	},
}

var devPackagesRule = &Rule{
	ID:       "SP213",
	Name:     "dev-packages",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "development packages by name (*-dev, *-devel; apk *-dev) outside the build toolchain: headers, static libraries, pkg-config files",
	Fix:      "install -dev packages in a build stage only; the runtime stage needs the library packages alone",
	Check: func(p *Pass) []Finding {
		inToolchain := map[int]bool{}
		for _, i := range p.toolchainPackages() {
			inToolchain[i] = true
		}
		c := p.collector()
		for i, pkg := range p.Inventory.OS {
			if inToolchain[i] || !(strings.HasSuffix(pkg.Name, "-dev") || strings.HasSuffix(pkg.Name, "-devel")) {
				continue
			}
			for _, f := range pkg.Files {
				c.addFileAt(p.FS.Lookup(f), "", pkg.Layer)
			}
			c.acc(pkg.Layer).addPkg(FindingPackage{Name: pkg.Name, Version: pkg.Version, Manager: pkg.Manager, Bytes: pkg.Bytes})
		}
		return c.findings(func(a *acc) string {
			return "development packages: " + packageList(a.pkgs, 5)
		})
	},
}
