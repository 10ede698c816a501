package suggest

import (
	"bytes"
	"path"
	"slices"
	"sort"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// Shell is the parsed shell text of a RUN, CMD or ENTRYPOINT in shell form.
// Every offset is a byte offset into the Dockerfile source.
type Shell struct {
	Start, End int
	File       *syntax.File
	// Editable is false for heredoc scripts and text mvdan.cc/sh could not
	// parse: suggestions read them but never splice into them.
	Editable bool
	Err      error
	Calls    []*Call    // every simple command, in source order
	Segments []*Segment // the top-level list: statements split at && and ;
}

// Call is one simple command.
type Call struct {
	Words      []Word // the command name and its arguments
	Start, End int
	Segment    int // index into Shell.Segments; -1 inside a heredoc script
	Assigns    int // VAR=value words before the command
	// Env are those assignments (a value with expansions as written).
	Env [][2]string
	// Writes are the files its output redirections write (> and >>).
	Writes []string
	// Nested: inside a subshell, a function, an if, a loop, a pipeline
	// or an || chain: not an item of the top-level && list.
	Nested bool
}

// Word is one word of a command.
type Word struct {
	Value      string // with quotes removed; the raw text when Dynamic
	Dynamic    bool   // holds expansions ($VAR, $(...), globs are not expansions here)
	Start, End int
}

// Segment is one item of the top-level list: a statement, or one operand
// of a top-level && chain.
type Segment struct {
	Start, End int
	// Sep is the separator before the segment: "" for the first, "&&",
	// ";" (also a newline).
	Sep   string
	Calls []*Call
	// Or: the segment is an || list at the top level ("a || b", "a && b
	// || c"): its status is not its first command's.
	Or bool
	// Background: the segment runs in the background ("a && b &"); End
	// is before the "&", so text added there or after it would run in
	// the background too, or lose the "&".
	Background bool
}

// background says whether a top-level segment of the RUN runs in the
// background.
func (sh *Shell) background() bool {
	return slices.ContainsFunc(sh.Segments, func(s *Segment) bool { return s.Background })
}

// parseShell parses the shell text of in. Dockerfile comment lines and
// empty lines inside a continued instruction are blanked with spaces of the
// same length first (Docker drops them; a shell would not), so offsets stay
// those of the source.
func (d *Dockerfile) parseShell(in *Instruction) (*Shell, error) {
	start := in.Start
	src := d.Src
	i := start
	// BuildKit splits the keyword and the flags off at any of " \t\v\f\r".
	blank := func(c byte) bool { return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' }
	skipSpace := func() {
		for i < in.End {
			switch {
			case blank(src[i]) && !(src[i] == '\r' && i+1 < in.End && src[i+1] == '\n'):
				i++
			case src[i] == '\\' && i+1 < in.End && src[i+1] == '\n':
				i += 2
			case src[i] == '\\' && i+2 < in.End && src[i+1] == '\r' && src[i+2] == '\n':
				i += 3
			default:
				return
			}
		}
	}
	skipSpace()
	for i < in.End && !blank(src[i]) && src[i] != '\n' && src[i] != '\\' {
		i++ // the keyword
	}
	for {
		skipSpace()
		if i+1 < in.End && src[i] == '-' && src[i+1] == '-' {
			for i < in.End && !blank(src[i]) && src[i] != '\n' {
				i++
			}
			continue
		}
		break
	}
	sh := &Shell{Start: i, End: in.End, Editable: !in.Heredoc}
	// The shell text stops before the instruction's last newline: after a
	// trailing backslash ("&\\\" with BuildKit ending the instruction
	// there) the shell would read it as a line continuation and end the
	// last segment at the start of the next instruction, where an edit
	// appended to that segment would then land.
	end := in.End
	if !in.Heredoc && end > i && src[end-1] == '\n' {
		end--
		if end > i && src[end-1] == '\r' {
			end--
		}
	}
	text := blankComments(src[i:end])
	if !in.Heredoc {
		text = bashContinuations(text)
	}
	p := syntax.NewParser(syntax.Variant(syntax.LangBash), syntax.KeepComments(false))
	f, err := p.Parse(strings.NewReader(text), "")
	if err != nil {
		sh.Err, sh.Editable = err, false
		return sh, nil
	}
	sh.File = f
	base := i
	if in.Heredoc && len(in.Args) > 0 && strings.HasPrefix(strings.TrimSpace(in.Args[0]), "<<") && len(f.Stmts) == 1 {
		// RUN <<EOF: the heredoc body is the script.
		st := f.Stmts[0]
		if st.Cmd == nil && len(st.Redirs) == 1 && st.Redirs[0].Hdoc != nil {
			h := st.Redirs[0].Hdoc
			b0, b1 := base+int(h.Pos().Offset()), base+int(h.End().Offset())
			body, err := p.Parse(strings.NewReader(string(src[b0:b1])), "")
			if err != nil {
				sh.Err = err
				return sh, nil
			}
			collectCalls(sh, body, b0, true)
			return sh, nil
		}
	}
	collectCalls(sh, f, base, false)
	sh.endBeforeContinuations(src)
	return sh, nil
}

// endBeforeContinuations moves the ends of words, calls and segments back
// before a line continuation that ends them: mvdan.cc/sh counts "\\\n"
// into the word before it ("install\\" then a newline ends after the
// newline), and an edit at such an end would land on the next line, or
// unblank a blank line BuildKit skips.
func (sh *Shell) endBeforeContinuations(src []byte) {
	trim := func(end int) int {
		for {
			switch {
			case end >= 2 && src[end-1] == '\n' && src[end-2] == '\\':
				end -= 2
			case end >= 3 && src[end-1] == '\n' && src[end-2] == '\r' && src[end-3] == '\\':
				end -= 3
			default:
				return end
			}
		}
	}
	for _, c := range sh.Calls {
		c.End = trim(c.End)
		for i := range c.Words {
			c.Words[i].End = trim(c.Words[i].End)
		}
	}
	for _, s := range sh.Segments {
		s.End = trim(s.End)
	}
}

// bashContinuations moves the backslash of a BuildKit continuation that
// blanks follow ("update \\ " then a newline) to just before the newline,
// where the shell sees a continuation too (it would read "\\ " as an
// escaped space and end the command at the newline). Offsets stay.
func bashContinuations(text string) string {
	out := []byte(text)
	for lineStart := 0; lineStart < len(out); {
		nl := bytes.IndexByte(out[lineStart:], '\n')
		if nl < 0 {
			break
		}
		end := lineStart + nl
		if end > lineStart && out[end-1] == '\r' {
			end--
		}
		k := end
		for k > lineStart && (out[k-1] == ' ' || out[k-1] == '\t') {
			k--
		}
		// BuildKit: a backslash not preceded by another, then blanks.
		if k < end && k > lineStart && out[k-1] == '\\' && (k-1 == lineStart || out[k-2] != '\\') {
			out[k-1], out[end-1] = ' ', '\\'
		}
		lineStart += nl + 1
	}
	return string(out)
}

// blankComments replaces comment lines and empty lines after the first
// line with spaces, newline included.
func blankComments(b []byte) string {
	out := []byte(string(b))
	lineStart := 0
	first := true
	for lineStart < len(out) {
		end := lineStart
		for end < len(out) && out[end] != '\n' {
			end++
		}
		if !first {
			t := strings.TrimSpace(string(out[lineStart:end]))
			if (t == "" || strings.HasPrefix(t, "#")) && end < len(out) {
				for k := lineStart; k <= end && k < len(out); k++ {
					out[k] = ' '
				}
			}
		}
		first = false
		lineStart = end + 1
	}
	return string(out)
}

func collectCalls(sh *Shell, f *syntax.File, base int, heredoc bool) {
	if !heredoc {
		for _, st := range f.Stmts {
			flattenAnd(sh, st, base, ";")
		}
		if len(sh.Segments) > 0 {
			sh.Segments[0].Sep = ""
		}
	}
	redirs := map[*syntax.CallExpr][]*syntax.Redirect{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if st, ok := n.(*syntax.Stmt); ok {
			if ce, ok := st.Cmd.(*syntax.CallExpr); ok && len(st.Redirs) > 0 {
				redirs[ce] = st.Redirs
			}
			return true
		}
		var c *Call
		switch x := n.(type) {
		case *syntax.CallExpr:
			if len(x.Args) == 0 {
				return true
			}
			c = &Call{Start: base + int(x.Pos().Offset()), End: base + int(x.End().Offset()), Segment: -1, Assigns: len(x.Assigns)}
			for _, w := range x.Args {
				c.Words = append(c.Words, wordOf(w, base))
			}
		case *syntax.DeclClause:
			// export A=1, local, declare...: a command named so, each
			// assignment a word NAME=VALUE
			c = &Call{Start: base + int(x.Pos().Offset()), End: base + int(x.End().Offset()), Segment: -1}
			c.Words = append(c.Words, Word{Value: x.Variant.Value, Start: base + int(x.Variant.Pos().Offset()), End: base + int(x.Variant.End().Offset())})
			for _, a := range x.Args {
				w := Word{Start: base + int(a.Pos().Offset()), End: base + int(a.End().Offset())}
				switch {
				case a.Name == nil && a.Value != nil:
					w = wordOf(a.Value, base)
				case a.Name != nil && a.Value != nil:
					v := wordOf(a.Value, base)
					w.Value, w.Dynamic = a.Name.Value+"="+v.Value, v.Dynamic
				case a.Name != nil:
					w.Value = a.Name.Value
				}
				c.Words = append(c.Words, w)
			}
		default:
			return true
		}
		ce, _ := n.(*syntax.CallExpr)
		if ce != nil {
			for _, a := range ce.Assigns {
				val := ""
				if a.Value != nil {
					val = wordOf(a.Value, base).Value
				}
				c.Env = append(c.Env, [2]string{a.Name.Value, val})
			}
		}
		for _, r := range redirs[ce] {
			if (r.Op == syntax.RdrOut || r.Op == syntax.AppOut || r.Op == syntax.RdrAll || r.Op == syntax.AppAll || r.Op == syntax.RdrClob) && r.Word != nil {
				if w := wordOf(r.Word, base); !w.Dynamic || strings.HasPrefix(w.Value, "~") || strings.HasPrefix(w.Value, "$HOME") {
					c.Writes = append(c.Writes, w.Value)
				}
			}
		}
		if !heredoc {
			// The segments are in order and do not overlap: the one that
			// may hold the call is the last that starts at or before it
			// (a search, not a loop: a merged RUN can hold thousands).
			k := sort.Search(len(sh.Segments), func(i int) bool { return sh.Segments[i].Start > c.Start }) - 1
			if k >= 0 && c.End <= sh.Segments[k].End {
				s := sh.Segments[k]
				c.Segment = k
				s.Calls = append(s.Calls, c)
				c.Nested = !(c.Start == s.Start && c.End == s.End)
			}
		} else {
			c.Nested = true
		}
		sh.Calls = append(sh.Calls, c)
		return true
	})
}

// flattenAnd splits a top-level statement at its && operators.
func flattenAnd(sh *Shell, st *syntax.Stmt, base int, sep string) {
	if b, ok := st.Cmd.(*syntax.BinaryCmd); ok && b.Op == syntax.AndStmt && !st.Negated && !st.Background && len(st.Redirs) == 0 {
		flattenAnd(sh, b.X, base, sep)
		flattenAnd(sh, b.Y, base, "&&")
		return
	}
	end := stmtEnd(st)
	b, or := st.Cmd.(*syntax.BinaryCmd)
	or = or && b.Op == syntax.OrStmt
	sh.Segments = append(sh.Segments, &Segment{Start: base + int(st.Pos().Offset()), End: base + end, Sep: sep, Or: or || st.Negated, Background: st.Background})
}

// stmtEnd is the end of a statement without its trailing semicolon.
func stmtEnd(st *syntax.Stmt) int {
	end := 0
	if st.Cmd != nil {
		end = int(st.Cmd.End().Offset())
	}
	for _, r := range st.Redirs {
		if e := int(r.End().Offset()); e > end {
			end = e
		}
	}
	if end == 0 {
		end = int(st.End().Offset())
	}
	return end
}

func wordOf(w *syntax.Word, base int) Word {
	out := Word{Start: base + int(w.Pos().Offset()), End: base + int(w.End().Offset())}
	var b strings.Builder
	var add func(parts []syntax.WordPart) bool
	add = func(parts []syntax.WordPart) bool {
		for _, p := range parts {
			switch x := p.(type) {
			case *syntax.Lit:
				b.WriteString(x.Value)
			case *syntax.SglQuoted:
				b.WriteString(x.Value)
			case *syntax.DblQuoted:
				if !add(x.Parts) {
					return false
				}
			default:
				return false
			}
		}
		return true
	}
	if add(w.Parts) {
		out.Value = unescapeLit(b.String())
	} else {
		out.Dynamic = true
		var sb strings.Builder
		syntax.NewPrinter().Print(&sb, w)
		out.Value = sb.String()
	}
	return out
}

// unescapeLit removes the backslashes of an unquoted literal (\* → *).
func unescapeLit(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Name is the command's program: the base name of its first word, after
// wrappers such as sudo, env VAR=x and command.
func (c *Call) Name() string {
	_, name := c.program()
	return name
}

// program returns the index of the program word and its base name.
func (c *Call) program() (int, string) {
	ws := make([]string, len(c.Words))
	for i, w := range c.Words {
		ws[i] = w.Value
	}
	i, _ := programIndex(ws)
	if i >= len(ws) {
		return len(ws), ""
	}
	return i, path.Base(ws[i])
}

// runnerValueOpts are the options of "uv run", "conda run"... that take
// the next word as value.
var runnerValueOpts = map[string]bool{"--with": true, "--python": true, "-p": true, "--env-file": true, "--directory": true,
	"--project": true, "--package": true, "--extra": true, "--group": true, "--only-group": true, "--with-requirements": true,
	"-n": true, "--name": true, "--prefix": true, "--cwd": true, "-e": true, "--environment": true, "--index": true}

// programIndex finds the program an argv starts, after wrappers (sudo,
// exec, env VAR=x, tini --, gosu USER) and the tools that run a program
// in their environment (uv run, poetry run, pipenv run, conda run -n
// ENV): its index and the runner ("uv", "poetry", "pipenv", "conda",
// "pdm", "hatch"; "" for none).
func programIndex(ws []string) (int, string) {
	i, runner := 0, ""
	skipFlags := func(values map[string]bool) {
		for i < len(ws) && strings.HasPrefix(ws[i], "-") {
			if ws[i] == "--" {
				i++
				return
			}
			if values[ws[i]] {
				i++
			}
			i++
		}
	}
	for i < len(ws) {
		base := path.Base(ws[i])
		sub := ""
		if i+1 < len(ws) {
			sub = ws[i+1]
		}
		switch {
		case base == "sudo" || base == "command" || base == "exec" || base == "time" || base == "nice" || base == "nohup" ||
			base == "tini" || base == "dumb-init" || base == "catatonit":
			i++
			skipFlags(nil)
		case base == "env":
			i++
			for i < len(ws) && (strings.Contains(ws[i], "=") || strings.HasPrefix(ws[i], "-")) {
				i++
			}
		case base == "gosu" || base == "su-exec" || base == "chpst":
			i += 2
		case sub == "run" && (base == "uv" || base == "poetry" || base == "pipenv" || base == "pdm" || base == "hatch" ||
			base == "conda" || base == "mamba" || base == "micromamba" || base == "pixi"):
			runner = base
			if base == "mamba" || base == "micromamba" {
				runner = "conda"
			}
			i += 2
			skipFlags(runnerValueOpts)
		default:
			return i, runner
		}
	}
	return len(ws), runner
}

// Args are the words after the program.
func (c *Call) Args() []Word {
	i, _ := c.program()
	if i+1 > len(c.Words) {
		return nil
	}
	return c.Words[i+1:]
}

// Text is the command's source.
func (c *Call) Text(d *Dockerfile) string { return string(d.Src[c.Start:c.End]) }

// calls are the shell commands of a RUN instruction (nil for other
// instructions and the exec form).
func (in *Instruction) calls() []*Call {
	if in.Keyword != "RUN" || in.Shell == nil {
		return nil
	}
	return in.Shell.Calls
}

// editable reports whether edits may splice into the instruction's shell.
func (in *Instruction) editable() bool {
	return in.Shell != nil && in.Shell.Editable
}

// scriptCalls are the commands of a shell script (an entrypoint script
// of the build context); nil when it does not parse.
func scriptCalls(text string) []*Call {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(text), "")
	if err != nil {
		return nil
	}
	sh := &Shell{}
	collectCalls(sh, f, 0, true)
	return sh.Calls
}
