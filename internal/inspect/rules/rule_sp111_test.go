package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP111: -O and -OO bytecode in __pycache__.
func TestSP111(t *testing.T) {
	ruleGolden(t, "SP111", ruleCase{layers: []ruleLayer{{createdBy: "RUN python -O -m compileall", entries: []tartest.Entry{
		sized(testLib+"/os.py", 3000),
		sized(testLib+"/__pycache__/os.cpython-311.pyc", 1500),
		sized(testLib+"/__pycache__/os.cpython-311.opt-1.pyc", 1400),
		sized(testLib+"/__pycache__/os.cpython-311.opt-2.pyc", 1300),
	}}}})
	if got := ruleRun(t, "SP111", ruleCase{layers: []ruleLayer{{createdBy: "RUN python -m compileall", entries: []tartest.Entry{
		sized(testLib+"/__pycache__/os.cpython-311.pyc", 1500),
		sized(testLib+"/os.opt-1.pyc", 1400), // not in __pycache__
	}}}}); len(got) != 0 {
		t.Errorf("SP111 flags an image it must not: %+v", got)
	}
}
