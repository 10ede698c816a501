package textsafe

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// Wrap breaks text into lines of at most width cells at spaces only
// (a package name, a flag or a path is never split at its hyphens or
// slashes); a word wider than a line is cut into pieces.
func Wrap(text string, width int) []string {
	width = max(width, 10)
	var lines []string
	var cur strings.Builder
	for _, word := range sizeWords(strings.Fields(text)) {
		for ansi.StringWidth(word) > width {
			if cur.Len() > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
			}
			lines = append(lines, ansi.Truncate(word, width, ""))
			word = ansi.TruncateLeft(word, width, "")
		}
		switch {
		case cur.Len() == 0:
			cur.WriteString(word)
		case ansi.StringWidth(cur.String())+1+ansi.StringWidth(word) <= width:
			cur.WriteString(" " + word)
		default:
			lines = append(lines, cur.String())
			cur.Reset()
			cur.WriteString(word)
		}
	}
	if cur.Len() > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// sizeWords joins a size and its unit ("18", "kB") into one word: a line
// never ends between them.
func sizeWords(words []string) []string {
	out := words[:0:0]
	for _, w := range words {
		if n := len(out); n > 0 && isUnit(strings.TrimRight(w, ",;.)")) {
			out[n-1] += " " + w
			continue
		}
		out = append(out, w)
	}
	return out
}

func isUnit(w string) bool {
	switch w {
	case "B", "kB", "MB", "GB", "TB", "PB", "EB":
		return true
	}
	return false
}
