package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP112: bytecode in __pycache__ whose source is gone.
func TestSP112(t *testing.T) {
	ruleGolden(t, "SP112", ruleCase{layers: []ruleLayer{{createdBy: "RUN rm app/gone.py", entries: []tartest.Entry{
		sized("app/kept.py", 100),
		sized("app/__pycache__/kept.cpython-311.pyc", 700),
		sized("app/__pycache__/gone.cpython-311.pyc", 700),
	}}}})
}
