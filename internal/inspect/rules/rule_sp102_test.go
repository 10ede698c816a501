package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP102: test suites inside installed distributions, named by their owner; django/test is API.
func TestSP102(t *testing.T) {
	ruleGolden(t, "SP102", ruleCase{layers: []ruleLayer{{createdBy: "RUN pip install numpy django", entries: concat(
		[]tartest.Entry{
			sized(testSite+"/numpy/__init__.py", 4000),
			sized(testSite+"/numpy/core/tests/test_multiarray.py", 12000),
			sized(testSite+"/django/test/client.py", 3300),
		},
		distInfo(testSite, "numpy", "1.26.3", "numpy/__init__.py", "numpy/core/tests/test_multiarray.py"),
	)}}})
	if got := ruleRun(t, "SP102", ruleCase{layers: []ruleLayer{{createdBy: "RUN pip install numpy", entries: []tartest.Entry{
		sized(testSite+"/numpy/core/tests/data.bin", 100), // no test module
	}}}}); len(got) != 0 {
		t.Errorf("SP102 flags an image it must not: %+v", got)
	}
}
