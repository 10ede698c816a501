package rules

import (
	"cmp"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var packageTestsRule = &Rule{
	ID:       "SP102",
	Name:     "package-tests",
	Category: "python-tests",
	Severity: SeverityLow,
	Doc:      "test suites shipped inside installed distributions (tests/ and test/ directories holding test modules in site-packages or dist-packages), with their __pycache__",
	Fix:      "delete them after installing, in the same RUN (find SITE -depth -type d -name tests -exec rm -rf {} +), or install from wheels that leave tests out",
	Uses:     []InventoryUse{UsesPythonDists},
	Check: func(p *Pass) []Finding {
		c := p.collector()
		seenSite := map[string]bool{}
		for _, site := range p.index().siteDirs {
			if seenSite[site.Path] {
				continue
			}
			seenSite[site.Path] = true
			dirs := testDirsBelow(site, func(n *fsview.Node) bool {
				// A nested site-packages (a venv inside) is visited on its own.
				name := n.Name()
				return name == "site-packages" || name == "dist-packages"
			})
			for _, d := range dirs {
				c.addTree(d)
				// Name the distribution that ships it, from its RECORD
				// (or its OS package's file list for Debian's dist-packages).
				if dist := p.testDirOwner(d); dist != nil {
					a := c.acc(p.treeLayer(d))
					a.addPkg(FindingPackage{Name: dist.Name, Version: dist.Version, Manager: cmp.Or(dist.Installer, "unknown"), Location: dist.Location})
				}
			}
		}
		fs := c.findings(func(a *acc) string {
			names := make([]string, 0, len(a.pkgs))
			for _, pk := range a.pkgs {
				names = append(names, pk.Name)
			}
			sort.Strings(names)
			t := "test suites of installed Python packages: " + words.Count(len(a.roots), "directory", "directories") + ", " + words.Count(a.files, "file", "files")
			if len(names) > 0 {
				t += " (" + strings.Join(firstN(names, 4), ", ") + ")"
			}
			return t
		})
		return fs
	},
}

// testDirOwner is the distribution whose file list names a file below d.
func (p *Pass) testDirOwner(d *fsview.Node) *inventory.PythonDist {
	var owner *inventory.PythonDist
	var walk func(x *fsview.Node)
	walk = func(x *fsview.Node) {
		for c := range x.ChildNodes() {
			if owner != nil {
				return
			}
			if c.Kind == layer.KindDir {
				walk(c)
				continue
			}
			if dist, ok := p.DistOwner(c.Path); ok {
				owner = dist
			}
		}
	}
	walk(d)
	return owner
}
