package rules

import (
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var buildToolchainRule = &Rule{
	ID:       "SP201",
	Name:     "build-toolchain",
	Category: "compilers",
	Severity: SeverityMedium,
	Doc:      "compilers and build tools installed as OS packages (gcc, g++, cpp, binutils, make, cmake, pkg-config, clang, rustc/cargo, golang, gfortran, build-essential) with the libraries only they use (libisl, libmpc, libmpfr...)",
	Fix:      "build in a separate stage and COPY only the results (wheels, a venv) into a runtime stage without compilers; or apt-get purge --auto-remove them in the RUN that used them",
	Reads:    []layer.Reads{{Patterns: []string{inventory.DpkgStatus}}}, // Depends, for the libraries the toolchain shares
	Uses:     []InventoryUse{UsesOSPackages},
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
