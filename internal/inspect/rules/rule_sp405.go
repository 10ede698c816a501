package rules

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

var duplicateDistributionsRule = &Rule{
	ID:       "SP405",
	Name:     "duplicate-distributions",
	Category: "stale-packages",
	Severity: SeverityLow,
	Doc:      "the same Python distribution installed more than once for one Python version (site-packages and dist-packages, two versions side by side, a venv and the system)",
	Fix:      "install each distribution once, in one place (pip uninstall the extra copy, or don't apt-get install python3-X beside pip install X)",
	Uses:     []InventoryUse{UsesInterpreters, UsesPythonDists},
	Check: func(p *Pass) []Finding {
		type key struct{ name, minor string }
		groups := map[key][]int{}
		for i, d := range p.Inventory.Python {
			k := key{normalizeDistName(d.Name), p.pythonMinorOf(d.Location)}
			groups[k] = append(groups[k], i)
		}
		keys := make([]key, 0, len(groups))
		for k, g := range groups {
			if len(g) > 1 {
				keys = append(keys, k)
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].name != keys[j].name {
				return keys[i].name < keys[j].name
			}
			return keys[i].minor < keys[j].minor
		})
		var out []Finding
		for _, k := range keys {
			idx := groups[k]
			// Keep the newest version (then the one written last); the
			// others are what could go.
			sort.SliceStable(idx, func(i, j int) bool {
				a, b := p.Inventory.Python[idx[i]], p.Inventory.Python[idx[j]]
				if c := inventory.CompareReleases(a.Version, b.Version); c != 0 {
					return c > 0
				}
				return a.Layer > b.Layer
			})
			keep := p.Inventory.Python[idx[0]]
			kept := map[string]bool{}
			for _, f := range keep.Files {
				kept[f] = true
			}
			c := p.collector()
			var pkgs []FindingPackage
			var where []string
			for _, i := range idx {
				d := p.Inventory.Python[i]
				pkgs = append(pkgs, FindingPackage{Name: d.Name, Version: d.Version, Manager: cmp.Or(d.Installer, "unknown"), Location: d.Location, Bytes: d.Bytes})
				where = append(where, d.Version+" in "+d.Location)
				if i == idx[0] {
					continue
				}
				for _, f := range d.Files {
					if !kept[f] {
						c.addFileAt(p.FS.Lookup(f), d.MetaDir, d.Layer)
					}
				}
			}
			title := fmt.Sprintf("%s is installed %d times: %s", keep.Name, len(idx), strings.Join(where, "; "))
			fs := c.findings(func(*acc) string { return title })
			if len(fs) == 0 {
				fs = []Finding{{Title: title, Layer: p.Inventory.Python[idx[len(idx)-1]].Layer}}
			}
			for i := range fs {
				fs[i].Packages = pkgs
			}
			out = append(out, fs...)
		}
		return out
	},
}
