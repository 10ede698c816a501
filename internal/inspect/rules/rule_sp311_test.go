package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP311: pip, setuptools and wheel in the runtime environment.
func TestSP311(t *testing.T) {
	ruleGolden(t, "SP311", ruleCase{layers: []ruleLayer{{createdBy: "RUN python -m ensurepip", entries: concat(
		[]tartest.Entry{
			sized(testSite+"/pip/__init__.py", 300),
			sized(testSite+"/pip/_internal/main.py", 2700),
		},
		distInfo(testSite, "pip", "24.0", "pip/__init__.py", "pip/_internal/main.py"),
	)}}})
}
