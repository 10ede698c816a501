package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP304: downloaded .deb archives and apt's binary caches.
func TestSP304(t *testing.T) {
	ruleGolden(t, "SP304", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get install -y gcc-12", entries: []tartest.Entry{
		sized("var/cache/apt/archives/gcc-12_12.2.0-14_amd64.deb", 14000),
		sized("var/cache/apt/pkgcache.bin", 1500),
	}}}})
}
