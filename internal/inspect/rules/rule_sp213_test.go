package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP213: -dev packages.
func TestSP213(t *testing.T) {
	ruleGolden(t, "SP213", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get install -y libc6-dev", entries: append([]tartest.Entry{
		sized("usr/lib/x86_64-linux-gnu/libc.so.6", 20000),
		sized("usr/include/stdio.h", 900),
		sized("usr/lib/x86_64-linux-gnu/libc.a", 25000),
	}, dpkgDB(
		dpkgPkg{name: "libc6", version: "2.36-9+deb12u4", files: []string{"/usr/lib/x86_64-linux-gnu/libc.so.6"}},
		dpkgPkg{name: "libc6-dev", version: "2.36-9+deb12u4", depends: "libc6", files: []string{"/usr/include/stdio.h", "/usr/lib/x86_64-linux-gnu/libc.a"}},
	)...)}}})
}
