package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var devPackagesRule = &Rule{
	ID:       "SP213",
	Name:     "dev-packages",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "development packages by name (*-dev, *-devel; apk *-dev) outside the build toolchain: headers, static libraries, pkg-config files",
	Fix:      "install -dev packages in a build stage only; the runtime stage needs the library packages alone",
	Reads:    []layer.Reads{{Patterns: []string{inventory.DpkgStatus}}}, // Depends, for the libraries the toolchain shares
	Uses:     []InventoryUse{UsesOSPackages},
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
