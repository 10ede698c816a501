package rules

import (
	"path"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var appTestsRule = &Rule{
	ID:       "SP103",
	Name:     "app-tests",
	Category: "python-tests",
	Severity: SeverityLow,
	Doc:      "the application's own test directories (tests/ or test/ holding test modules) under the image's WorkingDir",
	Fix:      "add tests/ to .dockerignore, or COPY only the package and its entry point into the runtime stage",
	Check: func(p *Pass) []Finding {
		wd := path.Clean("/" + p.Config.Config.WorkingDir)
		if p.Config.Config.WorkingDir == "" || wd == "/" {
			return nil // the whole file system is no application tree
		}
		root := p.FS.Lookup(wd)
		if root == nil || root.Kind != layer.KindDir {
			return nil
		}
		c := p.collector()
		dirs := testDirsBelow(root, func(n *fsview.Node) bool {
			// Installed packages (a venv inside the app) belong to SP102.
			return inPythonLib(n.Path) || n.Name() == "node_modules" || n.Name() == ".git"
		})
		for _, d := range dirs {
			c.addTree(d)
		}
		return c.findings(func(a *acc) string {
			return "application tests under " + wd + ": " + words.Count(len(a.roots), "directory", "directories") + ", " + words.Count(a.files, "file", "files")
		})
	},
}
