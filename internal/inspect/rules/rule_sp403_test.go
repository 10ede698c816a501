package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP403: packages the image's own apt lists offer newer.
func TestSP403(t *testing.T) {
	ruleGolden(t, "SP403", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get update && apt-get install -y libc6", entries: append([]tartest.Entry{
		tartest.File("var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4", lz4Bytes(nil, debPkgIdx)),
	}, dpkgDB(dpkgPkg{name: "libc6", version: "2.36-9+deb12u4", files: []string{"/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		dpkgPkg{name: "dash", version: "0.5.12-2", files: []string{"/usr/bin/dash"}})...)}}})
}
