package report

import (
	"context"
	"flag"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/golden"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

var _ = flag.Bool("update", false, "rewrite the golden files")

// demoReport is the report of the committed demo image, with its findings
// as of a fixed date.
func demoReport(t *testing.T) inspect.Report {
	t.Helper()
	ctx := context.Background()
	src, err := source.Open(ctx, filepath.Join("..", "..", "testdata", "images", "demo.tar"), source.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a, err := inspect.Analyze(ctx, src, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := inspect.DefaultConfig()
	cfg.Now = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r := a.ReportWithFindings(cfg)
	r.Image.Reference = "testdata/images/demo.tar"
	return r
}

// TestTextGolden: the text report of the demo image at 80 and 120
// columns: the headline first, no line wider than the columns, one name
// per figure.
func TestTextGolden(t *testing.T) {
	r := demoReport(t)
	for _, cols := range []int{80, 120} {
		var b strings.Builder
		if err := Text(&b, r, TextOptions{Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Columns: cols}); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		name := map[int]string{80: "demo-80", 120: "demo-120"}[cols]
		t.Run(name, func(t *testing.T) {
			checkText(t, out, cols)
			golden.Require(t, filepath.Join("testdata", name+".golden"), out)
		})
	}
}

// checkText: no line is wider than cols; the headline (recoverable bytes,
// score, top findings) comes before the details; "efficiency" is only
// the layer efficiency, "duplicates" only a category's ID.
func checkText(t *testing.T, out string, cols int) {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if w := ansi.StringWidth(l); w > cols {
			t.Errorf("line of %d columns, more than %d: %q", w, cols, l)
		}
		lower := strings.ToLower(l)
		if strings.Contains(lower, "efficiency") && !strings.Contains(lower, "layer efficiency") {
			t.Errorf("an efficiency that is not the layer efficiency: %q", l)
		}
		if strings.Contains(lower, "duplicate") && !strings.Contains(l, "[duplicates]") {
			t.Errorf("duplicates used for something else than the category: %q", l)
		}
	}
	order := []string{"Recoverable ", "score ", "Layer efficiency ", "Top findings", "\nLayers\n", "\nFindings (rules"}
	last := -1
	for _, w := range order {
		i := strings.Index(out, w)
		if i < 0 || i < last {
			t.Errorf("%q missing or out of order", w)
		}
		last = i
	}
}
