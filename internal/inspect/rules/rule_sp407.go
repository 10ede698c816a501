package rules

import (
	"fmt"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/slimpy/slimpy/internal/words"
)

var refreshedOSUpdatesRule = &Rule{
	ID:        "SP407",
	Name:      "refreshed-os-updates",
	Category:  "stale-packages",
	Severity:  SeverityMedium,
	Doc:       "with --refresh: installed dpkg and apk packages for which the image's own sources (its sources.list and .sources, /etc/apk/repositories), fetched today, offer a newer version; high when a security suite offers it",
	Fix:       "rebuild from a freshly pulled base image, or apt-get upgrade / apk upgrade in the base stage",
	Uses:      []InventoryUse{UsesOSPackages},
	Refreshed: true,
	Check: func(p *Pass) []Finding {
		res := p.Settings.Refresh
		if res == nil || len(res.OS) == 0 {
			return nil
		}
		installedBy := map[string]int{}
		for _, pk := range p.Inventory.OS {
			installedBy[pk.Manager+"\x00"+pk.Name] = pk.Layer
		}
		by := map[int][]refresh.Package{}
		for _, pk := range res.OS {
			l, ok := installedBy[pk.Manager+"\x00"+pk.Name]
			if !ok {
				l = -1
			}
			by[l] = append(by[l], pk)
		}
		var out []Finding
		for layer, pkgs := range by {
			f := Finding{Layer: layer, Severity: SeverityMedium}
			security := 0
			var names []string
			for _, pk := range pkgs {
				names = append(names, pk.Name)
				if pk.Security {
					security++
				}
				f.Packages = append(f.Packages, refreshedPackage(pk))
			}
			sec := ""
			if security > 0 {
				f.Severity = SeverityHigh
				sec = fmt.Sprintf(", %d from a security suite", security)
			}
			f.Title = fmt.Sprintf("%s %s a newer version in the image's sources today%s (%s)%s",
				words.Count(len(pkgs), "package", "packages"), hasHave(len(pkgs)), sec, strings.Join(firstN(names, 5), ", "), sourcesSaid(pkgs))
			out = append(out, f)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Layer < out[j].Layer })
		return out
	},
}
