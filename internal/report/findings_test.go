package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

func TestTextFindings(t *testing.T) {
	r := inspect.Report{
		Layers: []inspect.LayerReport{{Index: 0, CreatedBy: "ADD file:x in /"}, {Index: 1, CreatedBy: "RUN apt-get install -y gcc"}},
		Findings: []rules.Finding{
			{Rule: "SP201", Category: "compilers", Severity: rules.SeverityMedium, Title: "build toolchain: 2 packages (gcc-12, cpp-12)",
				Bytes: 3_000_000, Files: 4, Layer: 1, CreatedBy: "RUN apt-get install -y gcc", Fix: "use a build stage",
				Paths:     []string{"/usr/lib/gcc/cc1", "/usr/bin/gcc-12", "/usr/lib/libisl.so", "/usr/lib/libmpc.so"},
				PathBytes: []int64{2_000_000, 600_000, 300_000, 100_000}},
			{Rule: "SP303", Category: "caches", Severity: rules.SeverityMedium, Title: "apt package lists", Bytes: 1_000_000, Files: 3, Layer: 1,
				CreatedBy: "RUN apt-get install -y gcc", Fix: "rm -rf /var/lib/apt/lists/*", Paths: []string{"/var/lib/apt/lists"}, PathBytes: []int64{1_000_000}},
			{Rule: "SP403", Category: "stale-packages", Severity: rules.SeverityMedium, Title: "1 package has a newer version", Layer: 0,
				CreatedBy: "ADD file:x in /", Fix: "apt-get upgrade", Paths: []string{}, PathBytes: []int64{},
				Packages: []rules.FindingPackage{{Name: "dash", Version: "0.5.12-2", Available: "0.5.12-2+deb12u1"}}},
			{Rule: "SP601", Category: "security", Severity: rules.SeverityHigh, Title: "the container runs as root", Layer: -1, Fix: "USER app",
				Paths: []string{}, PathBytes: []int64{}},
		},
		Categories: map[string]int64{"compilers": 3_000_000, "caches": 1_000_000, "stale-packages": 0, "security": 0},
		Summary: &rules.FindingsSummary{StoredSize: 10_000_000, RecoverableBytes: 4_000_000, SlimmedSize: 6_000_000,
			Efficiency: 0.6, Score: 60, Findings: 4, BySeverity: map[string]int{"medium": 3, "high": 1}},
	}
	var buf bytes.Buffer
	if err := Text(&buf, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"4.0 MB recoverable of 10 MB stored (40.0%) · 6.0 MB after cleanup · score 60/100",
		"4 findings: 1 high, 3 medium",
		"Compilers and build tools [compilers] · 3.0 MB\n  SP201 medium   3.0 MB  build toolchain",
		"      layer 1: RUN apt-get install -y gcc\n",
		"    2.0 MB  /usr/lib/gcc/cc1",
		"… 1 more paths (all in --format json)",
		"      fix: use a build stage\n",
		"packages: dash 0.5.12-2 → 0.5.12-2+deb12u1",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	// Categories by bytes, then those without bytes by worst severity.
	order := []string{"[compilers]", "[caches]", "[security]", "[stale-packages]"}
	last := -1
	for _, c := range order {
		i := strings.Index(out, c)
		if i < last {
			t.Errorf("category %q out of order:\n%s", strings.TrimSpace(c), out)
		}
		last = i
	}
	if strings.Contains(out, "/usr/lib/libmpc.so") {
		t.Errorf("the text shows more than the largest %d paths", findingPaths)
	}

	// Without rules, no section.
	r.Summary = nil
	buf.Reset()
	if err := Text(&buf, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "Findings (rules") || strings.Contains(buf.String(), "Top findings") {
		t.Errorf("findings section without a summary")
	}
}

// Two headline rows of one rule and title name their layers (the TUI's
// rows do the same, through the same Finding.TitleAmong).
func TestHeadlineRowsNameTheirLayer(t *testing.T) {
	doc := rules.Finding{Rule: "SP701", Category: "docs", Severity: rules.SeverityInfo, Title: "documentation and man pages", Bytes: 2000, Layer: 0, Paths: []string{}, PathBytes: []int64{}}
	later := doc
	later.Bytes, later.Layer = 1000, 2
	r := inspect.Report{
		Findings:   []rules.Finding{doc, later},
		Categories: map[string]int64{"docs": 3000},
		Summary:    &rules.FindingsSummary{StoredSize: 10_000, Findings: 2, BySeverity: map[string]int{"info": 2}},
	}
	var buf bytes.Buffer
	if err := Text(&buf, r, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"layer 0: documentation and man pages", "layer 2: documentation and man pages"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("no %q in:\n%s", want, buf.String())
		}
	}
}
