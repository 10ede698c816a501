package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP301: pip's cache below a home directory.
func TestSP301(t *testing.T) {
	ruleGolden(t, "SP301", ruleCase{layers: []ruleLayer{{createdBy: "RUN pip install numpy", entries: []tartest.Entry{
		sized("root/.cache/pip/http-v2/a/b/c/body", 8000),
		sized("root/.cache/pip/wheels/ab/numpy-1.26.3-cp311-cp311-linux_x86_64.whl", 9000),
		sized("root/.cache/other/x", 100),
	}}}})
}
