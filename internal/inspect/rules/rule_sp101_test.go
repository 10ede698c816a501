package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP101: CPython's own test suite below a standard library; unittest itself stays.
func TestSP101(t *testing.T) {
	ruleGolden(t, "SP101", ruleCase{layers: []ruleLayer{{createdBy: "RUN make install", entries: []tartest.Entry{
		sized(testLib+"/os.py", 3000),
		sized(testLib+"/test/__init__.py", 10),
		sized(testLib+"/test/test_os.py", 5000),
		sized(testLib+"/idlelib/idle_test/test_config.py", 1200),
		sized(testLib+"/unittest/case.py", 4000),
	}}}})
	if got := ruleRun(t, "SP101", ruleCase{layers: []ruleLayer{{createdBy: "RUN make install", entries: []tartest.Entry{
		sized("srv/lib/python3.11/test/test_os.py", 5000), // no standard library beside it
	}}}}); len(got) != 0 {
		t.Errorf("SP101 flags an image it must not: %+v", got)
	}
}
