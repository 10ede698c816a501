package report

import (
	"bytes"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
)

// TestTextNegativeTop: a negative row count (inspect --top -1 reached here
// and panicked slicing s[:-1]) is the default.
func TestTextNegativeTop(t *testing.T) {
	r := inspect.Report{
		Layers: []inspect.LayerReport{{Index: 0}},
		Waste:  inspect.WasteReport{Copies: []fsview.Copy{{Path: "/a"}, {Path: "/b"}}},
	}
	var buf bytes.Buffer
	if err := Text(&buf, r, TextOptions{Top: -1, Columns: -1}); err != nil {
		t.Fatal(err)
	}
}
