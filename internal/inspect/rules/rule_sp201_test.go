package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP201: compilers installed as OS packages, with the libraries only they use.
func TestSP201(t *testing.T) {
	ruleGolden(t, "SP201", ruleCase{layers: []ruleLayer{
		{createdBy: "ADD rootfs.tar /", entries: append([]tartest.Entry{
			exe(sized("usr/bin/dash", 9000)),
			sized("usr/lib/x86_64-linux-gnu/libc.so.6", 20000),
		}, dpkgDB(basePkgs...)...)},
		{createdBy: "RUN apt-get install -y gcc-12", entries: concat(gccFiles(), []tartest.Entry{
			sized("usr/include/stdio.h", 900),
			sized("usr/lib/x86_64-linux-gnu/libc.a", 25000),
		}, dpkgDB(append(append([]dpkgPkg{}, basePkgs...), gccPkgs...)...))},
	}})
	if got := ruleRun(t, "SP201", ruleCase{layers: []ruleLayer{{createdBy: "ADD rootfs.tar /", entries: dpkgDB(basePkgs...)}}}); len(got) != 0 {
		t.Errorf("SP201 flags an image it must not: %+v", got)
	}
}
