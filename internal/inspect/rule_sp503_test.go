package inspect

import (
	"archive/tar"
	"testing"
)

// SP503: files stored again with the same content (a chown).
func TestSP503(t *testing.T) {
	ruleGolden(t, "SP503", ruleCase{layers: []ruleLayer{
		{createdBy: "COPY . /app", entries: []tarEntry{sized("app/app.py", 2400)}},
		{createdBy: "RUN chown -R 1000 /app", entries: []tarEntry{{name: "app/app.py", typ: tar.TypeReg, content: sized("app/app.py", 2400).content, uid: 1000}}},
	}})
}
