package inspect

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// A saved JSON report (a CI baseline) must decode into the Report it came
// from, waste and findings included.
func TestReportJSONRoundTrip(t *testing.T) {
	for _, name := range []string{"whiteouts.tar", "python.tar", "chown.tar"} {
		t.Run(name, func(t *testing.T) {
			a := analyzeFixture(t, "docker-archive:"+filepath.Join(fixtureDir, name))
			r := a.ReportWithFindings(Config{Config: rules.Config{Now: testNow}})
			if r.Totals.WastedBytes == 0 && name == "whiteouts.tar" {
				t.Fatal("whiteouts.tar should have waste: the round trip would not cover HideReason")
			}
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var back Report
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatalf("decoding its own JSON: %v", err)
			}
			b2, err := json.Marshal(back)
			if err != nil {
				t.Fatal(err)
			}
			var x, y any
			json.Unmarshal(b, &x)
			json.Unmarshal(b2, &y)
			if !reflect.DeepEqual(x, y) {
				t.Fatalf("report changed in a JSON round trip:\n%s\n%s", b, b2)
			}
		})
	}
}

func TestHideReasonText(t *testing.T) {
	for _, r := range []fsview.HideReason{fsview.Overwritten, fsview.Deleted, fsview.Opaque} {
		b, _ := r.MarshalText()
		var back fsview.HideReason
		if err := back.UnmarshalText(b); err != nil || back != r {
			t.Fatalf("%v: got %v, %v", r, back, err)
		}
	}
	var r fsview.HideReason
	if err := r.UnmarshalText([]byte("vanished")); err == nil {
		t.Fatal("an unknown reason must be an error")
	}
}
