package textsafe

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clip is OneLine(s) cut to at most n runes, the last one an ellipsis
// when it was cut: for a column of a table (a history entry's command).
// Only the start of s that n runes need is folded: a history entry may
// be megabytes, and a view clips it again on every frame (0.1–0.2 s each
// for 3.5 MB).
func Clip(s string, n int) string {
	if n >= 1 {
		s = foldedStart(s, n+1)
	}
	s = OneLine(s)
	if n < 1 || utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// foldedStart is the start of strings.Join(strings.Fields(s), " ") of at
// least n runes (all of it when shorter), an invalid byte counted as one
// rune as Term writes it: what OneLine(s) cut to n runes needs.
func foldedStart(s string, n int) string {
	var b strings.Builder
	runes := 0
	for runes < n {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
			runes++
		}
		i := 0
		for i < len(s) && (runes < n || i == 0) { // a blank counts with a rune after it
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += size
			runes++
		}
		b.WriteString(s[:i])
		s = s[i:]
	}
	return b.String()
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
