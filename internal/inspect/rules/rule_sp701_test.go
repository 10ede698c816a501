package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP701: documentation and man pages.
func TestSP701(t *testing.T) {
	ruleGolden(t, "SP701", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get install -y dash", entries: []tartest.Entry{
		sized("usr/share/doc/dash/changelog.gz", 3000),
		sized("usr/share/man/man1/dash.1.gz", 4000),
		sized("usr/bin/dash", 9000),
	}}}})
}
