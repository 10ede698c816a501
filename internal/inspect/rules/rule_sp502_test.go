package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP502: bytes a layer hides: overwritten and deleted copies.
func TestSP502(t *testing.T) {
	ruleGolden(t, "SP502", ruleCase{layers: []ruleLayer{
		{createdBy: "RUN build", entries: []tartest.Entry{sized("opt/big.bin", 9000), sized("opt/tmp.log", 3000)}},
		{createdBy: "RUN rm /opt/tmp.log && rebuild", entries: []tartest.Entry{tartest.Whiteout("opt/tmp.log"), sized("opt/big.bin", 9001)}},
	}})
}
