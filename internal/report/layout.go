package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// printer writes the text report a line at a time, no line wider than
// cols cells: prose is wrapped, table rows are cut (the error of the first
// write is kept and reported once).
type printer struct {
	w    io.Writer
	cols int
	err  error
}

// line writes s as it is: the callers make sure it fits.
func (p *printer) line(s string) {
	if p.err == nil {
		_, p.err = fmt.Fprintln(p.w, s)
	}
}

// clip writes s cut to the width, its end replaced by an ellipsis (a row
// whose last column is an instruction).
func (p *printer) clip(s string) { p.line(ansi.Truncate(s, p.cols, "…")) }

// wrap writes prefix and text wrapped to the width, the lines after the
// first indented as deep as the prefix (or by 4 without one).
func (p *printer) wrap(prefix, text string) {
	indent := ansi.StringWidth(prefix)
	if indent == 0 && ansi.StringWidth(text) > p.cols {
		indent = 4
	}
	for i, l := range textsafe.Wrap(text, p.cols-indent) {
		if i == 0 {
			p.line(prefix + l)
		} else {
			p.line(strings.Repeat(" ", indent) + l)
		}
	}
}

// table writes rows as columns two spaces apart, indented by two, the
// first right columns aligned right. The last column takes the width that
// is left: cut at its end (an instruction), or in its middle when
// middle is set (a path keeps its file name).
func (p *printer) table(rows [][]string, right int, middle bool) {
	if len(rows) == 0 {
		return
	}
	n := len(rows[0])
	widths := make([]int, n-1)
	for _, r := range rows {
		for i := range n - 1 {
			widths[i] = max(widths[i], ansi.StringWidth(r[i]))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i := range n - 1 {
			pad := strings.Repeat(" ", widths[i]-ansi.StringWidth(r[i]))
			if i < right {
				b.WriteString(pad + r[i])
			} else {
				b.WriteString(r[i] + pad)
			}
			b.WriteString("  ")
		}
		room := p.cols - ansi.StringWidth(b.String())
		switch {
		case middle && room < minPathRoom && ansi.StringWidth(r[n-1]) > room:
			// Too narrow for a path: it goes on a line of its own.
			p.line(strings.TrimRight(b.String(), " "))
			b.Reset()
			b.WriteString("    " + clipMiddle(r[n-1], p.cols-4))
		case middle:
			b.WriteString(clipMiddle(r[n-1], room))
		default:
			b.WriteString(ansi.Truncate(r[n-1], max(room, 1), "…"))
		}
		p.line(strings.TrimRight(b.String(), " "))
	}
}

// minPathRoom is the narrowest column a path is cut to; below it the path
// goes on a line of its own.
const minPathRoom = 40

// clipMiddle cuts s to n cells by taking out its middle (an ellipsis in
// its place): a path keeps its first directories and its file name.
func clipMiddle(s string, n int) string {
	w := ansi.StringWidth(s)
	if w <= n {
		return s
	}
	if n < 8 {
		return ansi.Truncate(s, max(n, 1), "…")
	}
	tail := (n - 1) * 2 / 3
	head := n - 1 - tail
	return ansi.Truncate(s, head, "") + "…" + ansi.TruncateLeft(s, w-tail, "")
}
