package rules

import (
	"cmp"
	"sort"
	"strings"
)

var packagingToolsRule = &Rule{
	ID:       "SP311",
	Name:     "packaging-tools",
	Category: "packaging-tools",
	Severity: SeverityInfo,
	Doc:      "pip, setuptools, wheel, poetry, pipenv, uv and other packaging tools installed in the runtime environment",
	Fix:      "install into a venv in a build stage and copy the venv without them (pip uninstall -y pip setuptools wheel, or python -m venv --without-pip)",
	Uses:     []InventoryUse{UsesPythonDists},
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, d := range p.Inventory.Python {
			if !packagingTools[normalizeDistName(d.Name)] {
				continue
			}
			for _, f := range d.Files {
				c.addFileAt(p.FS.Lookup(f), d.MetaDir, d.Layer)
			}
			c.acc(d.Layer).addPkg(FindingPackage{Name: d.Name, Version: d.Version, Manager: cmp.Or(d.Installer, "unknown"), Location: d.Location, Bytes: d.Bytes})
		}
		return c.findings(func(a *acc) string {
			var names []string
			for _, pk := range a.pkgs {
				names = append(names, pk.Name+" "+pk.Version)
			}
			sort.Strings(names)
			return "packaging tools in the runtime environment: " + strings.Join(firstN(names, 5), ", ")
		})
	},
}

// packagingTools are the distributions that install or build packages and
// that a running application does not import.
var packagingTools = map[string]bool{
	"pip": true, "setuptools": true, "wheel": true, "poetry": true, "poetry-core": true,
	"pipenv": true, "pip-tools": true, "uv": true, "virtualenv": true, "build": true,
	"twine": true, "pdm": true, "hatch": true, "hatchling": true, "flit": true, "flit-core": true,
}
