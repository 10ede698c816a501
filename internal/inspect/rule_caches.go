package inspect

import (
	"path"
	"regexp"
	"strings"
)

// cacheDirs returns the visible directories named sub ("pip") directly
// inside a directory named .cache, anywhere, plus the extra paths given
// (from environment variables), each once and outermost.
func (p *Pass) cacheDirs(sub string, extra ...string) []*Node {
	var out []*Node
	seen := map[string]bool{}
	addDir := func(n *Node) {
		if n == nil || n.Kind != KindDir || seen[n.Path] {
			return
		}
		for s := range seen {
			if underDir(n.Path, s) {
				return
			}
		}
		seen[n.Path] = true
		out = append(out, n)
	}
	for _, n := range p.Nodes() {
		if n.Kind == KindDir && n.Name() == sub && n.parent != nil && n.parent.Name() == ".cache" {
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
			return "pip cache: " + plural(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}

var pythonToolCachesRule = &Rule{
	ID:       "SP302",
	Name:     "python-tool-caches",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "caches of poetry (.cache/pypoetry/cache and artifacts, not its virtualenvs), pipenv, uv, pdm, pip-tools, and conda's package cache (PREFIX/pkgs)",
	Fix:      "clear the cache in the same RUN (poetry cache clear --all ., uv cache clean, conda clean -afy) or use a cache mount (RUN --mount=type=cache)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		var dirs []*Node
		for _, n := range p.Nodes() {
			if n.Kind != KindDir || n.parent == nil {
				continue
			}
			switch parent := n.parent.Name(); {
			case parent == ".cache" && (n.Name() == "pipenv" || n.Name() == "uv" || n.Name() == "pdm" || n.Name() == "pip-tools"):
				dirs = append(dirs, n)
			case parent == "pypoetry" && n.parent.parent != nil && n.parent.parent.Name() == ".cache" &&
				(n.Name() == "cache" || n.Name() == "artifacts"):
				dirs = append(dirs, n)
			case n.Name() == "pkgs" && n.parent.children["conda-meta"] != nil:
				dirs = append(dirs, n) // conda's package cache beside an environment
			case n.Name() == "pkgs" && parent == ".conda":
				dirs = append(dirs, n)
			}
		}
		for _, env := range []string{"POETRY_CACHE_DIR", "UV_CACHE_DIR", "PIPENV_CACHE_DIR", "CONDA_PKGS_DIRS"} {
			if v := p.envValue(env); strings.HasPrefix(v, "/") {
				v, _, _ = strings.Cut(v, ",")
				if n := p.FS.Lookup(path.Clean(v)); n != nil && n.Kind == KindDir {
					if env == "POETRY_CACHE_DIR" {
						// Poetry keeps its virtualenvs there too: only cache/ and artifacts/.
						for _, sub := range []string{"cache", "artifacts"} {
							if s := n.children[sub]; s != nil {
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
			return "Python tool caches: " + plural(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}

var aptListsRule = &Rule{
	ID:       "SP303",
	Name:     "apt-lists",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "apt's package lists in /var/lib/apt/lists, left by apt-get update (hadolint DL3009)",
	Fix:      "end the RUN that runs apt-get update with && rm -rf /var/lib/apt/lists/*",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		if n := p.FS.Lookup("/var/lib/apt/lists"); n != nil && n.Kind == KindDir {
			c.addTree(n)
		}
		return c.findings(func(a *acc) string {
			return "apt package lists: " + plural(a.files, "file", "files") + " in /var/lib/apt/lists"
		})
	},
}

var osPackageCacheRule = &Rule{
	ID:       "SP304",
	Name:     "os-package-cache",
	Category: "caches",
	Severity: SeverityMedium,
	Doc:      "downloaded OS packages and package caches: /var/cache/apt (archives/*.deb, *.bin), /var/cache/apk, /etc/apk/cache",
	Fix:      "apt-get clean (or rm -rf /var/cache/apt/*) in the same RUN; apk add --no-cache (hadolint DL3019)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, d := range []string{"/var/cache/apt", "/var/cache/apk", "/etc/apk/cache"} {
			if n := p.FS.Lookup(d); n != nil && n.Kind == KindDir {
				c.addTree(n)
			}
		}
		return c.findings(func(a *acc) string {
			return "OS package cache: " + plural(a.files, "file", "files") + " in " + strings.Join(firstN(rootsOf(a), 2), ", ")
		})
	},
}

// sdistName matches NAME-VERSION.tar.gz, .tar.bz2, .zip with a version that
// starts with a digit: what `pip download` and `python -m build` leave.
var sdistName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._]*-[0-9][A-Za-z0-9.+!_-]*\.(tar\.gz|tgz|tar\.bz2|zip)$`)

// wheelKeep are the places where wheels are part of an installation:
// ensurepip's bundled pip, Debian's python-wheels (venv's ensurepip),
// virtualenv's seed wheels.
func wheelKeep(p string) bool {
	return strings.Contains(p, "/ensurepip/_bundled/") || underDir(p, "/usr/share/python-wheels") ||
		strings.Contains(p, "/virtualenv/seed/wheels/") || inPythonLib(p)
}

// inCondaPkgs reports whether n lies in a conda package cache (a pkgs
// directory beside conda-meta, or ~/.conda/pkgs): SP302 counts those.
func inCondaPkgs(n *Node) bool {
	for x := n.parent; x != nil && x.parent != nil; x = x.parent {
		if x.Name() == "pkgs" && (x.parent.children["conda-meta"] != nil || x.parent.Name() == ".conda") {
			return true
		}
	}
	return false
}

var wheelsAndSdistsRule = &Rule{
	ID:       "SP305",
	Name:     "wheels-and-sdists",
	Category: "caches",
	Severity: SeverityLow,
	Doc:      "*.whl files and sdists (NAME-VERSION.tar.gz/.zip) left after installing, outside caches, Python library trees and the system directories (/usr but /usr/src and /usr/local/src, /var, /etc, /lib)",
	Fix:      "install from a build stage or a bind mount (RUN --mount=type=bind,from=build,source=/wheels,target=/wheels pip install /wheels/*.whl), or delete the files in the same RUN",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, n := range p.Nodes() {
			if n.Kind != KindFile || hasPathElement(n.Path, ".cache") || inCondaPkgs(n) {
				continue
			}
			name := n.Name()
			switch {
			case strings.HasSuffix(name, ".whl"):
				if wheelKeep(n.Path) {
					continue
				}
			case sdistName.MatchString(name):
				system := (underDir(n.Path, "/usr") && !underDir(n.Path, "/usr/src") && !underDir(n.Path, "/usr/local/src")) ||
					underDir(n.Path, "/var") || underDir(n.Path, "/etc") || underDir(n.Path, "/lib") ||
					underDir(n.Path, "/proc") || underDir(n.Path, "/sys")
				if system || inPythonLib(n.Path) {
					continue
				}
			default:
				continue
			}
			c.addFile(n, "")
		}
		return c.findings(func(a *acc) string {
			return "wheels and source archives left in the image: " + plural(a.files, "file", "files")
		})
	},
}
