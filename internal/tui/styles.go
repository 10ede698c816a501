package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// The styles, defined once. Colours are the terminal's 16 ANSI colours so
// they follow its theme; under NO_COLOR the program renders with the ASCII
// profile, which keeps bold, faint and reverse, and every state also has a
// marker that needs no style at all (›, [x], ▸, ✗, +/-).
var (
	colRed     = lipgloss.Color("1")
	colGreen   = lipgloss.Color("2")
	colYellow  = lipgloss.Color("3")
	colBlue    = lipgloss.Color("4")
	colMagenta = lipgloss.Color("5")
	colCyan    = lipgloss.Color("6")
	colGray    = lipgloss.Color("8")

	styleTab       = lipgloss.NewStyle().Foreground(colGray)
	styleTabActive = lipgloss.NewStyle().Bold(true).Reverse(true)
	styleBrand     = lipgloss.NewStyle().Bold(true).Foreground(colMagenta)
	styleTitle     = lipgloss.NewStyle().Bold(true)
	styleHeading   = lipgloss.NewStyle().Bold(true).Foreground(colBlue)
	styleLabel     = lipgloss.NewStyle().Foreground(colCyan)
	styleDim       = lipgloss.NewStyle().Faint(true)
	styleSelected  = lipgloss.NewStyle().Reverse(true)
	styleBytes     = lipgloss.NewStyle().Bold(true)
	styleGood      = lipgloss.NewStyle().Foreground(colGreen)
	styleWarn      = lipgloss.NewStyle().Foreground(colYellow)
	styleBad       = lipgloss.NewStyle().Foreground(colRed)
	styleRule      = lipgloss.NewStyle().Foreground(colYellow)
	styleHidden    = lipgloss.NewStyle().Foreground(colRed).Faint(true)
	styleDir       = lipgloss.NewStyle().Foreground(colBlue).Bold(true)
	styleLink      = lipgloss.NewStyle().Foreground(colCyan)
	styleBar       = lipgloss.NewStyle().Foreground(colMagenta)
	styleStatus    = lipgloss.NewStyle().Foreground(colYellow).Bold(true)
	styleError     = lipgloss.NewStyle().Foreground(colRed).Bold(true)
	styleDialog    = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(colYellow).Padding(0, 1)
	styleNone      = lipgloss.NewStyle()

	// The changes of a layer: dive's colours (added green, modified
	// yellow, removed red), metadata-only rewrites cyan; each also has
	// its marker (+ ~ * -), which needs no colour.
	changeColours = [...]lipgloss.Style{
		fsview.ChangeNone:     styleNone,
		fsview.ChangeAdded:    lipgloss.NewStyle().Foreground(colGreen),
		fsview.ChangeContent:  lipgloss.NewStyle().Foreground(colYellow),
		fsview.ChangeMetadata: lipgloss.NewStyle().Foreground(colCyan),
		fsview.ChangeRemoved:  lipgloss.NewStyle().Foreground(colRed),
	}

	styleDiffAdd  = lipgloss.NewStyle().Foreground(colGreen)
	styleDiffDel  = lipgloss.NewStyle().Foreground(colRed)
	styleDiffHunk = lipgloss.NewStyle().Foreground(colCyan)
	styleDiffFile = lipgloss.NewStyle().Bold(true)

	severityStyles = map[string]lipgloss.Style{
		"high":   lipgloss.NewStyle().Foreground(colRed).Bold(true),
		"medium": lipgloss.NewStyle().Foreground(colYellow),
		"low":    lipgloss.NewStyle().Foreground(colBlue),
		"info":   lipgloss.NewStyle().Foreground(colGray),
	}
)

// helpStyles are the help bar's: keys bold, descriptions plain, separators
// faint; no fixed greys that vanish on one background or the other.
func helpStyles() help.Styles {
	key := lipgloss.NewStyle().Bold(true)
	desc := lipgloss.NewStyle()
	sep := lipgloss.NewStyle().Faint(true)
	return help.Styles{
		ShortKey: key, ShortDesc: desc, ShortSeparator: sep, Ellipsis: sep,
		FullKey: key, FullDesc: desc, FullSeparator: sep,
	}
}

func severity(s string) string {
	if st, ok := severityStyles[s]; ok {
		return st.Render(s)
	}
	return s
}

// colourDiffLine styles one line of a unified diff.
func colourDiffLine(l string) string {
	switch {
	case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"), strings.HasPrefix(l, "diff "):
		return styleDiffFile.Render(l)
	case strings.HasPrefix(l, "+"):
		return styleDiffAdd.Render(l)
	case strings.HasPrefix(l, "-"):
		return styleDiffDel.Render(l)
	case strings.HasPrefix(l, "@@"):
		return styleDiffHunk.Render(l)
	}
	return l
}

