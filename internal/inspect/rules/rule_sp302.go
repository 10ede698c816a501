package rules

import (
	"path"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var pythonToolCachesRule = &Rule{
	ID:       "SP302",
	Name:     "python-tool-caches",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "caches of poetry (.cache/pypoetry/cache and artifacts, not its virtualenvs), pipenv, uv, pdm, pip-tools, and conda's package cache (PREFIX/pkgs)",
	Fix:      "clear the cache in the same RUN (poetry cache clear --all ., uv cache clean, conda clean -afy) or use a cache mount (RUN --mount=type=cache)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		var dirs []*fsview.Node
		for _, n := range p.Nodes() {
			if n.Kind != layer.KindDir || n.Parent() == nil {
				continue
			}
			switch parent := n.Parent().Name(); {
			case parent == ".cache" && (n.Name() == "pipenv" || n.Name() == "uv" || n.Name() == "pdm" || n.Name() == "pip-tools"):
				dirs = append(dirs, n)
			case parent == "pypoetry" && n.Parent().Parent() != nil && n.Parent().Parent().Name() == ".cache" &&
				(n.Name() == "cache" || n.Name() == "artifacts"):
				dirs = append(dirs, n)
			case n.Name() == "pkgs" && n.Parent().Child("conda-meta") != nil:
				dirs = append(dirs, n) // conda's package cache beside an environment
			case n.Name() == "pkgs" && parent == ".conda":
				dirs = append(dirs, n)
			}
		}
		for _, env := range []string{"POETRY_CACHE_DIR", "UV_CACHE_DIR", "PIPENV_CACHE_DIR", "CONDA_PKGS_DIRS"} {
			if v := p.envValue(env); strings.HasPrefix(v, "/") {
				v, _, _ = strings.Cut(v, ",")
				if n := p.FS.Lookup(path.Clean(v)); n != nil && n.Kind == layer.KindDir {
					if env == "POETRY_CACHE_DIR" {
						// Poetry keeps its virtualenvs there too: only cache/ and artifacts/.
						for _, sub := range []string{"cache", "artifacts"} {
							if s := n.Child(sub); s != nil {
								dirs = append(dirs, s)
							}
						}
						continue
					}
					dirs = append(dirs, n)
				}
			}
		}
		for _, d := range dirs {
			c.addTree(d)
		}
		return c.findings(func(a *acc) string {
			return "Python tool caches: " + words.Count(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}
