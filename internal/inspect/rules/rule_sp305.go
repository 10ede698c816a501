package rules

import (
	"regexp"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

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
			if n.Kind != layer.KindFile || hasPathElement(n.Path, ".cache") || inCondaPkgs(n) {
				continue
			}
			name := n.Name()
			switch {
			case strings.HasSuffix(name, ".whl"):
				if wheelKeep(n.Path) {
					continue
				}
			case isSdistName(name):
				system := (fsview.UnderDir(n.Path, "/usr") && !fsview.UnderDir(n.Path, "/usr/src") && !fsview.UnderDir(n.Path, "/usr/local/src")) ||
					fsview.UnderDir(n.Path, "/var") || fsview.UnderDir(n.Path, "/etc") || fsview.UnderDir(n.Path, "/lib") ||
					fsview.UnderDir(n.Path, "/proc") || fsview.UnderDir(n.Path, "/sys")
				if system || inPythonLib(n.Path) {
					continue
				}
			default:
				continue
			}
			c.addFile(n, "")
		}
		return c.findings(func(a *acc) string {
			return "wheels and source archives left in the image: " + words.Count(a.files, "file", "files")
		})
	},
}

// sdistName matches NAME-VERSION.tar.gz, .tar.bz2, .zip with a version that
// starts with a digit: what `pip download` and `python -m build` leave.
var sdistName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._]*-[0-9][A-Za-z0-9.+!_-]*\.(tar\.gz|tgz|tar\.bz2|zip)$`)

// isSdistName: sdistName, asked only of archives' names (it runs on
// every file).
func isSdistName(name string) bool {
	for _, ext := range []string{".tar.gz", ".tgz", ".tar.bz2", ".zip"} {
		if strings.HasSuffix(name, ext) {
			return sdistName.MatchString(name)
		}
	}
	return false
}

// wheelKeep are the places where wheels are part of an installation:
// ensurepip's bundled pip, Debian's python-wheels (venv's ensurepip),
// virtualenv's seed wheels.
func wheelKeep(p string) bool {
	return strings.Contains(p, "/ensurepip/_bundled/") || fsview.UnderDir(p, "/usr/share/python-wheels") ||
		strings.Contains(p, "/virtualenv/seed/wheels/") || inPythonLib(p)
}

// inCondaPkgs reports whether n lies in a conda package cache (a pkgs
// directory beside conda-meta, or ~/.conda/pkgs): SP302 counts those.
func inCondaPkgs(n *fsview.Node) bool {
	for x := n.Parent(); x != nil && x.Parent() != nil; x = x.Parent() {
		if x.Name() == "pkgs" && (x.Parent().Child("conda-meta") != nil || x.Parent().Name() == ".conda") {
			return true
		}
	}
	return false
}
