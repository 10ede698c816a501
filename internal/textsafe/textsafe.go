// Package textsafe makes strings that come from an image, a registry or a
// file safe to show to a person: on a terminal, in a one-line message, in
// markdown. JSON output never goes through it (encoding/json is exact).
//
// Escape sequences (ESC, OSC 52 clipboard writes), carriage returns and
// newlines in a file name, a history entry or an error body could redraw
// the terminal or forge a report line; Term writes them the way %q does
// (\x1b, \r, \n, \u202e), and leaves printable text as it is.
package textsafe

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Term returns s with every byte or rune that is not printable text
// written as a Go escape, as strconv.Quote writes it but without the
// surrounding quotes: C0 and C1 controls, DEL, invalid UTF-8 and
// invisible formatting runes (bidirectional overrides). Plain spaces and
// backslashes stay: a Dockerfile's continuation backslash must read as one,
// and only a control character can move the cursor or forge a line.
func Term(s string) string {
	if printable(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case r == ' ' || strconv.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

// printable reports whether Term would leave s unchanged.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r != ' ' && !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}

// OneLine folds s onto one line: runs of blanks (spaces, tabs, newlines)
// become one space and the ends are trimmed; what remains is made safe by
// Term. For multi-line text meant as one line: a history entry's command,
// an error message. A file name goes through Term alone, so that a newline
// in it is shown, not hidden.
func OneLine(s string) string {
	return Term(strings.Join(strings.Fields(s), " "))
}

// markdownSpecial are the characters that could start markup in a
// CommonMark/GFM paragraph or table cell.
const markdownSpecial = "\\`*_{}[]()<>#+-.!|~"

// Markdown returns OneLine(s) with markdown's special characters escaped
// with a backslash, for a table cell or a paragraph.
func Markdown(s string) string {
	s = OneLine(s)
	if !strings.ContainsAny(s, markdownSpecial) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(markdownSpecial, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
