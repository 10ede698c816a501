package verify

import (
	"bytes"
	"slices"
	"strings"
)

// maxOutputLine is the longest line of a build's or a container's output
// kept; the rest of a longer line is dropped.
const maxOutputLine = 4 << 10

// output is what a docker build or a smoke run prints, kept within a bound:
// each line goes to onLine as it arrives, and only the last tailLines
// non-empty lines stay. A container that prints without end (`yes`, a
// chatty server until --smoke-timeout) or a build step that logs
// gigabytes held whole took gigabytes of memory.
type output struct {
	onLine  func(string) // nil: none
	partial []byte       // the line being written, at most maxOutputLine bytes
	last    []string     // the last tailLines non-empty lines, oldest first
}

// Write never fails: output is only ever shown.
func (o *output) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		line := p
		if i >= 0 {
			line = p[:i]
		}
		if room := maxOutputLine - len(o.partial); room > 0 {
			o.partial = append(o.partial, line[:min(room, len(line))]...)
		}
		if i < 0 {
			break
		}
		o.endLine()
		p = p[i+1:]
	}
	return n, nil
}

// endLine hands the line being written on and keeps it when it is not
// blank. Carriage returns are dropped: progress bars redraw with them.
func (o *output) endLine() {
	l := strings.ReplaceAll(string(o.partial), "\r", "")
	o.partial = o.partial[:0]
	if o.onLine != nil {
		o.onLine(l)
	}
	if strings.TrimSpace(l) == "" {
		return
	}
	if len(o.last) == tailLines {
		copy(o.last, o.last[1:])
		o.last = o.last[:tailLines-1]
	}
	o.last = append(o.last, l)
}

// flush ends an unfinished last line, once the command has exited.
func (o *output) flush() {
	if len(o.partial) > 0 {
		o.endLine()
	}
}

// Tail is the last n (at most tailLines) non-empty lines, a copy.
func (o *output) Tail(n int) []string {
	return slices.Clone(o.last[max(0, len(o.last)-n):])
}

// LastLine is the last non-empty line, trimmed; "" when there is none.
func (o *output) LastLine() string {
	t := o.Tail(1)
	if len(t) == 0 {
		return ""
	}
	return strings.TrimSpace(t[0])
}
