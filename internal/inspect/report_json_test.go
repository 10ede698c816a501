package inspect

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

func indentedJSON(t *testing.T, r Report) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func checkWriteJSON(t *testing.T, r Report) {
	t.Helper()
	var got bytes.Buffer
	if err := r.WriteJSON(&got); err != nil {
		t.Fatal(err)
	}
	if want := indentedJSON(t, r); !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteJSON differs from json.Encoder:\n%s", firstDiff(got.Bytes(), want))
	}
}

// WriteJSON writes what json.Encoder with SetIndent("", "  ") writes, byte
// for byte, on every fixture image with and without the rules, and on
// reports with empty, nil and odd values.
func TestWriteJSONMatchesEncoder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Now = testNow
	for name, ref := range fixtureRefs(t) {
		t.Run(name, func(t *testing.T) {
			a := analyzeFixture(t, ref)
			checkWriteJSON(t, a.Report())
			checkWriteJSON(t, a.ReportWithFindings(cfg))
		})
	}
	odd := Report{
		Layers: []LayerReport{},
		Waste: WasteReport{ByReason: map[string]int64{"deleted": 1, "<a&b>": 2}, Copies: []fsview.Copy{
			{Path: "/a/<script>&\u2028", Layer: 1, Size: 3, Hash: 9, Reason: fsview.Opaque},
			{Path: "/bad/\xff\xfe", HiddenBy: 2},
		}},
		Duplicates: DuplicatesReport{Groups: []fsview.DuplicateGroup{{Size: 1, Hash: "00", Paths: []string{}}}},
		Findings:   []rules.Finding{{Paths: []string{"/x"}, Packages: []rules.FindingPackage{{Name: "p"}}}},
		Categories: map[string]int64{},
		Summary:    &rules.FindingsSummary{BySeverity: map[string]int{}},
	}
	t.Run("odd", func(t *testing.T) { checkWriteJSON(t, odd) })
	t.Run("zero", func(t *testing.T) { checkWriteJSON(t, Report{}) })
}
