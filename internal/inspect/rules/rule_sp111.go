package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var optimizedBytecodeRule = &Rule{
	ID:       "SP111",
	Name:     "optimized-bytecode",
	Category: "bytecode",
	Severity: SeverityLow,
	Doc:      "__pycache__/*.opt-1.pyc and *.opt-2.pyc: bytecode only `python -O`/`-OO` loads",
	Fix:      "compile without optimisation levels (python -m compileall without -o 1/-o 2; CPython's make install: delete them after it), or find / -name '*.opt-[12].pyc' -delete in the same RUN",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			// .opt- first: the expression then runs on few files.
			if n.Kind != layer.KindFile || !strings.HasSuffix(n.Path, ".pyc") || !strings.Contains(n.Name(), ".opt-") ||
				n.Parent() == nil || n.Parent().Name() != "__pycache__" {
				continue
			}
			m := pycacheName.FindStringSubmatch(n.Name())
			if m == nil || m[4] == "" {
				continue
			}
			c.addFile(n, "")
		}
		return c.findings(func(a *acc) string {
			return "optimised bytecode (.opt-1/.opt-2.pyc) only python -O loads: " + words.Count(a.files, "file", "files")
		})
	},
}
