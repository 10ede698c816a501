package rules

import (
	"path"
	"regexp"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var headerFilesRule = &Rule{
	ID:       "SP211",
	Name:     "header-files",
	Category: "headers",
	Severity: SeverityLow,
	Doc:      "C/C++ headers: /usr/include, /usr/local/include, PREFIX/include of a Python installation (conda, venvs), and *.h shipped inside site-packages or dist-packages",
	Fix:      "compile in a build stage; in the runtime stage install the libraries without their -dev packages (or rm -rf /usr/local/include after building)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		roots := []string{"/usr/include", "/usr/local/include"}
		// PREFIX/include where PREFIX holds a Python (conda, a venv's include/site).
		for _, lib := range p.index().stdlibDirs {
			prefix := path.Dir(path.Dir(lib.Path))
			roots = append(roots, prefix+"/include")
		}
		for _, site := range p.index().siteDirs {
			// A venv: PREFIX/lib/python3.N/site-packages → PREFIX/include.
			if prefix := path.Dir(path.Dir(path.Dir(site.Path))); prefix != "/" {
				roots = append(roots, prefix+"/include")
			}
		}
		done := map[string]bool{}
		for _, r := range roots {
			if done[r] {
				continue
			}
			done[r] = true
			covered := false
			for d := range done {
				if d != r && fsview.UnderDir(r, d) {
					covered = true
				}
			}
			if n := p.FS.Lookup(r); n != nil && n.Kind == layer.KindDir && !covered {
				c.addTree(n)
			}
		}
		for _, n := range p.Nodes() {
			if n.Kind == layer.KindFile && headerFile.MatchString(n.Name()) && (hasPathElement(n.Path, "site-packages") || hasPathElement(n.Path, "dist-packages")) {
				c.addFile(n, "")
			}
		}
		return c.findings(func(a *acc) string {
			return "C/C++ headers: " + words.Count(a.files, "file", "files") + " (" + strings.Join(firstN(rootsOf(a), 2), ", ") + ")"
		})
	},
}

// headerFile matches C and C++ headers.
var headerFile = regexp.MustCompile(`\.(h|hh|hpp|hxx)$`)
