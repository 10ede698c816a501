package rules_test

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP601: the container runs as root.
func TestSP601(t *testing.T) {
	ruleGolden(t, "SP601", ruleCase{config: v1.Config{Cmd: []string{"python3"}}, layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{sized("app/app.py", 10)}}}})
	if got := ruleRun(t, "SP601", ruleCase{config: v1.Config{User: "10001", Cmd: []string{"python3"}}, layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{sized("app/app.py", 10)}}}}); len(got) != 0 {
		t.Errorf("SP601 flags an image it must not: %+v", got)
	}
}
