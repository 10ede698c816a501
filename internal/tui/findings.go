package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// revealMsg asks the files view to show one path and the root to switch
// to it.
type revealMsg struct{ path string }

// openFindingMsg asks the findings view to open one finding (its index
// in the report's findings) and the root to switch to it.
type openFindingMsg struct{ index int }

// findingGroup is every finding of one rule.
type findingGroup struct {
	rule, name, category string
	severity             rules.Severity // the worst of its findings
	bytes                int64
	findings             []rules.Finding
	orig                 []int // each finding's index in the report
}

type rowKind uint8

const (
	rowGroup rowKind = iota
	rowFinding
	rowInfo // the layer or the fix of an open finding
	rowPath
)

// findingRow is one line of the findings list.
type findingRow struct {
	kind    rowKind
	g, f, p int
	text    string // rowInfo
}

// findingsView lists the findings grouped by rule, the groups with the
// most bytes first; groups open to their findings and findings to their
// paths.
type findingsView struct {
	groups []findingGroup
	open   map[string]bool // "SP101" for a group, "SP101/2" for a finding
	rows   []findingRow
	c      cursor
	height int
	ran    bool // the rules ran
}

var findingKeys = struct{ Toggle, Open, Close, Files key.Binding }{
	Toggle: key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", "open · path: files")),
	Open:   key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open")),
	Close:  key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close")),
}

var findingsHelp = keyMap{
	short: []key.Binding{navHelp, findingKeys.Toggle, findingKeys.Close},
	full:  [][]key.Binding{nav.bindings(), {findingKeys.Toggle, findingKeys.Open, findingKeys.Close}},
}

// findingDetailLines is the height of the panel below the list.
const findingDetailLines = 4

func newFindingsView(r inspect.Report) findingsView {
	v := findingsView{open: map[string]bool{}, ran: r.Summary != nil}
	idx := map[string]int{}
	for fi, f := range r.Findings {
		i, ok := idx[f.Rule]
		if !ok {
			i = len(v.groups)
			idx[f.Rule] = i
			v.groups = append(v.groups, findingGroup{rule: f.Rule, name: f.Name, category: f.Category, severity: f.Severity})
		}
		g := &v.groups[i]
		g.findings = append(g.findings, f)
		g.orig = append(g.orig, fi)
		g.bytes += f.Bytes
		if f.Severity.Rank() > g.severity.Rank() {
			g.severity = f.Severity
		}
	}
	for i := range v.groups {
		g := &v.groups[i]
		order := make([]int, len(g.findings))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(g.findings[b].Bytes, g.findings[a].Bytes) })
		fs, orig := make([]rules.Finding, len(order)), make([]int, len(order))
		for k, o := range order {
			fs[k], orig[k] = g.findings[o], g.orig[o]
		}
		g.findings, g.orig = fs, orig
	}
	slices.SortStableFunc(v.groups, func(a, b findingGroup) int {
		if c := cmp.Compare(b.bytes, a.bytes); c != 0 {
			return c
		}
		if c := cmp.Compare(b.severity.Rank(), a.severity.Rank()); c != 0 {
			return c
		}
		return strings.Compare(a.rule, b.rule)
	})
	v.rows = v.flatten()
	return v
}

func findingKey(g findingGroup, f int) string { return fmt.Sprintf("%s/%d", g.rule, f) }

// openFinding opens the finding with index orig in the report, and its
// group, and puts the cursor on it.
func (v findingsView) openFinding(orig int) findingsView {
	for gi, g := range v.groups {
		for fi, o := range g.orig {
			if o != orig {
				continue
			}
			v.open = mapsClone(v.open)
			v.open[g.rule] = true
			v.setOpen(findingKey(g, fi), true, findingRow{kind: rowFinding, g: gi, f: fi})
			v.c.offset = max(0, v.c.pos-v.listHeight()/3)
			v.c.clamp(len(v.rows), v.listHeight())
			return v
		}
	}
	return v
}

// findingTitle is a finding's title, safe for the terminal; when another
// finding of the list looks the same, with its layer.
func findingTitle(f rules.Finding, all []rules.Finding) string {
	return textsafe.Term(f.TitleAmong(all))
}

