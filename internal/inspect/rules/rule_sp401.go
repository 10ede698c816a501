package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var osEOLRule = &Rule{
	ID:       "SP401",
	Name:     "os-eol",
	Category: "stale-packages",
	Severity: SeverityHigh,
	Doc:      "the base OS release (Debian, Ubuntu LTS, Alpine; from /etc/os-release or /etc/debian_version) is past, or near, its end of life (table of " + inventory.EOLSnapshot + ")",
	Fix:      "move FROM to a supported release (e.g. python:3.X-slim-bookworm or -trixie, alpine:3.22)",
	Reads:    []layer.Reads{{Patterns: []string{"/etc/debian_version"}}},
	Uses:     []InventoryUse{UsesOSRelease},
	Check: func(p *Pass) []Finding {
		deb := ""
		if c, ok := p.FS.Content("/etc/debian_version"); ok {
			deb = strings.TrimSpace(string(c))
		}
		r, ok := inventory.OSRelease(p.Inventory.OSRelease, deb)
		if !ok {
			return nil
		}
		at := -1
		for _, q := range []string{"/usr/lib/os-release", "/etc/os-release", "/etc/debian_version", "/etc/alpine-release"} {
			if n := p.FS.Lookup(q); n != nil && n.Kind == layer.KindFile {
				at = n.Layer
				break
			}
		}
		f, ok := eolFinding(p, r, r.Name, at)
		if !ok {
			return nil
		}
		return []Finding{f}
	},
}
