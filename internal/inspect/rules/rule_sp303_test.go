package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP303: apt's downloaded package lists.
func TestSP303(t *testing.T) {
	ruleGolden(t, "SP303", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get update", entries: []tartest.Entry{
		tartest.File("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", lz4Bytes(nil, debPkgIdx)),
		tartest.File("var/lib/apt/lists/lock", ""),
		tartest.Dir("var/lib/apt/lists/partial"),
	}}}})
	if got := ruleRun(t, "SP303", ruleCase{layers: []ruleLayer{
		{createdBy: "RUN apt-get update", entries: []tartest.Entry{sized("var/lib/apt/lists/x_Packages", 5000)}},
		{createdBy: "RUN rm -rf /var/lib/apt/lists/*", entries: []tartest.Entry{tartest.Whiteout("var/lib/apt/lists/x_Packages")}},
	}}); len(got) != 0 {
		t.Errorf("SP303 flags an image it must not: %+v", got)
	}
}
