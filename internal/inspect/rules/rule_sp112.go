package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var orphanedBytecodeRule = &Rule{
	ID:       "SP112",
	Name:     "orphaned-bytecode",
	Category: "bytecode",
	Severity: SeverityLow,
	Doc:      "__pycache__/*.pyc that no interpreter loads: the source module next to __pycache__ is gone, or the tag names a Python the image does not have",
	Fix:      "delete __pycache__ together with the sources (or compile after deleting), and compile with the image's own interpreter",
	Uses:     []InventoryUse{UsesInterpreters},
	Check: func(p *Pass) []Finding {
		tags := map[string]bool{}
		for _, it := range p.Inventory.Interpreters {
			if t := pyVersionTag(it.Version); t != "" {
				tags["cpython-"+t] = true
			}
		}
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != layer.KindFile || !strings.HasSuffix(n.Path, ".pyc") || n.Parent() == nil || n.Parent().Name() != "__pycache__" {
				continue
			}
			m := pycacheName.FindStringSubmatch(n.Name())
			if m == nil {
				continue
			}
			pkgDir := n.Parent().Parent()
			if pkgDir == nil {
				continue
			}
			// Python loads __pycache__ bytecode only beside its source; a
			// sourceless module must sit where the source would (NAME.pyc).
			orphan := pkgDir.Child(m[1]+".py") == nil && pkgDir.Child(m[1]+".pyw") == nil
			if !orphan && len(tags) > 0 && strings.HasPrefix(m[2], "cpython-") && !tags[m[2]] {
				orphan = true
			}
			if orphan {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "bytecode no interpreter in the image loads (source gone or other Python version): " + words.Count(a.files, "file", "files")
		})
	},
}
