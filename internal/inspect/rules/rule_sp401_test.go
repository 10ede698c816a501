package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP401: the OS release's end of life, from os-release and debian_version.
func TestSP401(t *testing.T) {
	ruleGolden(t, "SP401", ruleCase{layers: []ruleLayer{{createdBy: "ADD rootfs.tar /", entries: []tartest.Entry{
		tartest.File("etc/debian_version", "11.9\n"),
		tartest.File("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"11\"\nID=debian\n"),
	}}}})
	if got := ruleRun(t, "SP401", ruleCase{layers: []ruleLayer{{createdBy: "ADD rootfs.tar /", entries: []tartest.Entry{
		sized("usr/bin/true", 100), // no os-release: nothing to judge
	}}}}); len(got) != 0 {
		t.Errorf("SP401 flags an image it must not: %+v", got)
	}
}
