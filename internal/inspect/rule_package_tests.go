package inspect

import (
	"regexp"
	"sort"
	"strings"
)

// testFileName matches the modules a test runner collects: test_*.py,
// *_test.py, *_tests.py, conftest.py (and their bytecode).
var testFileName = regexp.MustCompile(`^(test_.*|.*_tests?|conftest)(\.cpython-[0-9]+(\.opt-[12])?)?\.pyc?$`)

// testAPIDirs are directories named test/tests that are importable API, not
// a test suite: never flagged, whatever they hold.
var testAPIDirs = []string{
	"django/test",
	"_pytest",
	"pytest",
}

// isTestSuiteDir reports whether a directory named test or tests holds a
// test suite: at least one test module (testFileName) at any depth below it.
// django/test (API: TestCase, Client) holds none and is left alone;
// numpy/testing and pandas/_testing are not named test(s) at all.
func isTestSuiteDir(n *Node) bool {
	found := false
	var walk func(x *Node)
	walk = func(x *Node) {
		for _, c := range x.children {
			if found {
				return
			}
			switch c.Kind {
			case KindDir:
				walk(c)
			case KindFile, KindSymlink:
				if testFileName.MatchString(c.Name()) {
					found = true
				}
			}
		}
	}
	walk(n)
	return found
}

func isTestAPIDir(p string) bool {
	for _, d := range testAPIDirs {
		if strings.HasSuffix(p, "/"+d) || strings.Contains(p, "/"+d+"/") {
			return true
		}
	}
	return false
}

// testDirsBelow finds the outermost test suite directories below root.
func testDirsBelow(root *Node, skip func(*Node) bool) []*Node {
	var out []*Node
	var walk func(x *Node)
	walk = func(x *Node) {
		for _, c := range x.Children() {
			if c.Kind != KindDir || skip(c) {
				continue
			}
			name := c.Name()
			if (name == "tests" || name == "test") && !isTestAPIDir(c.Path) && isTestSuiteDir(c) {
				out = append(out, c)
				continue // outermost only
			}
			walk(c)
		}
	}
	walk(root)
	return out
}

var packageTestsRule = &Rule{
	ID:       "SP102",
	Name:     "package-tests",
	Category: "python-tests",
	Severity: SeverityLow,
	Doc:      "test suites shipped inside installed distributions (tests/ and test/ directories holding test modules in site-packages or dist-packages), with their __pycache__",
	Fix:      "delete them after installing, in the same RUN (find SITE -depth -type d -name tests -exec rm -rf {} +), or install from wheels that leave tests out",
	Check: func(p *Pass) []Finding {
		c := p.collector()
		seenSite := map[string]bool{}
		for _, site := range p.index().siteDirs {
			if seenSite[site.Path] {
				continue
			}
			seenSite[site.Path] = true
			dirs := testDirsBelow(site, func(n *Node) bool {
				// A nested site-packages (a venv inside) is visited on its own.
				name := n.Name()
				return name == "site-packages" || name == "dist-packages"
			})
			for _, d := range dirs {
				c.addTree(d)
				// Name the distribution that ships it, from its RECORD
				// (or its OS package's file list for Debian's dist-packages).
				if dist := p.testDirOwner(d); dist != nil {
					a := c.acc(p.treeLayer(d))
					a.addPkg(FindingPackage{Name: dist.Name, Version: dist.Version, Manager: orDefault(dist.Installer, "unknown"), Location: dist.Location})
				}
			}
		}
		fs := c.findings(func(a *acc) string {
			names := make([]string, 0, len(a.pkgs))
			for _, pk := range a.pkgs {
				names = append(names, pk.Name)
			}
			sort.Strings(names)
			t := "test suites of installed Python packages: " + plural(len(a.roots), "directory", "directories") + ", " + plural(a.files, "file", "files")
			if len(names) > 0 {
				t += " (" + strings.Join(firstN(names, 4), ", ") + ")"
			}
			return t
		})
		return fs
	},
}

// testDirOwner is the distribution whose file list names a file below d.
func (p *Pass) testDirOwner(d *Node) *PythonDist {
	var owner *PythonDist
	var walk func(x *Node)
	walk = func(x *Node) {
		for _, c := range x.children {
			if owner != nil {
				return
			}
			if c.Kind == KindDir {
				walk(c)
				continue
			}
			if dist, ok := p.DistOwner(c.Path); ok {
				owner = dist
			}
		}
	}
	walk(d)
	return owner
}
