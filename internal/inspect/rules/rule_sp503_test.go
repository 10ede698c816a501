package rules_test

import (
	"archive/tar"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// SP503: files stored again with the same content (a chown).
func TestSP503(t *testing.T) {
	ruleGolden(t, "SP503", ruleCase{layers: []ruleLayer{
		{createdBy: "COPY . /app", entries: []tartest.Entry{sized("app/app.py", 2400)}},
		{createdBy: "RUN chown -R 1000 /app", entries: []tartest.Entry{{Name: "app/app.py", Type: tar.TypeReg, Content: sized("app/app.py", 2400).Content, UID: 1000}}},
	}})
}
