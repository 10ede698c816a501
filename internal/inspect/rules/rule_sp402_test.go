package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP402: a Python past, or near, the end of CPython's security support.
func TestSP402(t *testing.T) {
	ruleGolden(t, "SP402", ruleCase{layers: []ruleLayer{{createdBy: "RUN make install", entries: []tartest.Entry{
		exe(sized("usr/local/bin/python3.8", 16000)),
		sized("usr/local/lib/python3.8/os.py", 3000),
	}}}})
	if got := ruleRun(t, "SP402", ruleCase{layers: []ruleLayer{{createdBy: "RUN make install", entries: []tartest.Entry{
		exe(sized("usr/local/bin/python3.13", 16000)),
		sized("usr/local/lib/python3.13/os.py", 3000),
	}}}}); len(got) != 0 {
		t.Errorf("SP402 flags an image it must not: %+v", got)
	}
}
