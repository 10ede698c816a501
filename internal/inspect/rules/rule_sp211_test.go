package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP211: C/C++ headers.
func TestSP211(t *testing.T) {
	ruleGolden(t, "SP211", ruleCase{layers: []ruleLayer{{createdBy: "RUN apt-get install -y libc6-dev", entries: []tartest.Entry{
		sized("usr/include/stdio.h", 900),
		sized("usr/include/sys/types.h", 400),
		sized("usr/local/include/python3.11/Python.h", 1100),
	}}}})
}
