package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP202: compilers no OS package owns.
func TestSP202(t *testing.T) {
	ruleGolden(t, "SP202", ruleCase{layers: []ruleLayer{{createdBy: "ADD go.tar.gz /usr/local", entries: []tartest.Entry{
		exe(sized("usr/local/go/bin/go", 12000)),
		sized("usr/local/go/src/fmt/print.go", 3000),
		exe(sized("usr/local/bin/gcc", 4000)),
	}}}})
	if got := ruleRun(t, "SP202", ruleCase{layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{
		sized("app/bin/gcc", 4000), // not executable
	}}}}); len(got) != 0 {
		t.Errorf("SP202 flags an image it must not: %+v", got)
	}
}