// listRow renders a row of a list in width cells: the selected one gets a
// "›" (seen without colours, and in text captures) and a reverse bar with
// the row's own styles dropped so the bar runs unbroken; the others are
// indented to match.
func listRow(line string, selected bool, width int) string {
	if !selected {
		return "  " + line
	}
	plain := "› " + ansi.Strip(line)
	if w := ansi.StringWidth(plain); w < width {
		plain += strings.Repeat(" ", width-w)
	}
	return styleSelected.Render(ansi.Truncate(plain, width, "…"))
}

// fit cuts or pads s to exactly h lines of at most w cells, so that a view
// never wraps, never scrolls the terminal and keeps the same height.
func fit(s string, w, h int) string {
	if h <= 0 {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > w {
			lines[i] = ansi.Truncate(l, w, "…")
		}
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// besides lays two blocks of h lines side by side: left padded to lw
// cells, a faint line between them.
func besides(left, right string, lw, h int) string {
	l, r := strings.Split(fit(left, lw, h), "\n"), strings.Split(right, "\n")
	var b strings.Builder
	sep := styleDim.Render("│")
	for i := range h {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(padRight(l[i], lw) + sep)
		if i < len(r) {
			b.WriteString(r[i])
		}
	}
	return b.String()
}

// truncate shortens plain or styled text to w cells with an ellipsis.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// padRight pads s with spaces to w cells (styled text is measured by its
// cells); longer text is truncated.
func padRight(s string, w int) string {
	s = truncate(s, w)
	if n := ansi.StringWidth(s); n < w {
		s += strings.Repeat(" ", w-n)
	}
	return s
}

// padLeft right-aligns s in w cells.
func padLeft(s string, w int) string {
	s = truncate(s, w)
	if n := ansi.StringWidth(s); n < w {
		s = strings.Repeat(" ", w-n) + s
	}
	return s
}

// maxShown is the most of one string from the image a view shows: more
// runes than a tall, wide terminal holds in the lines given to it.
const maxShown = 4096

// imageText is a string from the image (a history entry, the user, the OS
// name) folded onto one line, made safe and cut to maxShown runes: it may
// be megabytes, and the views fold, wrap and truncate it on every frame
// (a 3.5 MB history entry took 0.25 s a key press).
func imageText(s string) string { return textsafe.Clip(s, maxShown) }

// wrap breaks plain text into lines of at most w cells.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(lipgloss.Wrap(s, w, " /,"), "\n")
}

// changeColour is the style of a change kind.
func changeColour(k fsview.ChangeKind) lipgloss.Style {
	if int(k) < len(changeColours) {
		return changeColours[k]
	}
	return styleNone
}

// cutMiddle shortens plain text to w cells by taking out its middle, so
// that both ends stay: a path keeps its file name (and its first
// directory when there is room), a name keeps its extension.
func cutMiddle(s string, w int) string {
	if ansi.StringWidth(s) <= w {
		return s
	}
	if w <= 1 {
		return truncate(s, w)
	}
	if i := strings.LastIndexByte(s, '/'); i > 0 && i < len(s)-1 {
		if last := s[i:]; ansi.StringWidth(last)+2 <= w {
			return ansi.Truncate(s[:i], w-ansi.StringWidth(last), "…") + last
		}
		s = s[i+1:]
		if ansi.StringWidth(s) <= w {
			return s
		}
	}
	r := []rune(s)
	tail := (w - 1) / 2
	head := w - 1 - tail
	for ansi.StringWidth(string(r[:head]))+1+ansi.StringWidth(string(r[len(r)-tail:])) > w && head > 0 {
		if tail > head {
			tail--
		} else {
			head--
		}
	}
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// safeLines makes text from an image or a Dockerfile safe for the terminal
// line by line: tabs become spaces, and a line with any other control goes
// through textsafe.Term. Lines without one are kept as they are, their
// backslashes too (Term doubles them; a Dockerfile is full of them).
func safeLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = safeLine(strings.ReplaceAll(l, "\t", "    "))
	}
	return strings.Join(lines, "\n")
}

// safeLine is one line of safeLines, or text the user typed (a regex).
func safeLine(l string) string {
	if plain := strings.ReplaceAll(l, `\`, ""); textsafe.Term(plain) != plain {
		return textsafe.Term(l)
	}
	return l
}

// rule is a faint horizontal line across the width, with an optional label.
func rule(label string, width int) string {
	if label != "" {
		label = "── " + label + " "
	}
	n := max(0, width-ansi.StringWidth(label))
	return styleDim.Render(ansi.Truncate(label+strings.Repeat("─", n), width, ""))
}

// files counts files in words: "1 file", "1,204 files".
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return humanize.Comma(int64(n)) + " files"
}
