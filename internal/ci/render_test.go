package ci

import (
	"bytes"
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/golden"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

var _ = flag.Bool("update", false, "rewrite the golden files")

// markdownResult is a run with a baseline that gained many layers and
// findings (some with hostile names, one without an instruction) and
// thousands of files.
func markdownResult() Result {
	base := report(100e6, 0, map[string]int64{"caches": 1e6})
	base.Image.Reference = "registry.example/app:main"
	base.Totals.Files = 12_000
	base.Layers = []inspect.LayerReport{{Index: 0, DiffID: "sha256:base", Size: 100e6}}
	cur := report(180e6, 5e6, map[string]int64{"caches": 30e6, "duplicates": 2e6})
	cur.Image.Reference = "docker-daemon:app:pr-42"
	cur.Totals.Files = 15_432
	cur.Duplicates.WastedBytes = 2e6
	cur.Layers = []inspect.LayerReport{{Index: 0, DiffID: "sha256:base", Size: 100e6}}
	for i := 1; i <= 12; i++ {
		cur.Layers = append(cur.Layers, inspect.LayerReport{Index: i, DiffID: fmt.Sprintf("sha256:new%d", i), Size: int64(i) * 1e6,
			CreatedBy: fmt.Sprintf("RUN pip install pkg%d | tee `log` *bold*", i)})
	}
	cur.Findings = []rules.Finding{
		{Rule: "SP301", Severity: "medium", Category: "caches", Title: "pip cache: <b>12</b> files | in /root/.cache/pip", Bytes: 29e6,
			Paths: []string{"/root/.cache/pip"}, Layer: 3, CreatedBy: "RUN pip install -r requirements.txt"},
		{Rule: "SP601", Severity: "high", Category: "security", Title: "the container runs as root", Layer: -1},
	}
	g := Growth{Percent: 5, IsPct: true}
	return Evaluate(cur, &base, Thresholds{MaxGrowth: &g})
}

// TestMarkdownGolden: the markdown report escapes every name, writes no
// empty code span, folds long tables in <details>, uses thousands
// separators, and renders as GFM tables.
func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, markdownResult()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if regexp.MustCompile("``|` `").MatchString(md) {
		t.Errorf("an empty code span:\n%s", md)
	}
	for _, want := range []string{
		"<details><summary>12 new layers</summary>",
		"| files | 12,000 | 15,432 | +3,432 |",
		"| identical files at different paths | 0 B | 2.0 MB | +2.0 MB |",
		`pip cache: \<b\>12\</b\> files \| in /root/\.cache/pip`,
		"| SP601 | high | security | 0 B | the container runs as root | — |",
		`**Failed:** fail\-on\-severity \(default policy\), max\-growth.`,
		`fail\-on\-severity (default policy) | ❌ fail`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	var html bytes.Buffer
	if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert([]byte(md), &html); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(html.String(), "<table>"); n != 5 {
		t.Errorf("%d tables rendered, want 5", n)
	}
	if strings.Contains(html.String(), "<b>12</b>") || strings.Contains(html.String(), "<strong>bold") {
		t.Errorf("a name became markup:\n%s", html.String())
	}
	golden.Require(t, filepath.Join("testdata", "markdown"+".golden"), md)
}

// TestTextVerdict: the verdict names the policy and the failed checks, and
// no line is wider than TextColumns.
func TestTextVerdict(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, markdownResult()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, l := range strings.Split(out, "\n") {
		if n := len([]rune(l)); n > TextColumns {
			t.Errorf("line of %d columns: %q", n, l)
		}
	}
	for _, want := range []string{"slimpy ci: FAIL  docker-daemon:app:pr-42\n", "policy:    the default policy with a baseline",
		"  FAIL fail-on-severity   default policy: 1 findings matching high or worse new since the baseline",
		"failed: fail-on-severity (default policy), max-growth\n", "  identical files at different paths 0 B → 2.0 MB (+2.0 MB)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("verdict lacks %q:\n%s", want, out)
		}
	}
}
