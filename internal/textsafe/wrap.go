package textsafe

import (
	"strings"
	"unicode"

	"github.com/charmbracelet/x/ansi"
)

// noBreak joins the words of a Glue: Wrap never breaks a line there and
// writes it as a plain space.
const noBreak = '\u00a0'

// Glue joins words with spaces at which Wrap never breaks a line: a
// package name stays beside its size or version ("bash 7.2 MB").
func Glue(words ...string) string { return strings.Join(words, string(noBreak)) }

// Wrap breaks text into lines of at most width cells at spaces only
// (a package name, a flag or a path is never split at its hyphens or
// slashes); a word wider than a line is cut into pieces.
func Wrap(text string, width int) []string {
	width = max(width, 10)
	var lines []string
	var cur strings.Builder
	words := strings.FieldsFunc(text, func(r rune) bool { return r != noBreak && unicode.IsSpace(r) })
	for _, word := range sizeWords(words) {
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
	for i, l := range lines {
		lines[i] = strings.ReplaceAll(l, string(noBreak), " ")
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
