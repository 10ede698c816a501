package rules

import (
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var aptListsRule = &Rule{
	ID:       "SP303",
	Name:     "apt-lists",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "apt's package lists in /var/lib/apt/lists, left by apt-get update (hadolint DL3009)",
	Fix:      "end the RUN that runs apt-get update with && rm -rf /var/lib/apt/lists/*",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		if n := p.FS.Lookup("/var/lib/apt/lists"); n != nil && n.Kind == layer.KindDir {
			c.addTree(n)
		}
		return c.findings(func(a *acc) string {
			return "apt package lists: " + words.Count(a.files, "file", "files") + " in /var/lib/apt/lists"
		})
	},
}
