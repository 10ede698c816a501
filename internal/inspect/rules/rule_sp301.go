package rules

import (
	"path"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var pipCacheRule = &Rule{
	ID:       "SP301",
	Name:     "pip-cache",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "pip's cache of any user (*/.cache/pip, $PIP_CACHE_DIR): downloaded and built wheels pip never reads at run time",
	Fix:      "pip install --no-cache-dir (or ENV PIP_NO_CACHE_DIR=1, or RUN --mount=type=cache,target=/root/.cache/pip)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, d := range p.cacheDirs("pip", p.envValue("PIP_CACHE_DIR")) {
			c.addTree(d)
		}
		return c.findings(func(a *acc) string {
			return "pip cache: " + words.Count(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}

// cacheDirs returns the visible directories named sub ("pip") directly
// inside a directory named .cache, anywhere, plus the extra paths given
// (from environment variables), each once and outermost.
func (p *Pass) cacheDirs(sub string, extra ...string) []*fsview.Node {
	var out []*fsview.Node
	seen := map[string]bool{}
	addDir := func(n *fsview.Node) {
		if n == nil || n.Kind != layer.KindDir || seen[n.Path] {
			return
		}
		for s := range seen {
			if fsview.UnderDir(n.Path, s) {
				return
			}
		}
		seen[n.Path] = true
		out = append(out, n)
	}
	for _, n := range p.Nodes() {
		if n.Kind == layer.KindDir && n.Name() == sub && n.Parent() != nil && n.Parent().Name() == ".cache" {
			addDir(n)
		}
	}
	for _, e := range extra {
		if e != "" && strings.HasPrefix(e, "/") {
			addDir(p.FS.Lookup(path.Clean(e)))
		}
	}
	return out
}
