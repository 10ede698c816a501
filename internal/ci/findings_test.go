package ci

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

func report(size, wasted int64, cats map[string]int64, fs ...rules.Finding) inspect.Report {
	r := inspect.Report{Totals: inspect.Totals{Size: size, StoredSize: size + wasted, WastedBytes: wasted, Efficiency: float64(size) / float64(size+wasted)},
		Categories: cats, Findings: fs}
	if r.Findings == nil && cats != nil {
		r.Findings = []rules.Finding{}
	}
	return r
}

func TestNewFindingsIgnoreBytesAndTitles(t *testing.T) {
	gcc := rules.Finding{Rule: "SP201", Severity: "high", Category: "compilers", Title: "gcc: 40 MB", Bytes: 40e6,
		Packages: []rules.FindingPackage{{Name: "gcc-12", Manager: "dpkg"}}}
	grown := gcc
	grown.Title, grown.Bytes = "gcc: 41 MB", 41e6
	cache := rules.Finding{Rule: "SP301", Severity: "medium", Category: "caches", Title: "pip cache", Bytes: 2e6,
		Paths: []string{"/root/.cache/pip/b", "/root/.cache/pip/a"}, CreatedBy: "RUN pip install -r requirements.txt"}
	base := report(100e6, 0, map[string]int64{"compilers": 40e6}, gcc)
	cur := report(103e6, 1e6, map[string]int64{"compilers": 41e6, "caches": 2e6}, grown, cache)

	r := Evaluate(cur, &base, Thresholds{})
	if r.NewFindings != 1 || !r.Findings[0].New || r.Findings[0].Rule != "SP301" || r.Findings[1].New {
		t.Fatalf("want only the pip cache new, first: %+v", r.Findings)
	}
	want := []string{"caches +2000000", "compilers +1000000", "wasted +1000000"}
	var got []string
	for _, d := range r.Categories {
		got = append(got, fmt.Sprintf("%s %+d", d.Name, d.Change))
	}
	if strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("categories, biggest growth first: %v, want %v", got, want)
	}

	// A baseline made with --no-rules has no findings: nothing is "new",
	// and a category limit cannot be checked.
	bare := report(100e6, 0, nil)
	r = Evaluate(cur, &bare, Thresholds{CategoryGrowth: map[string]Growth{"caches": {Bytes: 1}}, DefaultPolicy: &off})
	if r.NewFindings != 0 || r.Passed || !strings.Contains(r.Checks[0].Message, "--no-rules") {
		t.Errorf("bare baseline: %+v", r)
	}
}

var off = false

