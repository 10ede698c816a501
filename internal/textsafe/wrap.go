package textsafe

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
		for {
			piece := firstCells(word, width)
			if len(piece) == len(word) {
				break
			}
			if cur.Len() > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
			}
			lines = append(lines, piece)
			word = word[len(piece):]
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

// firstCells is the longest start of word at most width cells wide (at
// least one rune), measured on a window of its first bytes: a word of
// megabytes (a user name from an image's config) is cut in one pass,
// where measuring and cutting the whole rest for each piece took time
// quadratic in its length (11 s for 200 kB). A window that fits whole is
// too short (wide or combining characters take several bytes a cell):
// it doubles until it holds more than width cells.
func firstCells(word string, width int) string {
	for n := 8 * width; ; n *= 2 {
		window := word
		if n < len(word) {
			for !utf8.RuneStart(word[n]) {
				n--
			}
			window = word[:n]
		}
		piece := ansi.Truncate(window, width, "")
		if len(piece) == len(window) && len(window) < len(word) {
			continue
		}
		if piece == "" || !strings.HasPrefix(word, piece) {
			_, size := utf8.DecodeRuneInString(word)
			return word[:size]
		}
		return piece
	}
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
