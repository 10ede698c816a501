package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/debversion"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var aptUpgradableRule = &Rule{
	ID:       "SP403",
	Name:     "apt-upgradable",
	Category: "stale-packages",
	Severity: SeverityMedium,
	Doc:      "installed dpkg packages for which the image's own apt lists (/var/lib/apt/lists/*_Packages, also .lz4/.gz/.bz2/.zst) offer a newer version: what apt list --upgradable showed when the image was built",
	Fix:      "apt-get update && apt-get upgrade -y in the base stage, or rebuild from a freshly pulled base image",
	Reads:    []layer.Reads{{Patterns: []string{aptListsDir + "/*_Packages*"}, AptIndex: true}},
	Uses:     []InventoryUse{UsesOSPackages},
	Check: func(p *Pass) []Finding {
		avail, visible, hiddenFrom := p.aptAvailable()
		if len(avail) == 0 {
			return nil
		}
		where := "the image's apt lists"
		if len(hiddenFrom) > 0 {
			var ls []string
			for _, l := range hiddenFrom {
				ls = append(ls, fmt.Sprint(l))
			}
			where = fmt.Sprintf("the apt lists layer %s stored (deleted later: they date from that build)", strings.Join(ls, ", "))
			if visible {
				where = "the image's apt lists and in " + where
			}
		}
		by := map[int][]FindingPackage{}
		for _, pkg := range p.Inventory.OS {
			if pkg.Manager != "dpkg" {
				continue
			}
			best := ""
			for _, c := range avail[pkg.Name] {
				if c.arch != pkg.Arch && c.arch != "all" && pkg.Arch != "all" {
					continue
				}
				if best == "" || debversion.Compare(c.version, best) > 0 {
					best = c.version
				}
			}
			if best != "" && debversion.Compare(best, pkg.Version) > 0 {
				by[pkg.Layer] = append(by[pkg.Layer], FindingPackage{Name: pkg.Name, Version: pkg.Version, Manager: "dpkg", Available: best})
			}
		}
		var out []Finding
		for layer, pkgs := range by {
			sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Name < pkgs[j].Name })
			var names []string
			for _, pk := range pkgs {
				names = append(names, pk.Name)
			}
			out = append(out, Finding{
				Layer:    layer,
				Title:    fmt.Sprintf("%s installed by this layer %s a newer version in %s (%s)", words.Count(len(pkgs), "package", "packages"), hasHave(len(pkgs)), where, strings.Join(firstN(names, 5), ", ")),
				Packages: pkgs,
			})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Layer < out[j].Layer })
		return out
	},
}

func hasHave(n int) string {
	if n == 1 {
		return "has"
	}
	return "have"
}
