package ci

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// Text writes the verdict for a terminal. What comes from an image or a
// baseline file (references, instructions, titles, category names) goes
// through textsafe: it can neither drive the terminal nor forge a line.
func Text(w io.Writer, r Result) error {
	var b strings.Builder
	verdict := "PASS"
	if !r.Passed {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "slimpy ci: %s  %s\n", verdict, textsafe.Term(r.Image))
	if r.Baseline != "" {
		fmt.Fprintf(&b, "baseline:  %s (%s)\n", textsafe.Term(r.Baseline), r.layerCounts())
	}
	if r.Policy != "" {
		wrapTo(&b, "policy:    ", r.Policy)
	}
	for _, c := range r.Checks {
		mark := "ok  "
		if !c.Passed {
			mark = "FAIL"
		}
		policy := ""
		if c.Default {
			policy = "default policy: "
		}
		wrapTo(&b, fmt.Sprintf("  %s %-18s ", mark, textsafe.Term(c.Name)), policy+textsafe.OneLine(c.Message))
	}
	if len(r.Checks) == 0 {
		b.WriteString("  no checks configured (see slimpy ci --help)\n")
	}
	if failed := r.failed(); failed != "" {
		fmt.Fprintf(&b, "failed: %s\n", failed)
	}
	for _, d := range r.Totals {
		if d.Change != 0 {
			fmt.Fprintf(&b, "  %-34s %s → %s (%s)\n", d.Label, fmtValue(d.Name, d.Baseline), fmtValue(d.Name, d.Current), fmtChange(d.Name, d.Change))
		}
	}
	for _, d := range r.Categories {
		if d.Change != 0 {
			fmt.Fprintf(&b, "  category %-16s %s → %s (%s)\n", textsafe.Clip(d.Name, 40), size(d.Baseline), size(d.Current), signed(d.Change))
		}
	}
	for _, l := range r.NewLayers {
		fmt.Fprintf(&b, "  new layer %d  %s  %s\n", l.Index, size(l.Size), textsafe.Clip(l.CreatedBy, 70))
	}
	for _, f := range r.Findings {
		if !f.New {
			break // new ones come first
		}
		fmt.Fprintf(&b, "  new finding %s %-6s %8s  %s\n", textsafe.Term(f.Rule), textsafe.Term(f.Severity), size(f.Bytes), textsafe.Clip(f.Title, 60))
		if f.CreatedBy != "" {
			fmt.Fprintf(&b, "      from: %s\n", textsafe.Clip(f.CreatedBy, 70))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Markdown writes a report for $GITHUB_STEP_SUMMARY or a pull-request
// comment: the verdict and the policy, the checks, then the deltas as
// tables, biggest regressions first. Every name from an image or a
// baseline is escaped (textsafe.Markdown, or a code span that cannot be
// closed early); a table longer than mdFold rows is folded in <details>;
// counts have thousands separators; an empty value is a dash, never an
// empty code span.
func Markdown(w io.Writer, r Result) error {
	var b strings.Builder
	icon := "✅"
	if !r.Passed {
		icon = "❌"
	}
	fmt.Fprintf(&b, "## %s slimpy: %s\n\n", icon, mdCodeOrDash(r.Image, 200))
	if r.Baseline != "" {
		fmt.Fprintf(&b, "Compared with %s: %s.\n\n", mdCodeOrDash(r.Baseline, 200), r.layerCounts())
	}
	if r.Policy != "" {
		fmt.Fprintf(&b, "Policy: %s.\n\n", mdCell(r.Policy))
	}
	if failed := r.failed(); failed != "" {
		fmt.Fprintf(&b, "**Failed:** %s.\n\n", mdCell(failed))
	}
	if len(r.Checks) > 0 {
		var rows []string
		for _, c := range r.Checks {
			res := "✅ pass"
			if !c.Passed {
				res = "❌ fail"
			}
			name := mdCell(c.Name)
			if c.Default {
				name += " (default policy)"
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s |", name, res, mdCellOrDash(c.Actual), mdCellOrDash(c.Limit), mdCell(c.Message)))
		}
		mdTable(&b, "checks", "| check | result | measured | limit | detail |\n|---|---|---|---|---|", rows)
	}
	if len(r.Totals) > 0 {
		var rows []string
		for _, d := range sortedByGrowth(r.Totals) {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", mdCell(d.Label), fmtValue(d.Name, d.Baseline), fmtValue(d.Name, d.Current), fmtChange(d.Name, d.Change)))
		}
		mdTable(&b, "figures", "| figure | baseline | current | change |\n|---|---:|---:|---:|", rows)
	}
	if len(r.Categories) > 0 {
		var rows []string
		for _, d := range r.Categories {
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s |", mdCell(d.Name), size(d.Baseline), size(d.Current), signed(d.Change)))
		}
		mdTable(&b, "categories", "| category | baseline | current | change |\n|---|---:|---:|---:|", rows)
	}
	if r.NewFindings > 0 {
		var rows []string
		for _, f := range r.Findings {
			if !f.New {
				break
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", mdCell(f.Rule), mdCell(f.Severity), mdCell(f.Category), size(f.Bytes), mdCell(f.Title), mdCodeOrDash(f.CreatedBy, 120)))
		}
		b.WriteString("New findings since the baseline, largest first:\n\n")
		mdTable(&b, "new findings", "| rule | severity | category | bytes | finding | instruction |\n|---|---|---|---:|---|---|", rows)
	}
	if len(r.NewLayers) > 0 {
		var rows []string
		for _, l := range r.NewLayers {
			rows = append(rows, fmt.Sprintf("| %d | %s | %s | %s |", l.Index, size(l.Size), size(l.Wasted), mdCodeOrDash(l.CreatedBy, 120)))
		}
		b.WriteString("New layers, largest first:\n\n")
		mdTable(&b, "new layers", "| layer | size | hidden by later layers | instruction |\n|---:|---:|---:|---|", rows)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdFold is the longest table shown open; a longer one is folded in
// <details>, its summary saying how many rows it holds.
const mdFold = 10

// mdTable writes a table (head is its header and delimiter rows), folded
// when it is long.
func mdTable(b *strings.Builder, what, head string, rows []string) {
	fold := len(rows) > mdFold
	if fold {
		fmt.Fprintf(b, "<details><summary>%s %s</summary>\n\n", humanize.Comma(int64(len(rows))), what)
	}
	b.WriteString(head + "\n")
	for _, r := range rows {
		b.WriteString(r + "\n")
	}
	b.WriteString("\n")
	if fold {
		b.WriteString("</details>\n\n")
	}
}

// JSON writes the result for tools.
func JSON(w io.Writer, r Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML in the shape Jenkins, GitLab, GitHub test reporters and
// Azure read: <testsuites><testsuite><testcase><failure/></testcase>…
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// JUnit writes one test case per check.
func JUnit(w io.Writer, r Result) error {
	s := junitSuite{Name: "slimpy ci " + r.Image, Time: "0"}
	for _, c := range r.Checks {
		tc := junitCase{Name: c.Name, Classname: "slimpy.ci", Time: "0", SystemOut: c.Message}
		if !c.Passed {
			tc.Failure = &junitFailure{Message: c.Message, Type: c.Name, Text: fmt.Sprintf("measured %s, limit %s", c.Actual, c.Limit)}
			s.Failures++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	doc := junitSuites{Name: "slimpy", Tests: s.Tests, Failures: s.Failures, Suites: []junitSuite{s}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// TextColumns is the widest line of the text verdict.
const TextColumns = 120

// wrapTo writes prefix and text wrapped to TextColumns, the lines after
// the first indented as deep as the prefix.
func wrapTo(b *strings.Builder, prefix, text string) {
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	for i, l := range textsafe.Wrap(text, TextColumns-len(indent)) {
		if i == 0 {
			b.WriteString(prefix + l + "\n")
		} else {
			b.WriteString(indent + l + "\n")
		}
	}
}

// defaultMark tags a check of the default policy.
func defaultMark(c Check) string {
	if c.Default {
		return " (default policy)"
	}
	return ""
}

// failed names the failed checks, those of the default policy said so:
// "min-efficiency (default policy), max-size".
func (r Result) failed() string {
	var names []string
	for _, c := range r.Checks {
		if !c.Passed {
			names = append(names, textsafe.Term(c.Name)+defaultMark(c))
		}
	}
	return strings.Join(names, ", ")
}

// layerCounts: "2 shared layers, 1 new, 0 gone".
func (r Result) layerCounts() string {
	shared := "shared layers"
	if r.SharedLayers == 1 {
		shared = "shared layer"
	}
	return fmt.Sprintf("%d %s, %d new, %d gone", r.SharedLayers, shared, len(r.NewLayers), len(r.GoneLayers))
}

func sortedByGrowth(ds []Delta) []Delta {
	out := append([]Delta(nil), ds...)
	for i := 1; i < len(out); i++ { // insertion sort: a handful of rows
		for j := i; j > 0 && out[j].Change > out[j-1].Change; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func fmtValue(name string, v int64) string {
	if name == "files" {
		return humanize.Comma(v)
	}
	return size(v)
}

func fmtChange(name string, v int64) string {
	if name == "files" {
		if v > 0 {
			return "+" + humanize.Comma(v)
		}
		return humanize.Comma(v)
	}
	return signed(v)
}

// mdCell makes a value (a baseline's category names and findings too)
// safe in its table cell: textsafe.Markdown escapes markup and the pipe.
func mdCell(s string) string { return textsafe.Markdown(s) }

// mdCellOrDash is mdCell, or a dash for an empty value.
func mdCellOrDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return mdCell(s)
}

// mdCodeOrDash is s, cut to n runes, as a code span safe in a table cell
// (in a code span a backslash is literal, so a backtick, which would end
// it, becomes a quote; the pipe is escaped as GFM tables require even
// there), or a dash when s is empty: never an empty code span.
func mdCodeOrDash(s string, n int) string {
	c := strings.NewReplacer("`", "'", "|", `\|`).Replace(textsafe.Clip(s, n))
	if strings.TrimSpace(c) == "" {
		return "—"
	}
	return "`" + c + "`"
}

// clip folds s onto one line of at most n runes, for the messages of the
// checks (JSON keeps them so; the renderers make them safe to show).
func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