// TestDefaultPolicy: with nothing set, ci fails on something, as dive's CI
// mode does: without a baseline on a layer efficiency under 90% or a
// high-severity finding; with one on a new high-severity finding or growth
// over 10%. Each check says it is the default's; a limit set replaces the
// default's, "off" removes it, default-policy: false removes them all.
func TestDefaultPolicy(t *testing.T) {
	eol := rules.Finding{Rule: "SP401", Severity: "high", Category: "stale-packages", Title: "Debian 10 is past its end of life",
		Packages: []rules.FindingPackage{{Name: "debian", Manager: "os"}}}
	cache := rules.Finding{Rule: "SP301", Severity: "medium", Category: "caches", Title: "pip cache", Bytes: 2e6, Paths: []string{"/root/.cache/pip"}}
	bloated := report(100e6, 20e6, map[string]int64{}, cache) // 100 of 120 MB visible: 83.3%
	lean := report(100e6, 1e6, map[string]int64{}, cache)
	old := report(100e6, 1e6, map[string]int64{}, eol)
	verdict := func(r Result) string {
		var s []string
		for _, c := range r.Checks {
			mark := "ok"
			if !c.Passed {
				mark = "FAIL"
			}
			if c.Default {
				mark += "(default)"
			}
			s = append(s, c.Name+" "+mark)
		}
		return strings.Join(s, ", ")
	}
	eff := 0.5
	g := Growth{Bytes: 0}
	for _, c := range []struct {
		name      string
		cur       inspect.Report
		base      *inspect.Report
		th        Thresholds
		want      string
		passed    bool
		policyHas string
	}{
		{"no baseline, bloated", bloated, nil, Thresholds{}, "min-efficiency FAIL(default), fail-on-severity ok(default)", false, "without a baseline (layer efficiency at least 90.0%, no high-severity finding)"},
		{"no baseline, lean", lean, nil, Thresholds{}, "min-efficiency ok(default), fail-on-severity ok(default)", true, "default policy"},
		{"no baseline, high finding", old, nil, Thresholds{}, "min-efficiency ok(default), fail-on-severity FAIL(default)", false, "default policy"},
		{"a limit set replaces the default's", bloated, nil, Thresholds{MinEfficiency: &eff}, "min-efficiency ok, fail-on-severity ok(default)", true, "default policy"},
		{"off", bloated, nil, Thresholds{Off: map[string]bool{"min-efficiency": true}}, "fail-on-severity ok(default)", true, "default policy"},
		{"default-policy: false", bloated, nil, Thresholds{DefaultPolicy: &off}, "", true, "default-policy: false"},
		{"baseline, known high finding", old, &old, Thresholds{}, "fail-on-severity ok(default), max-growth ok(default)", true, "with a baseline (growth at most 10%, no new high-severity finding)"},
		{"baseline, new high finding", old, &lean, Thresholds{}, "fail-on-severity FAIL(default), max-growth ok(default)", false, "with a baseline"},
		{"baseline, grown 20%", report(120e6, 1e6, map[string]int64{}, cache), &lean, Thresholds{}, "fail-on-severity ok(default), max-growth FAIL(default)", false, "with a baseline"},
		{"all set by the user", lean, &lean, Thresholds{MaxGrowth: &g, FailOnSeverity: "medium"}, "fail-on-severity FAIL, max-growth ok", false, "set by flags and the config (they replace"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := Evaluate(c.cur, c.base, c.th)
			if got := verdict(r); got != c.want || r.Passed != c.passed || !strings.Contains(r.Policy, c.policyHas) {
				t.Errorf("checks %q passed %v policy %q; want %q %v %q", got, r.Passed, r.Policy, c.want, c.passed, c.policyHas)
			}
		})
	}
}

func TestValidateThresholds(t *testing.T) {
	ok := Thresholds{FailOnRules: []string{"sp301"}, FailOnSeverity: "high", CategoryGrowth: map[string]Growth{"wasted": {}, "python-tests": {}}}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Thresholds{
		{FailOnRules: []string{"SP999"}},
		{FailOnSeverity: "critical"},
		{CategoryGrowth: map[string]Growth{"bloat": {}}},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v: want an error", bad)
		}
	}
}

// The growth message blames the largest new layer, clipped to one line,
// and only when the image grew.
func TestGrowthBlame(t *testing.T) {
	long := "RUN apt-get update\n    && apt-get install -y " + strings.Repeat("pkg ", 50)
	small := report(100e6, 0, nil)
	small.Layers = []inspect.LayerReport{{Index: 0, DiffID: "sha256:a"}}
	big := report(150e6, 0, nil)
	big.Layers = []inspect.LayerReport{{Index: 0, DiffID: "sha256:a"}, {Index: 1, DiffID: "sha256:b", Size: 50e6, CreatedBy: long}}
	g := Growth{Bytes: 0}
	grew := Evaluate(big, &small, Thresholds{MaxGrowth: &g}).Checks[0].Message
	if !strings.Contains(grew, "largest new layer 1 (50 MB): RUN apt-get update && apt-get install") || strings.Contains(grew, "\n") || len(grew) > 200 {
		t.Errorf("grew: %q", grew)
	}
	shrank := Evaluate(small, &big, Thresholds{MaxGrowth: &g}).Checks[0].Message
	if strings.Contains(shrank, "largest new layer") {
		t.Errorf("shrank: %q", shrank)
	}
}
