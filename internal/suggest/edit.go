package suggest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aymanbagabas/go-udiff"
)

// edit replaces the bytes [start, end) of the source with text; start ==
// end inserts. Edits of one change never overlap.
type edit struct {
	start, end int
	text       string
}

// applyEdits splices the edits into src. Insertions at one offset keep the
// order they were made in; deletions that overlap (an instruction and the
// comments of the next) are one deletion.
func applyEdits(src []byte, edits []edit) (string, error) {
	es := append([]edit(nil), edits...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].start < es[j].start })
	var b strings.Builder
	pos := 0
	lastDeleted := false
	for _, e := range es {
		if e.start < pos && lastDeleted && e.text == "" && e.end <= len(src) {
			e.start = min(pos, e.end)
		}
		if e.start < pos || e.end < e.start || e.end > len(src) {
			return "", fmt.Errorf("overlapping edits at byte %d", e.start)
		}
		lastDeleted = e.text == "" && e.end > e.start
		b.Write(src[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.Write(src[pos:])
	return b.String(), nil
}

// lineEndings writes the edits' new lines with the file's line ending:
// in a file whose lines end in CRLF, a lone LF becomes CRLF.
func (d *Dockerfile) lineEndings(edits []edit) []edit {
	if !d.crlf {
		return edits
	}
	out := make([]edit, len(edits))
	for i, e := range edits {
		var b strings.Builder
		for k := 0; k < len(e.text); k++ {
			if e.text[k] == '\n' && (k == 0 && (e.start == 0 || d.Src[e.start-1] != '\r') || k > 0 && e.text[k-1] != '\r') {
				b.WriteByte('\r')
			}
			b.WriteByte(e.text[k])
		}
		e.text = b.String()
		out[i] = e
	}
	return out
}

// replaceInstr replaces the whole instruction (all of its lines).
func replaceInstr(in *Instruction, text string) edit {
	return edit{start: in.Start, end: in.End, text: text}
}

// deleteInstr removes the instruction's lines, and the comment lines right
// above it when nothing follows right below (a blank line, the end): then
// they describe only it. With an instruction right below, they describe
// that one too, and stay.
func (d *Dockerfile) deleteInstr(in *Instruction) edit {
	if in.End >= len(d.Src) || d.blankAt(in.End) {
		return d.moveOut(in)
	}
	return edit{start: in.Start, end: in.End}
}

// moveOut removes the instruction and the comment lines right above it,
// which go where it goes.
// A blank line right below goes too: the lines around are as they were
// around it.
func (d *Dockerfile) moveOut(in *Instruction) edit {
	end := in.End
	if end < len(d.Src) && in.commentStart > 0 && d.blankAt(end) {
		for end < len(d.Src) && d.Src[end] != '\n' {
			end++
		}
		end = min(end+1, len(d.Src))
	}
	return edit{start: in.commentStart, end: end}
}

// blankAt: the line starting at offset off is blank.
func (d *Dockerfile) blankAt(off int) bool {
	end := off
	for end < len(d.Src) && d.Src[end] != '\n' {
		end++
	}
	return strings.TrimSpace(string(d.Src[off:end])) == ""
}

// comments are the comment lines right above the instruction.
func (d *Dockerfile) comments(in *Instruction) string { return string(d.Src[in.commentStart:in.Start]) }

// withComments is the instruction's text with the comment lines right
// above it, to move it elsewhere.
func (d *Dockerfile) withComments(in *Instruction) string {
	return string(d.Src[in.commentStart:in.End])
}

// tidyBlankLines removes the blank lines between instructions that edits
// left over: runs of blank lines longer than the original's longest, and
// blank lines at the start or end beyond the original's. Lines inside
// instructions (continuations, heredoc bodies) are never touched.
func tidyBlankLines(orig *Dockerfile, res string) string {
	origMax, origLead, origTrail := orig.blankRuns()
	maxRun := max(origMax, 1)
	if longest, lead, trail := blankRunsOf(res); longest <= maxRun && lead <= origLead && trail <= origTrail {
		return res // nothing to tidy: no need to parse it
	}
	rd, err := parse([]byte(res))
	if err != nil {
		return res
	}
	covered := rd.instrLines()
	lines := strings.SplitAfter(res, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	keep := make([]bool, len(lines))
	run := 0
	for i, l := range lines {
		blank := strings.TrimSpace(l) == "" && !covered[i+1]
		if !blank {
			run = 0
			keep[i] = true
			continue
		}
		run++
		keep[i] = run <= maxRun && !(run == i+1 && run > origLead)
	}
	// trailing blank lines: as many as the original had
	trail := 0
	for i := len(lines) - 1; i >= 0 && strings.TrimSpace(lines[i]) == "" && !covered[i+1]; i-- {
		trail++
		if trail > origTrail {
			keep[i] = false
		}
	}
	var b strings.Builder
	for i, l := range lines {
		if keep[i] {
			b.WriteString(l)
		}
	}
	return b.String()
}

// instrLines are the lines instructions cover (1-based).
func (d *Dockerfile) instrLines() []bool {
	out := make([]bool, len(d.lineStart)+1)
	for _, in := range d.Instructions {
		for l := in.StartLine; l <= in.EndLine; l++ {
			out[l] = true
		}
	}
	return out
}

// blankRuns are the longest run of blank lines of the file, and its blank
// lines at the start and at the end.
func (d *Dockerfile) blankRuns() (longest, lead, trail int) {
	if d.blanks == nil {
		l, a, t := blankRunsOf(string(d.Src))
		d.blanks = &[3]int{l, a, t}
	}
	return d.blanks[0], d.blanks[1], d.blanks[2]
}

// blankRunsOf is blankRuns of a text.
func blankRunsOf(text string) (longest, lead, trail int) {
	run, lines := 0, 0
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		lines++
		if strings.TrimSpace(line) != "" {
			if run == lines-1 {
				lead = run
			}
			run = 0
			continue
		}
		run++
		longest = max(longest, run)
	}
	return longest, lead, run
}

// insertBefore inserts whole lines before the instruction.
func insertBefore(in *Instruction, lines string) edit {
	return edit{start: in.Start, end: in.Start, text: lines}
}

// insertAfter inserts whole lines after the instruction. A continuation
// backslash left open at its end (BuildKit lets the file end there, even
// with blank or comment lines after it) goes: after it the lines would
// continue the instruction. What follows the backslash stays.
func (d *Dockerfile) insertAfter(in *Instruction, lines string) edit {
	text := string(d.Src[in.Start:in.End])
	start, kept := in.End, ""
	if bs := openContinuation(text); bs >= 0 {
		// Blanks after the backslash go with it.
		start, kept = in.Start+bs, strings.TrimLeft(text[bs+1:], " \t")
	}
	if in.End > 0 && d.Src[in.End-1] != '\n' {
		// The file ends without a newline: so does the result.
		kept += "\n"
		lines = strings.TrimSuffix(lines, "\n")
	}
	return edit{start: start, end: in.End, text: kept + lines}
}

// openContinuation is the offset in an instruction's text of the
// continuation backslash its last line leaves open, or -1.
func openContinuation(text string) int {
	off, body := lastContentLine(text)
	if !continues(body) {
		return -1
	}
	return off + len(body) - 1
}

// contentEnd is the offset in an instruction's text just after its last
// word: trailing blank and comment lines, blanks and an open continuation
// backslash do not count.
func contentEnd(text string) int {
	off, body := lastContentLine(text)
	if continues(body) {
		body = strings.TrimRight(body[:len(body)-1], " \t")
	}
	return off + len(body)
}

// lastContentLine is the last line of an instruction's text that is not
// blank or a comment (inside a continuation BuildKit skips those, blank
// meaning unicode.IsSpace), as its offset and its text without trailing
// blanks and newline.
func lastContentLine(text string) (off int, body string) {
	lines := strings.SplitAfter(text, "\n")
	off = len(text)
	for i := len(lines) - 1; i >= 0; i-- {
		off -= len(lines[i])
		body = strings.TrimRight(lines[i], " \t\r\n")
		if lead := strings.TrimSpace(body); i > 0 && (lead == "" || lead[0] == '#') {
			continue
		}
		return off, body
	}
	return 0, ""
}

// continues: BuildKit's rule for a line continuation, a backslash not
// preceded by another, then blanks (already trimmed).
func continues(body string) bool {
	return strings.HasSuffix(body, "\\") && !strings.HasSuffix(body, "\\\\")
}

// insertWord inserts " text" right after a word.
func insertWord(w Word, text string) edit {
	return edit{start: w.End, end: w.End, text: " " + text}
}

// appendCommand appends "&& cmd" after the last top-level segment of a
// RUN, following the instruction's continuation style.
func (d *Dockerfile) appendCommand(in *Instruction, cmd string) (edit, bool) {
	sh := in.Shell
	if !in.editable() || len(sh.Segments) == 0 || sh.background() {
		return edit{}, false
	}
	last := sh.Segments[len(sh.Segments)-1]
	return edit{start: last.End, end: last.End, text: d.joiner(in) + cmd}, true
}

// prependCommand puts "cmd &&" before the first top-level segment.
func (d *Dockerfile) prependCommand(in *Instruction, cmd string) (edit, bool) {
	sh := in.Shell
	if !in.editable() || len(sh.Segments) == 0 {
		return edit{}, false
	}
	first := sh.Segments[0]
	return edit{start: first.Start, end: first.Start, text: cmd + " && "}, true
}

// joiner is the text that joins a new command to a RUN: " && " on one
// line, or a continuation in the style of the instruction's own lines.
func (d *Dockerfile) joiner(in *Instruction) string {
	if in.StartLine == in.EndLine {
		return " && "
	}
	lines := strings.Split(strings.TrimRight(d.Text(in), "\n"), "\n")
	for _, l := range lines[1:] {
		t := strings.TrimLeft(l, " \t")
		if strings.HasPrefix(t, "&&") {
			return " \\\n" + l[:len(l)-len(t)] + "&& "
		}
	}
	indent := "    "
	for _, l := range lines[1:] {
		t := strings.TrimLeft(l, " \t")
		if t != "" && !strings.HasPrefix(t, "#") {
			indent = l[:len(l)-len(t)]
			break
		}
	}
	return " && \\\n" + indent
}

// joinerWith puts comment lines (of an instruction merged in) into the
// joiner j, on lines of their own inside the continuation, where BuildKit
// skips them.
func joinerWith(j, comments string) string {
	if comments == "" {
		return j
	}
	if !strings.Contains(j, "\n") {
		j = " \\\n && "
	}
	k := strings.Index(j, "\n") + 1
	return j[:k] + comments + j[k:]
}

// removeSegment removes one top-level segment of a RUN with its
// separator, keeping the others as they are written.
func removeSegment(sh *Shell, i int) edit {
	segs := sh.Segments
	s := segs[i]
	switch {
	case len(segs) == 1:
		return edit{start: s.Start, end: s.End, text: "true"}
	case i == 0:
		return edit{start: s.Start, end: segs[1].Start}
	case segs[i].Sep != "&&" && i+1 < len(segs) && segs[i+1].Sep == "&&":
		// first operand of an && chain after a ";": keep the ";".
		return edit{start: s.Start, end: segs[i+1].Start}
	default:
		return edit{start: segs[i-1].End, end: s.End}
	}
}

// segmentText is the source of segments [from, to].
func (d *Dockerfile) segmentsText(sh *Shell, from, to int) string {
	return string(d.Src[sh.Segments[from].Start:sh.Segments[to].End])
}

// unifiedDiff is a unified diff from old to new of the file name, with
// a/ and b/ headers that git apply and patch -p1 accept; "" when equal.
func unifiedDiff(name, old, new string) string {
	if old == new {
		return ""
	}
	return unified("a/"+name, "b/"+name, old, new)
}

// newFileDiff is the diff that creates a file.
func newFileDiff(name, content string) string {
	d := unified("/dev/null", "b/"+name, "", content)
	return "diff --git a/" + name + " b/" + name + "\nnew file mode 100644\n" + d
}

// UnifiedDiff is the unified diff every view of slimpy shows (from and to
// are the header names, e.g. a/Dockerfile and b/Dockerfile).
func UnifiedDiff(from, to, old, new string) string { return unified(from, to, old, new) }

// unified is udiff.Unified with the hunks' new line numbers recomputed:
// go-udiff (v0.4.1) leaves out the unchanged lines between two edits it
// joins into one hunk, so every later hunk's "+N" came out short (git
// apply ignores it; patch reports an offset; a reader is misled).
func unified(from, to, old, new string) string {
	u, err := udiff.ToUnifiedDiff(from, to, old, udiff.Lines(old, new), udiff.DefaultContextLines)
	if err != nil {
		// Can't happen: the edits come from the two texts.
		panic(fmt.Sprintf("diff: %v", err))
	}
	delta := 0
	for _, h := range u.Hunks {
		h.ToLine = h.FromLine + delta
		for _, l := range h.Lines {
			switch l.Kind {
			case udiff.Insert:
				delta++
			case udiff.Delete:
				delta--
			}
		}
	}
	return u.String()
}
