package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP212: static libraries and libtool archives.
func TestSP212(t *testing.T) {
	ruleGolden(t, "SP212", ruleCase{layers: []ruleLayer{{createdBy: "RUN make install", entries: []tartest.Entry{
		sized(testLib+"/config-3.11-x86_64-linux-gnu/libpython3.11.a", 45000),
		sized("usr/lib/x86_64-linux-gnu/libz.la", 900),
		sized("usr/lib/x86_64-linux-gnu/libz.so.1", 9000),
	}}}})
}
