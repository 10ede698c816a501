package rules_test

import (
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP501: identical files at different paths, the copies but one.
func TestSP501(t *testing.T) {
	ruleGolden(t, "SP501", ruleCase{layers: []ruleLayer{{createdBy: "COPY . /app", entries: []tartest.Entry{
		sameContent("app/static/logo.png", "LOGO", 5000),
		sameContent("app/assets/logo.png", "LOGO", 5000),
		sameContent("app/small/a.txt", "tiny", 100),
		sameContent("app/small/b.txt", "tiny", 100),
	}}}, settings: func(c *inspect.Config) { c.DuplicatesMinSize = 4096 }})
}
