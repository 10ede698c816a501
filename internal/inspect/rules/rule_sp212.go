package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var staticLibrariesRule = &Rule{
	ID:       "SP212",
	Name:     "static-libraries",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "static libraries (*.a) and libtool archives (*.la): only a linker reads them (libpython3.N.a alone is ~45 MB)",
	Fix:      "delete *.a and *.la in the RUN that installed them (CPython from source: rm PREFIX/lib/python3.N/config-3.N-*/libpython3.N.a), or build in a separate stage",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != layer.KindFile {
				continue
			}
			name := n.Name()
			if strings.HasSuffix(name, ".a") || strings.HasSuffix(name, ".la") {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "static libraries and libtool archives: " + words.Count(a.files, "file", "files")
		})
	},
}
