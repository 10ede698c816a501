package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// biggestWins is how many findings the summary lists.
const biggestWins = 5

// summaryView is the first screen: the image, its size and waste, what the
// rules could recover by category, and the biggest wins.
type summaryView struct {
	in    *Input
	vp    viewport.Model
	width int
	// wins are the biggest wins (indexes into the report's findings), in
	// the order listed; sel is the one selected (enter opens it), and
	// winLines the content line of each.
	wins     []int
	sel      int
	winLines []int
}

var summaryOpen = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open the win"))

var summaryKeys = keyMap{
	short: []key.Binding{navHelp, summaryOpen, nav.PageDown},
	full:  [][]key.Binding{{nav.Up, nav.Down, nav.PageUp, nav.PageDown}, {summaryOpen}},
}

func newSummaryView(in *Input) summaryView {
	vp := viewport.New()
	vp.MouseWheelEnabled = false // the root turns the wheel into scrollMsg
	v := summaryView{in: in, vp: vp}
	for i, f := range in.Report.Findings {
		if f.Bytes > 0 {
			v.wins = append(v.wins, i)
		}
	}
	fs := in.Report.Findings
	slices.SortStableFunc(v.wins, func(a, b int) int { return cmp.Compare(fs[b].Bytes, fs[a].Bytes) })
	v.wins = v.wins[:min(len(v.wins), biggestWins)]
	return v
}

// selectWin moves the selection among the wins and keeps it on screen.
func (v summaryView) selectWin(i int) summaryView {
	v.sel = max(0, min(len(v.wins)-1, i))
	v.vp.SetContent(v.content(v.width))
	if v.sel < len(v.winLines) {
		line := v.winLines[v.sel]
		if line < v.vp.YOffset() {
			v.vp.SetYOffset(line)
		} else if line+1 >= v.vp.YOffset()+v.vp.Height() {
			v.vp.SetYOffset(line + 2 - v.vp.Height())
		}
	}
	return v
}

// open asks to show the selected win in the findings view.
func (v summaryView) open() tea.Cmd {
	if v.sel >= len(v.wins) {
		return nil
	}
	i := v.wins[v.sel]
	return func() tea.Msg { return openFindingMsg{index: i} }
}

func (v summaryView) Update(msg tea.Msg) (summaryView, tea.Cmd) {
	switch msg := msg.(type) {
	case clickMsg:
		line := v.vp.YOffset() + msg.y
		for i, l := range v.winLines {
			if line == l || line == l+1 {
				if i == v.sel {
					return v, v.open()
				}
				return v.selectWin(i), nil
			}
		}
		return v, nil
	case scrollMsg:
		if msg.delta > 0 {
			v.vp.ScrollDown(msg.delta)
		} else {
			v.vp.ScrollUp(-msg.delta)
		}
		return v, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, summaryOpen):
			return v, v.open()
		case len(v.wins) > 0 && key.Matches(msg, nav.Down) && v.sel < len(v.wins)-1:
			return v.selectWin(v.sel + 1), nil
		case len(v.wins) > 0 && key.Matches(msg, nav.Up) && v.sel > 0:
			return v.selectWin(v.sel - 1), nil
		case key.Matches(msg, nav.Top):
			v.vp.GotoTop()
			return v, nil
		case key.Matches(msg, nav.Bottom):
			v.vp.GotoBottom()
			return v, nil
		}
	}
	var cmd tea.Cmd
	v.vp, cmd = v.vp.Update(msg)
	return v, cmd
}

// largestSaving is the largest measured saving among the suggestions
// (the accepted ones, when accepted is not nil). Savings are not added
// up: suggestions overlap (the multistage rewrite drops the caches that
// another suggestion cleans), so a sum would count bytes twice.
func largestSaving(ss []Suggestion, accepted map[string]bool) (int64, bool) {
	var best int64
	ok := false
	for _, s := range ss {
		if s.Measured && (accepted == nil || accepted[s.ID]) {
			best, ok = max(best, s.Savings), true
		}
	}
	return best, ok
}

// resize sets the viewport and lays the text out for the width.
func (v summaryView) resize(width, height int) summaryView {
	v.vp.SetWidth(width)
	v.vp.SetHeight(height)
	if width != v.width {
		v.width = width
		v.vp.SetContent(v.content(width))
	}
	return v
}

func (v summaryView) View(width, height int) string {
	return fit(v.vp.View(), width, height)
}

