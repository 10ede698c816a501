package inspect

import (
	"context"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/source"
)

// testNow is the date the tests' reports are made at.
var testNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

// fixtureDir holds the committed fixture images (made by internal/fixtures).
const fixtureDir = "../../testdata/images"

// analyzeFixture opens and analyses a fixture image.
func analyzeFixture(t *testing.T, ref string) *Analysis {
	t.Helper()
	src, err := source.Open(context.Background(), ref, source.OpenOptions{Platform: "linux/amd64"})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a, err := Analyze(context.Background(), src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return a
}
