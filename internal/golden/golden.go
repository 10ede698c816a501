// Package golden compares a test's output with a golden file; `go test
// -update` (a flag the test package declares, or teatest's) rewrites the
// file first.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/aymanbagabas/go-udiff"
)

// Require fails t when text differs from the file at path, showing the
// unified diff; with -update it writes text to path first.
func Require(t testing.TB, path, text string) {
	t.Helper()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := udiff.Unified(path, "got", string(want), text); d != "" {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, d)
	}
}
