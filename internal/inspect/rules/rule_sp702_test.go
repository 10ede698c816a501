package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP702: translations; locale.alias stays (glibc reads it).
func TestSP702(t *testing.T) {
	ruleGolden(t, "SP702", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get install -y libc6", entries: []tartest.Entry{
		sized("usr/share/locale/de/LC_MESSAGES/libc.mo", 6000),
		sized("usr/share/locale/locale.alias", 2000),
	}}}})
}
