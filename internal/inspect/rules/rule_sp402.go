package rules

import "github.com/slimpy/slimpy/internal/inspect/inventory"

var pythonEOLRule = &Rule{
	ID:       "SP402",
	Name:     "python-eol",
	Category: "stale-packages",
	Severity: SeverityHigh,
	Doc:      "a Python interpreter in the image is past, or near, the end of CPython's security support (2.7, 3.6–3.14 table of " + inventory.EOLSnapshot + ")",
	Fix:      "move to a supported Python (FROM python:3.12-slim or newer) and rebuild",
	Uses:     []InventoryUse{UsesInterpreters},
	Check: func(p *Pass) []Finding {
		var out []Finding
		seen := map[string]bool{}
		for _, it := range p.Inventory.Interpreters {
			r, ok := inventory.PythonRelease(it.Version)
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
