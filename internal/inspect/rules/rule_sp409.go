package rules

import (
	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/slimpy/slimpy/internal/words"
)

var pythonOutdatedRule = &Rule{
	ID:        "SP409",
	Name:      "python-outdated",
	Category:  "stale-packages",
	Severity:  SeverityLow,
	Doc:       "with --refresh: Python distributions pip manages for which the image's package index has a newer release (and no known vulnerability: those are SP408)",
	Fix:       "update the pins (pip-compile --upgrade, uv lock --upgrade, poetry update) and rebuild",
	Uses:      []InventoryUse{UsesPythonDists},
	Refreshed: true,
	Check: func(p *Pass) []Finding {
		return refreshedPython(p, func(pk refresh.Package) bool { return len(pk.Vulnerabilities) == 0 && pk.Candidate != "" },
			func(n int) string {
				return words.Count(n, "Python distribution has", "Python distributions have") + " a newer release"
			})
	},
}