// flatten lists the rows the open groups and findings show.
func (v findingsView) flatten() []findingRow {
	var rows []findingRow
	for gi, g := range v.groups {
		rows = append(rows, findingRow{kind: rowGroup, g: gi})
		if !v.open[g.rule] {
			continue
		}
		for fi, f := range g.findings {
			rows = append(rows, findingRow{kind: rowFinding, g: gi, f: fi})
			if !v.open[findingKey(g, fi)] {
				continue
			}
			if f.Layer >= 0 {
				rows = append(rows, findingRow{kind: rowInfo, g: gi, f: fi, text: fmt.Sprintf("layer %d: %s", f.Layer, imageText(f.CreatedBy))})
			}
			for _, p := range f.Packages {
				t := "package " + textsafe.Term(p.Name) + " " + textsafe.Term(p.Version)
				if p.Available != "" {
					t += " → " + textsafe.Term(p.Available)
				}
				if p.Note != "" {
					t += " (" + textsafe.OneLine(p.Note) + ")"
				}
				rows = append(rows, findingRow{kind: rowInfo, g: gi, f: fi, text: t})
			}
			for pi := range f.Paths {
				rows = append(rows, findingRow{kind: rowPath, g: gi, f: fi, p: pi})
			}
		}
	}
	return rows
}

func (v findingsView) listHeight() int { return max(1, v.height-findingDetailLines) }

func (v findingsView) resize(_, height int) findingsView {
	v.height = height
	v.c.clamp(len(v.rows), v.listHeight())
	return v
}

func (v findingsView) Update(msg tea.Msg) (findingsView, tea.Cmd) {
	if c, ok := msg.(clickMsg); ok {
		i := v.c.offset + c.y
		if i >= len(v.rows) || i >= v.c.offset+v.listHeight() {
			return v, nil
		}
		if i != v.c.pos {
			v.c.pos = i
			return v, nil
		}
		msg = enterKey
	}
	if msg, ok := msg.(tea.KeyPressMsg); ok && len(v.rows) > 0 {
		r := v.rows[v.c.pos]
		g := v.groups[r.g]
		switch {
		case key.Matches(msg, findingKeys.Toggle):
			switch r.kind {
			case rowGroup:
				v.setOpen(g.rule, !v.open[g.rule], r)
			case rowFinding:
				k := findingKey(g, r.f)
				v.setOpen(k, !v.open[k], r)
			case rowPath:
				p := g.findings[r.f].Paths[r.p]
				return v, func() tea.Msg { return revealMsg{path: p} }
			}
			return v, nil
		case key.Matches(msg, findingKeys.Open):
			switch r.kind {
			case rowGroup:
				v.setOpen(g.rule, true, r)
			case rowFinding:
				v.setOpen(findingKey(g, r.f), true, r)
			}
			return v, nil
		case key.Matches(msg, findingKeys.Close):
			switch {
			case r.kind == rowGroup:
				v.setOpen(g.rule, false, r)
			case r.kind == rowFinding && v.open[findingKey(g, r.f)]:
				v.setOpen(findingKey(g, r.f), false, r)
			case r.kind == rowFinding:
				v.setOpen(g.rule, false, findingRow{kind: rowGroup, g: r.g})
			default:
				v.setOpen(findingKey(g, r.f), false, findingRow{kind: rowFinding, g: r.g, f: r.f})
			}
			return v, nil
		}
	}
	v.c.navigate(msg, len(v.rows), v.listHeight())
	return v, nil
}

// setOpen opens or closes a group or finding and puts the cursor on the
// row at.
func (v *findingsView) setOpen(k string, open bool, at findingRow) {
	v.open = mapsClone(v.open)
	v.open[k] = open
	v.rows = v.flatten()
	for i, r := range v.rows {
		if r.kind == at.kind && r.g == at.g && (at.kind == rowGroup || r.f == at.f) && (at.kind != rowPath || r.p == at.p) {
			v.c.pos = i
			break
		}
	}
	v.c.clamp(len(v.rows), v.listHeight())
}

