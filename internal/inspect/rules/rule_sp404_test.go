package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP404: pip older than the release that fixes a known CVE, installed by pip.
func TestSP404(t *testing.T) {
	ruleGolden(t, "SP404", ruleCase{layers: []ruleLayer{{createdBy: "RUN python -m ensurepip", entries: concat(
		[]tartest.Entry{sized(testSite+"/pip/__init__.py", 300)},
		distInfo(testSite, "pip", "23.2.1", "pip/__init__.py"),
	)}}})
	if got := ruleRun(t, "SP404", ruleCase{layers: []ruleLayer{{createdBy: "RUN python -m ensurepip", entries: concat(
		[]tartest.Entry{sized(testSite+"/pip/__init__.py", 300)},
		distInfo(testSite, "pip", "25.3", "pip/__init__.py"),
	)}}}); len(got) != 0 {
		t.Errorf("SP404 flags an image it must not: %+v", got)
	}
}
