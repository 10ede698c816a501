package rules

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

var vulnerablePackagingToolsRule = &Rule{
	ID:       "SP404",
	Name:     "vulnerable-packaging-tools",
	Category: "stale-packages",
	Severity: SeverityMedium,
	Doc:      "pip, setuptools or wheel older than the release fixing a known CVE (pip < 23.3 CVE-2023-5752, < 25.3 CVE-2025-8869; setuptools < 65.5.1 CVE-2022-40897, < 70.0.0 CVE-2024-6345, < 78.1.1 CVE-2025-47273; wheel < 0.38.1 CVE-2022-40898, 0.40.0–0.46.1 CVE-2026-24049); OS-packaged copies are left to SP403",
	Fix:      "pip install --upgrade pip setuptools wheel in the build, or drop them from the runtime image (SP311)",
	Uses:     []InventoryUse{UsesOSPackages, UsesPythonDists},
	Check: func(p *Pass) []Finding {
		var out []Finding
		for _, d := range p.Inventory.Python {
			cves := packagingCVEs[normalizeDistName(d.Name)]
			if cves == nil || d.Installer == "debian" {
				continue // Debian patches its python3-pip & co.: its versions say nothing
			}
			if _, owned := p.OSOwner(d.MetaDir); owned {
				continue
			}
			var ids []string
			fixed := ""
			for _, cv := range cves {
				if cv.introduced != "" && inventory.CompareReleases(d.Version, cv.introduced) < 0 {
					continue
				}
				if inventory.CompareReleases(d.Version, cv.fixed) < 0 {
					ids = append(ids, cv.id)
					fixed = cv.fixed
				}
			}
			if len(ids) == 0 {
				continue
			}
			note := strings.Join(ids, ", ")
			out = append(out, Finding{
				Layer:     d.Layer,
				Title:     fmt.Sprintf("%s %s in %s has known vulnerabilities (%s); fixed in %s", d.Name, d.Version, d.Location, note, fixed),
				Paths:     []string{d.MetaDir},
				PathBytes: []int64{0},
				Packages:  []FindingPackage{{Name: d.Name, Version: d.Version, Manager: cmp.Or(d.Installer, "unknown"), Location: d.Location, Available: fixed, Note: note}},
			})
		}
		return out
	},
}

// cveFix is a known vulnerability of a packaging tool and the first version
// that fixes it; introduced, when set, is the first affected version.
type cveFix struct {
	id         string
	introduced string
	fixed      string
}

// packagingCVEs: checked against the GitHub advisory database and the
// projects' release notes (pip 25.3, setuptools 78.1.1, wheel 0.46.2).
var packagingCVEs = map[string][]cveFix{
	"pip": {
		{id: "CVE-2023-5752", fixed: "23.3"},
		{id: "CVE-2025-8869", fixed: "25.3"},
	},
	"setuptools": {
		{id: "CVE-2022-40897", fixed: "65.5.1"},
		{id: "CVE-2024-6345", fixed: "70.0.0"},
		{id: "CVE-2025-47273", fixed: "78.1.1"},
	},
	"wheel": {
		{id: "CVE-2022-40898", fixed: "0.38.1"},
		{id: "CVE-2026-24049", introduced: "0.40.0", fixed: "0.46.2"},
	},
}
