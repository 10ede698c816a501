package textsafe

import (
	"strconv"
	"unicode/utf8"
)

// Clip is OneLine(s) cut to at most n runes, the last one an ellipsis
// when it was cut: for a column of a table (a history entry's command).
func Clip(s string, n int) string {
	s = OneLine(s)
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Code returns a line of code (a Dockerfile line, a diff line, build
// output) as it is when it is printable text, tabs and backslashes
// included, so that it can be copied back; a line with any other control
// character, invalid UTF-8 or an invisible formatting rune is Term(line).
func Code(line string) string {
	if !utf8.ValidString(line) {
		return Term(line)
	}
	for _, r := range line {
		if r != '\t' && r != ' ' && !strconv.IsPrint(r) {
			return Term(line)
		}
	}
	return line
}