func (v *summaryView) content(width int) string {
	r := v.in.Report
	var b strings.Builder
	field := func(label, value string) {
		fmt.Fprintf(&b, "%s %s\n", styleLabel.Render(padRight(label, 11)), value)
	}
	img := r.Image
	field("Image", fmt.Sprintf("%s (%s)", textsafe.Term(img.Reference), img.Transport))
	platform := textsafe.Term(img.Platform)
	if img.OS != "" {
		platform += " · " + imageText(img.OS)
	}
	field("Platform", platform)
	var created []string
	if !img.Created.IsZero() {
		created = append(created, "created "+img.Created.Format("2006-01-02"))
	}
	user := imageText(img.User)
	if user == "" {
		user = "root (no USER)"
	}
	created = append(created, "user "+user)
	field("Config", strings.Join(created, " · "))
	t := r.Totals
	field("Size", fmt.Sprintf("%s in %d layers (%s compressed) · %s visible in %s files",
		styleBytes.Render(humanize.Bytes(uint64(t.StoredSize))), len(r.Layers),
		humanize.Bytes(uint64(t.CompressedSize)), humanize.Bytes(uint64(t.Size)), humanize.Comma(int64(t.Files))))
	field("Waste", fmt.Sprintf("%s stored but hidden by later layers · layer efficiency %s",
		styleBytes.Render(humanize.Bytes(uint64(t.WastedBytes))), efficiency(t.Efficiency)))

	s := r.Summary
	if s == nil {
		field("Findings", styleDim.Render("the rules did not run (--no-rules)"))
	} else {
		field("Recoverable", fmt.Sprintf("%s of %s (%s) → %s after cleanup · score %d/100",
			styleBytes.Render(humanize.Bytes(uint64(s.RecoverableBytes))), humanize.Bytes(uint64(s.StoredSize)),
			percent(s.RecoverableBytes, s.StoredSize), humanize.Bytes(uint64(s.SlimmedSize)), s.Score))
		var sev []string
		for _, k := range []string{"high", "medium", "low", "info"} {
			if n := s.BySeverity[k]; n > 0 {
				sev = append(sev, fmt.Sprintf("%d %s", n, severity(k)))
			}
		}
		field("Findings", fmt.Sprintf("%d: %s", s.Findings, strings.Join(sev, ", ")))
	}

	if cats := sortedCategories(r.Categories); len(cats) > 0 {
		b.WriteString("\n" + styleHeading.Render("Recoverable by category") + styleDim.Render("  (a file two categories flag counts in both)") + "\n")
		nameW := 0
		for _, c := range cats {
			nameW = max(nameW, len(c.name))
		}
		barW := max(5, min(40, width-nameW-14))
		top := cats[0].bytes
		for _, c := range cats {
			n := int(float64(barW) * float64(c.bytes) / float64(top))
			fmt.Fprintf(&b, "  %s %s %s\n", padRight(c.name, nameW), padLeft(humanize.Bytes(uint64(c.bytes)), 8),
				styleBar.Render(strings.Repeat("█", max(1, n))))
		}
	}

	if len(v.wins) > 0 {
		b.WriteString("\n" + styleHeading.Render("Biggest wins") + styleDim.Render("  (enter opens one)") + "\n")
		shown := make([]rules.Finding, len(v.wins))
		for i, w := range v.wins {
			shown[i] = r.Findings[w]
		}
		v.winLines = v.winLines[:0]
		for i, f := range shown {
			v.winLines = append(v.winLines, strings.Count(b.String(), "\n"))
			row := fmt.Sprintf("%s  %s %s", padLeft(humanize.Bytes(uint64(f.Bytes)), 7), styleRule.Render(f.Rule), findingTitle(f, shown))
			b.WriteString(listRow(truncate(row, width-2), i == v.sel, width) + "\n")
			if f.Fix != "" {
				fmt.Fprintf(&b, "           %s\n", styleDim.Render(truncate("fix: "+textsafe.OneLine(f.Fix), width-11)))
			}
		}
	}

	fx := v.in.Fixes
	b.WriteString("\n" + styleHeading.Render("Suggestions") + "\n")
	for _, l := range wrap(fx.LeftOut, width-2) {
		b.WriteString("  " + styleStatus.Render(l) + "\n")
	}
	switch {
	case len(fx.Suggestions) > 0:
		text := fmt.Sprintf("%d changes to %s", len(fx.Suggestions), textsafe.Term(fx.Dockerfile))
		if best, ok := largestSaving(fx.Suggestions, nil); ok {
			text += fmt.Sprintf("; the largest saves %s", humanize.Bytes(uint64(best)))
		}
		lines := wrap(text, max(width-2, 1))
		last := len(lines) - 1
		for _, l := range lines[:last] {
			b.WriteString("  " + l + "\n")
		}
		hint := "review and accept them in the Suggestions view (5)"
		if ansi.StringWidth(lines[last])+3+len(hint) <= width-2 {
			b.WriteString("  " + lines[last] + styleDim.Render(" · "+hint) + "\n")
		} else { // no room: the hint on a line of its own
			b.WriteString("  " + lines[last] + "\n  " + styleDim.Render(truncate(hint, width-2)) + "\n")
		}
	case fx.Note != "":
		b.WriteString("  " + styleDim.Render(fx.Note) + "\n")
	default:
		b.WriteString("  " + styleDim.Render("none") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

type category struct {
	name  string
	bytes int64
}

func sortedCategories(m map[string]int64) []category {
	var out []category
	for k, v := range m {
		if v > 0 {
			out = append(out, category{k, v})
		}
	}
	slices.SortFunc(out, func(a, b category) int {
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out
}

func efficiency(e float64) string {
	s := fmt.Sprintf("%.1f%%", e*100)
	switch {
	case e >= 0.95:
		return styleGood.Render(s)
	case e >= 0.8:
		return styleWarn.Render(s)
	}
	return styleBad.Render(s)
}

func percent(part, whole int64) string {
	if whole <= 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(part)/float64(whole))
}
