package rules_test

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP103: test suites under the WorkingDir.
func TestSP103(t *testing.T) {
	ruleGolden(t, "SP103", ruleCase{config: v1.Config{WorkingDir: "/app"}, layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{
		sized("app/app.py", 2400),
		sized("app/tests/conftest.py", 300),
		sized("app/tests/test_app.py", 1600),
	}}}})
	if got := ruleRun(t, "SP103", ruleCase{config: v1.Config{WorkingDir: "/"}, layers: []ruleLayer{{createdBy: "COPY . /", entries: []tartest.Entry{
		sized("tests/test_app.py", 1600), // the WorkingDir / is never an app
	}}}}); len(got) != 0 {
		t.Errorf("SP103 flags an image it must not: %+v", got)
	}
}
