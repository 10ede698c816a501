package inspect

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slimpy/slimpy/internal/debversion"
)

// daysBetween is whole days from a to b.
func daysBetween(a, b time.Time) int { return int(b.Sub(a).Hours() / 24) }

// eolFinding judges one release against now: past the end of extended
// support (or of support where there is no extended phase): high; past
// regular support but within LTS: medium; ending within the warning window:
// info; otherwise no finding.
func eolFinding(p *Pass, r Release, what string, layer int) (Finding, bool) {
	f := Finding{Layer: layer}
	date := func(t time.Time) string { return t.Format("2006-01-02") }
	switch {
	case !r.LTS.IsZero() && !p.Now.Before(r.LTS):
		f.Severity = SeverityHigh
		f.Title = fmt.Sprintf("%s is past end of life: security support ended %s, LTS ended %s", what, date(r.EOL), date(r.LTS))
	case r.LTS.IsZero() && !p.Now.Before(r.EOL):
		f.Severity = SeverityHigh
		f.Title = fmt.Sprintf("%s is past end of life (security support ended %s)", what, date(r.EOL))
	case !r.LTS.IsZero() && !p.Now.Before(r.EOL):
		f.Severity = SeverityMedium
		f.Title = fmt.Sprintf("%s is out of regular security support since %s; only Debian LTS updates a subset of packages until %s", what, date(r.EOL), date(r.LTS))
	case p.Settings.EOLWarningDays > 0 && r.EOL.Sub(p.Now) < time.Duration(p.Settings.EOLWarningDays)*24*time.Hour:
		f.Severity = SeverityInfo
		f.Title = fmt.Sprintf("%s reaches end of security support on %s (in %d days)", what, date(r.EOL), daysBetween(p.Now, r.EOL))
	default:
		return f, false
	}
	return f, true
}

var osEOLRule = &Rule{
	ID:       "SP401",
	Name:     "os-eol",
	Category: "stale-packages",
	Severity: SeverityHigh,
	Doc:      "the base OS release (Debian, Ubuntu LTS, Alpine; from /etc/os-release or /etc/debian_version) is past, or near, its end of life (table of " + EOLSnapshot + ")",
	Fix:      "move FROM to a supported release (e.g. python:3.X-slim-bookworm or -trixie, alpine:3.22)",
	Check: func(p *Pass) []Finding {
		deb := ""
		if c, ok := p.FS.Content("/etc/debian_version"); ok {
			deb = strings.TrimSpace(string(c))
		}
		r, ok := OSRelease(p.Inventory.OSRelease, deb)
		if !ok {
			return nil
		}
		layer := -1
		for _, q := range []string{"/usr/lib/os-release", "/etc/os-release", "/etc/debian_version", "/etc/alpine-release"} {
			if n := p.FS.Lookup(q); n != nil && n.Kind == KindFile {
				layer = n.Layer
				break
			}
		}
		f, ok := eolFinding(p, r, r.Name, layer)
		if !ok {
			return nil
		}
		return []Finding{f}
	},
}

var pythonEOLRule = &Rule{
	ID:       "SP402",
	Name:     "python-eol",
	Category: "stale-packages",
	Severity: SeverityHigh,
	Doc:      "a Python interpreter in the image is past, or near, the end of CPython's security support (2.7, 3.6–3.14 table of " + EOLSnapshot + ")",
	Fix:      "move to a supported Python (FROM python:3.12-slim or newer) and rebuild",
	Check: func(p *Pass) []Finding {
		var out []Finding
		seen := map[string]bool{}
		for _, it := range p.Inventory.Interpreters {
			r, ok := PythonRelease(it.Version)
			if !ok {
				continue
			}
			where := it.Path
			if where == "" {
				where = it.Prefix
			}
			key := r.Name + "\x00" + it.Prefix
			if seen[key] {
				continue
			}
			seen[key] = true
			f, ok := eolFinding(p, r, "Python "+it.Version+" ("+where+")", it.Layer)
			if !ok {
				continue
			}
			out = append(out, f)
		}
		return out
	},
}

var aptUpgradableRule = &Rule{
	ID:       "SP403",
	Name:     "apt-upgradable",
	Category: "stale-packages",
	Severity: SeverityMedium,
	Doc:      "installed dpkg packages for which the image's own apt lists (/var/lib/apt/lists/*_Packages, also .lz4/.gz/.bz2/.zst) offer a newer version: what apt list --upgradable showed when the image was built",
	Fix:      "apt-get update && apt-get upgrade -y in the base stage, or rebuild from a freshly pulled base image",
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
				Title:    fmt.Sprintf("%s installed by this layer %s a newer version in %s (%s)", plural(len(pkgs), "package", "packages"), hasHave(len(pkgs)), where, strings.Join(firstN(names, 5), ", ")),
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

var vulnerablePackagingToolsRule = &Rule{
	ID:       "SP404",
	Name:     "vulnerable-packaging-tools",
	Category: "stale-packages",
	Severity: SeverityMedium,
	Doc:      "pip, setuptools or wheel older than the release fixing a known CVE (pip < 23.3 CVE-2023-5752, < 25.3 CVE-2025-8869; setuptools < 65.5.1 CVE-2022-40897, < 70.0.0 CVE-2024-6345, < 78.1.1 CVE-2025-47273; wheel < 0.38.1 CVE-2022-40898, 0.40.0–0.46.1 CVE-2026-24049); OS-packaged copies are left to SP403",
	Fix:      "pip install --upgrade pip setuptools wheel in the build, or drop them from the runtime image (SP311)",
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
				if cv.introduced != "" && compareReleases(d.Version, cv.introduced) < 0 {
					continue
				}
				if compareReleases(d.Version, cv.fixed) < 0 {
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
				Packages:  []FindingPackage{{Name: d.Name, Version: d.Version, Manager: orDefault(d.Installer, "unknown"), Location: d.Location, Available: fixed, Note: note}},
			})
		}
		return out
	},
}

var duplicateDistributionsRule = &Rule{
	ID:       "SP405",
	Name:     "duplicate-distributions",
	Category: "stale-packages",
	Severity: SeverityLow,
	Doc:      "the same Python distribution installed more than once for one Python version (site-packages and dist-packages, two versions side by side, a venv and the system)",
	Fix:      "install each distribution once, in one place (pip uninstall the extra copy, or don't apt-get install python3-X beside pip install X)",
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
				if c := compareReleases(a.Version, b.Version); c != 0 {
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
				pkgs = append(pkgs, FindingPackage{Name: d.Name, Version: d.Version, Manager: orDefault(d.Installer, "unknown"), Location: d.Location, Bytes: d.Bytes})
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

var staleImageRule = &Rule{
	ID:       "SP406",
	Name:     "stale-image",
	Category: "stale-packages",
	Severity: SeverityLow,
	Doc:      "the image was created more than stale-image-days (default 90) before --now: it misses the security updates published since",
	Fix:      "rebuild regularly (docker build --pull --no-cache) so the base image and the packages take their updates",
	Check: func(p *Pass) []Finding {
		created := p.Config.Created.Time
		if created.IsZero() || created.Year() < 1990 {
			return nil // reproducible builds set 1970: no date to judge
		}
		days := daysBetween(created, p.Now)
		if days <= p.Settings.StaleImageDays {
			return nil
		}
		return []Finding{{
			Layer: -1,
			Title: fmt.Sprintf("the image was created %s, %d days ago (more than %d)", created.UTC().Format("2006-01-02"), days, p.Settings.StaleImageDays),
		}}
	},
}