func (v findingsView) View(width, height int) string {
	if len(v.groups) == 0 {
		msg := "No findings: nothing for the rules to flag."
		if !v.ran {
			msg = "The rules did not run (--no-rules)."
		}
		return fit(styleDim.Render(msg), width, height)
	}
	listH := v.listHeight()
	var b strings.Builder
	start, end := v.c.window(len(v.rows), listH)
	for i := start; i < end; i++ {
		row := v.row(v.rows[i], width-2)
		row = listRow(row, i == v.c.pos, width)
		b.WriteString(row + "\n")
	}
	for i := end - start; i < listH; i++ {
		b.WriteString("\n")
	}
	b.WriteString(v.detail(width))
	return fit(b.String(), width, height)
}

func (v findingsView) row(r findingRow, width int) string {
	g := v.groups[r.g]
	switch r.kind {
	case rowGroup:
		arrow := "▸"
		if v.open[g.rule] {
			arrow = "▾"
		}
		n := fmt.Sprintf("%d findings", len(g.findings))
		if len(g.findings) == 1 {
			n = "1 finding"
		}
		bytes := ""
		if g.bytes > 0 {
			bytes = humanize.Bytes(uint64(g.bytes))
		}
		// The bytes stay at the end: narrower screens drop the count,
		// then the category, then cut the name.
		nameW := 22
		cols := []string{padRight(styleDim.Render(g.category), 15), padLeft(n, 11)}
		switch {
		case width < 62:
			cols, nameW = nil, max(8, width-36)
		case width < 74:
			cols = cols[:1]
		case width < 86:
			cols = cols[1:]
		}
		left := fmt.Sprintf("%s %s %s %s", arrow, styleRule.Render(g.rule), padRight(g.name, nameW), padRight(severity(string(g.severity)), 6))
		return strings.Join(append(append([]string{left}, cols...), padLeft(styleBytes.Render(bytes), 9)), " ")
	case rowFinding:
		f := g.findings[r.f]
		arrow := "▸"
		if v.open[findingKey(g, r.f)] {
			arrow = "▾"
		}
		bytes := ""
		if f.Bytes > 0 {
			bytes = humanize.Bytes(uint64(f.Bytes))
		}
		return fmt.Sprintf("    %s %s  %s", arrow, padLeft(bytes, 8), findingTitle(f, g.findings))
	case rowInfo:
		return styleDim.Render("        " + r.text)
	}
	f := g.findings[r.f]
	bytes := ""
	if r.p < len(f.PathBytes) && f.PathBytes[r.p] > 0 {
		bytes = humanize.Bytes(uint64(f.PathBytes[r.p]))
	}
	return fmt.Sprintf("        %s  %s", padLeft(bytes, 8), cutMiddle(textsafe.Term(f.Paths[r.p]), width-20))
}

// detail is the panel below the list: the rule's doc or the finding's fix.
func (v findingsView) detail(width int) string {
	var b strings.Builder
	b.WriteString(rule("", width) + "\n")
	if len(v.rows) == 0 {
		return b.String()
	}
	r := v.rows[v.c.pos]
	g := v.groups[r.g]
	var head, text string
	if r.kind == rowGroup {
		head = fmt.Sprintf("%s %s · %s", g.rule, g.name, g.category)
		if rule := rules.RuleByID(g.rule); rule != nil {
			text = rule.Doc + ". Fix: " + rule.Fix
		}
	} else {
		f := g.findings[r.f]
		head = fmt.Sprintf("%s · %s", f.Rule, findingTitle(f, g.findings))
		text = "Fix: " + textsafe.OneLine(f.Fix)
	}
	b.WriteString(styleTitle.Render(truncate(head, width)) + "\n")
	lines := wrap(text, width)
	if len(lines) > findingDetailLines-2 {
		lines = lines[:findingDetailLines-2]
		lines[len(lines)-1] = truncate(lines[len(lines)-1]+" …", width)
	}
	for _, l := range lines {
		b.WriteString(styleDim.Render(l) + "\n")
	}
	return b.String()
}

// mapsClone copies a map so that an older model value keeps its own.
func mapsClone[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	return out
}
