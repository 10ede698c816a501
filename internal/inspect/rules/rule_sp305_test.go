package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP305: wheels and source distributions left in the image.
func TestSP305(t *testing.T) {
	ruleGolden(t, "SP305", ruleCase{layers: []ruleLayer{{createdBy: "COPY dist /tmp", entries: []tartest.Entry{
		sized("tmp/numpy-1.26.3-cp311-cp311-linux_x86_64.whl", 7700),
		sized("tmp/mylib-1.0.tar.gz", 1234),
		sized(testLib+"/ensurepip/_bundled/pip-23.2.1-py3-none-any.whl", 2100),
	}}}})
}
