package rules

// What SP102 (package tests) and SP103 (app tests) share: which
// directories and files are a test suite.

import (
	"regexp"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
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
func isTestSuiteDir(n *fsview.Node) bool {
	found := false
	var walk func(x *fsview.Node)
	walk = func(x *fsview.Node) {
		for c := range x.ChildNodes() {
			if found {
				return
			}
			switch c.Kind {
			case layer.KindDir:
				walk(c)
			case layer.KindFile, layer.KindSymlink:
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
func testDirsBelow(root *fsview.Node, skip func(*fsview.Node) bool) []*fsview.Node {
	var out []*fsview.Node
	var walk func(x *fsview.Node)
	walk = func(x *fsview.Node) {
		for _, c := range x.Children() {
			if c.Kind != layer.KindDir || skip(c) {
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
