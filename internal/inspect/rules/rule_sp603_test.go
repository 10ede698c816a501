package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP603: .git directories.
func TestSP603(t *testing.T) {
	ruleGolden(t, "SP603", ruleCase{layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{
		sized("app/.git/config", 120),
		sized("app/.git/objects/pack/pack-1.pack", 9900),
		sized("app/app.py", 100),
	}}}})
}
