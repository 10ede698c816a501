package rules

// What SP701 (documentation) and SP702 (locales) share.

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

// docTrees flags the regular files below the given directories, but those
// keep spares, under one root per directory.
func docTrees(p *Pass, dirs []string, keep func(*fsview.Node) bool, what string) []Finding {
	c := p.collector()
	for _, d := range dirs {
		n := p.FS.Lookup(d)
		if n == nil || n.Kind != layer.KindDir {
			continue
		}
		c.addBelow(n, d, -2, keep)
	}
	return c.findings(func(a *acc) string {
		return what + ": " + words.Count(a.files, "file", "files") + " in " + strings.Join(rootsOf(a), ", ")
	})
}
