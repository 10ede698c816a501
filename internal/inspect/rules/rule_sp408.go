package rules

import (
	"github.com/slimpy/slimpy/internal/refresh"
	"github.com/slimpy/slimpy/internal/words"
)

var pythonVulnerableRule = &Rule{
	ID:        "SP408",
	Name:      "python-vulnerable",
	Category:  "stale-packages",
	Severity:  SeverityHigh,
	Doc:       "with --refresh: Python distributions pip manages whose installed version has known vulnerabilities, as the image's package index reports them (PyPI's JSON API: ids, aliases, fixed-in versions)",
	Fix:       "pin the fixed versions in the requirements and rebuild",
	Uses:      []InventoryUse{UsesPythonDists},
	Refreshed: true,
	Check: func(p *Pass) []Finding {
		return refreshedPython(p, func(pk refresh.Package) bool { return len(pk.Vulnerabilities) > 0 },
			func(n int) string {
				return words.Count(n, "Python distribution has", "Python distributions have") + " known vulnerabilities"
			})
	},
}
