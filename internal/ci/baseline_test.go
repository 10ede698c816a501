package ci

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// fixtureReport is the JSON of 'slimpy inspect --format json' on
// testdata/images/python.tar (findings and categories included).
const fixtureReport = "testdata/python.json"

func readFixture(t testing.TB) (inspect.Report, []byte) {
	t.Helper()
	b, err := os.ReadFile(fixtureReport)
	if err != nil {
		t.Fatal(err)
	}
	r, err := DecodeBaseline(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("the fixture report: %v", err)
	}
	return r, b
}

func TestReadBaseline(t *testing.T) {
	r, err := ReadBaseline(fixtureReport)
	if err != nil || len(r.Findings) == 0 || len(r.Layers) == 0 || r.Totals.Size == 0 {
		t.Fatalf("%v: %+v", err, r.Totals)
	}
	if _, err := ReadBaseline(filepath.Join(t.TempDir(), "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "baseline: ") {
		t.Errorf("a missing file: %v", err)
	}
	dir := t.TempDir()
	for name, c := range map[string]struct{ json, want string }{
		"garbage":        {"PK\x03\x04", "not a slimpy JSON report: invalid character"},
		"empty":          {"", "not a slimpy JSON report: unexpected end of JSON input"},
		"empty object":   {"{}", "no schemaVersion"},
		"null":           {"null", "no schemaVersion"},
		"array":          {"[1]", "not a slimpy JSON report: json: cannot unmarshal array"},
		"trailing data":  {`{"schemaVersion":1} {}`, "not a slimpy JSON report: data after the report"},
		"future schema":  {`{"schemaVersion":2}`, "schemaVersion 2; this slimpy reads 1"},
		"negative size":  {`{"schemaVersion":1,"totals":{"size":-1}}`, "totals.size is -1"},
		"huge size":      {`{"schemaVersion":1,"totals":{"storedSize":9223372036854775807}}`, "totals.storedSize is 9223372036854775807"},
		"efficiency":     {`{"schemaVersion":1,"totals":{"efficiency":1.5}}`, "totals.efficiency is 1.5"},
		"layer":          {`{"schemaVersion":1,"totals":{"efficiency":1},"layers":[{},{"size":-5}]}`, "layers[1].size is -5"},
		"category":       {`{"schemaVersion":1,"totals":{"efficiency":1},"categories":{"caches":-1}}`, `categories["caches"] is -1`},
		"finding":        {`{"schemaVersion":1,"totals":{"efficiency":1},"findings":[{"bytes":-2}]}`, "findings[0].bytes is -2"},
		"wrong type":     {`{"schemaVersion":1,"totals":{"size":"big"}}`, "cannot unmarshal string"},
		"skipped list":   {`{"schemaVersion":1,"waste":{"copies":[{"reason":}]}}`, "not a slimpy JSON report: invalid character '}'"},
		"cut short":      {`{"schemaVersion":1,"layers":[{}`, "not a slimpy JSON report: unexpected end of JSON input"},
		"layers object":  {`{"schemaVersion":1,"layers":{}}`, "json: cannot unmarshal object into an array"},
		"too many items": {`{"schemaVersion":1,"layers":[` + strings.Repeat("{},", 250_000) + `{}]}`, "more than 250,000 layers, findings, packages and categories"},
		"float overflow": {`{"schemaVersion":1,"totals":{"efficiency":1e999}}`, "not a slimpy JSON report"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		if err := os.WriteFile(p, []byte(c.json), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadBaseline(p)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "baseline "+p+": ") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	// Only what ci compares is kept: of a finding's paths, the least.
	r, err = DecodeBaseline(strings.NewReader(`{"schemaVersion":1,"totals":{"efficiency":1},"image":{"reference":"app:1","env":["A=1"]},"findings":[{"rule":"SP301","paths":["/b","/a","/c"],"packages":[{"manager":"dpkg","name":"gcc","version":"12"}]}]}`))
	if err != nil || r.Image.Reference != "app:1" || len(r.Findings) != 1 || len(r.Findings[0].Paths) != 1 || r.Findings[0].Paths[0] != "/a" ||
		!reflect.DeepEqual(r.Findings[0].Packages[0], rules.FindingPackage{Manager: "dpkg", Name: "gcc"}) {
		t.Errorf("%v: %+v", err, r)
	}
	// Null fields and an empty image are a report, if an odd one.
	if _, err := DecodeBaseline(strings.NewReader(`{"schemaVersion":1,"totals":{"efficiency":1},"layers":null,"findings":null,"categories":null,"summary":null}`)); err != nil {
		t.Errorf("null fields: %v", err)
	}
}

// allThresholds sets every check, so Evaluate takes every path.
func allThresholds() Thresholds {
	size, wasted, eff := int64(50e3), int64(1e3), 0.9
	g, pct := Growth{Bytes: 0}, Growth{Percent: 5, IsPct: true}
	cats := map[string]Growth{WastedCategory: pct}
	for _, r := range rules.Rules {
		cats[r.Category] = g
	}
	return Thresholds{MaxSize: &size, MaxWasted: &wasted, MinEfficiency: &eff, MaxGrowth: &g,
		FailOnRules: []string{"SP301", "SP601"}, FailOnSeverity: "medium", CategoryGrowth: cats}
}

// FuzzDecodeBaseline feeds arbitrary bytes to the baseline decoder: it
// returns a report or a one-line error, never panics, and a report it
// returns goes through Evaluate against itself and against the fixture,
// both ways, and through every renderer. Against itself nothing grew, so
// the growth checks pass and nothing is new.
//
//	go test ./internal/ci -run '^$' -fuzz '^FuzzDecodeBaseline$' -parallel 2
func FuzzDecodeBaseline(f *testing.F) {
	fixture, fb := readFixture(f)
	f.Add(fb)
	f.Add([]byte(`{"schemaVersion":1,"totals":{"size":-1,"efficiency":-0.5},"layers":[{"size":-9223372036854775808}]}`))
	f.Add([]byte(`{"schemaVersion":1,"totals":{"efficiency":1},"layers":[null,{"diffID":"x"},{"diffID":"x"}],"findings":[null,{"rule":"SP301","paths":[]}],"categories":{"":0}}`))
	f.Add([]byte(`{"schemaVersion":1,"totals":{"size":4611686018427387904,"storedSize":4611686018427387904,"efficiency":1}}`))
	f.Add([]byte(`{"schemaVersion":1.5}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeBaseline(bytes.NewReader(data))
		if err != nil {
			if strings.Contains(err.Error(), "\n") || err.Error() == "" {
				t.Fatalf("error %q: want one line", err)
			}
			return
		}
		th := allThresholds()
		self := Evaluate(r, &r, th)
		for _, c := range self.Checks {
			if !c.Passed && (c.Name == "max-growth" || strings.HasPrefix(c.Name, "category-growth:")) {
				t.Fatalf("against itself, %s failed: %s", c.Name, c.Message)
			}
		}
		if self.NewFindings != 0 || len(self.NewLayers) != 0 || len(self.GoneLayers) != 0 {
			t.Fatalf("against itself: %d new findings, %d new and %d gone layers", self.NewFindings, len(self.NewLayers), len(self.GoneLayers))
		}
		for _, d := range append(self.Totals, self.Categories...) {
			if d.Change != 0 {
				t.Fatalf("against itself, %s changed by %d", d.Name, d.Change)
			}
		}
		for _, res := range []Result{self, Evaluate(fixture, &r, th), Evaluate(r, &fixture, th), Evaluate(r, nil, th)} {
			for _, d := range append(res.Totals, res.Categories...) {
				if d.Change != d.Current-d.Baseline || (d.Current >= d.Baseline) != (d.Change >= 0) {
					t.Fatalf("%s: %d → %d changed by %d", d.Name, d.Baseline, d.Current, d.Change)
				}
			}
			checkRenders(t, res)
		}
	})
}

// checkRenders renders a result every way: the JSON and the JUnit XML
// parse back, and every markdown table row has its header's cells.
func checkRenders(t *testing.T, res Result) {
	t.Helper()
	var b bytes.Buffer
	if err := Text(&b, res); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := JSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("the JSON report does not parse: %v", err)
	}
	b.Reset()
	if err := JUnit(&b, res); err != nil {
		t.Fatal(err)
	}
	var suites junitSuites
	if err := xml.Unmarshal(b.Bytes(), &suites); err != nil {
		t.Fatalf("the JUnit report does not parse: %v\n%s", err, b.String())
	}
	b.Reset()
	if err := Markdown(&b, res); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsRune(b.Bytes(), '\r') {
		t.Fatalf("a carriage return in the markdown report: %q", b.String())
	}
	cells := -1
	for _, l := range strings.Split(b.String(), "\n") {
		if !strings.HasPrefix(l, "|") {
			cells = -1
			continue
		}
		n := strings.Count(l, "|") - strings.Count(l, `\|`)
		if cells < 0 {
			cells = n
		} else if n != cells {
			t.Fatalf("a markdown row has %d cell borders, its table %d: %q\n%s", n, cells, l, b.String())
		}
	}
}
