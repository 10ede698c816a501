package rules

import (
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/words"
)

var stdlibTestsRule = &Rule{
	ID:       "SP101",
	Name:     "stdlib-tests",
	Category: "python-tests",
	Severity: SeverityMedium,
	Doc:      "CPython's own test suite (lib/python3.N/test, idlelib/idle_test, tkinter/test, lib2to3/tests, ctypes/test, unittest/test, ...) with its __pycache__",
	Fix:      "delete PREFIX/lib/python3.N/test and the other test dirs in the RUN that builds or installs Python (or use a -slim base image)",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		for _, lib := range p.index().stdlibDirs {
			for _, rel := range stdlibTestDirs {
				n := p.FS.Lookup(lib.Path + "/" + rel)
				if n == nil || n.Kind != layer.KindDir {
					continue
				}
				c.addTree(n)
			}
		}
		return c.findings(func(a *acc) string {
			return "Python standard library test suite: " + words.Count(len(a.roots), "directory", "directories") +
				", " + words.Count(a.files, "file", "files") + " (" + strings.Join(firstN(rootsOf(a), 2), ", ") + ")"
		})
	},
}

// stdlibTestDirs are the test suites inside a CPython standard library
// (PREFIX/lib/python3.N), relative to it. unittest itself, doctest and
// test.support's importable helpers elsewhere are API, not listed here.
var stdlibTestDirs = []string{
	"test",
	"idlelib/idle_test",
	"tkinter/test",
	"lib2to3/tests",
	"ctypes/test",
	"unittest/test",
	"distutils/tests",
	"sqlite3/test",
	"email/test",
	"json/tests",
	"bsddb/test",
	"lib-tk/test",
}
