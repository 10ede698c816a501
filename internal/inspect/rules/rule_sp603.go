package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

var gitDirectoriesRule = &Rule{
	ID:       "SP603",
	Name:     "git-directories",
	Category: "security",
	Severity: SeverityMedium,
	Doc:      ".git directories: the repository's whole history (and any secret ever committed) shipped in the image",
	Fix:      "add .git to .dockerignore",
	Uses:     []InventoryUse{UsesOSPackages},
	Check: func(p *Pass) []Finding {
		c := p.collector()
		skip := ""
		for _, n := range p.Nodes() {
			if skip != "" && fsview.UnderDir(n.Path, skip) {
				continue
			}
			if n.Kind == layer.KindDir && n.Name() == ".git" {
				if _, owned := p.OSOwner(n.Path); owned {
					continue
				}
				skip = n.Path
				c.addTree(n)
			}
		}
		return c.findingsKeepEmpty(func(a *acc) string {
			return ".git directories: " + strings.Join(firstN(rootsOf(a), 3), ", ")
		})
	},
}
