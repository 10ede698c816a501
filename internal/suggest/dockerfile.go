package suggest

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/words"
)

// Dockerfile is a parsed Dockerfile that keeps its source: every
// instruction knows its line range and byte range, so edits splice the
// source and leave every other byte (comments, continuations, heredocs) as
// it was.
type Dockerfile struct {
	Src          []byte
	Instructions []*Instruction
	Stages       []*Stage
	// GlobalArgs are the ARG instructions before the first FROM.
	GlobalArgs []*Instruction
	// lineStart[i] is the byte offset where line i+1 starts;
	// lineStart[len] is len(Src).
	lineStart []int
	model     *Model
	crlf      bool    // most lines end in CRLF: new lines do too
	blanks    *[3]int // blankRuns, once
}

// Instruction is one Dockerfile instruction.
type Instruction struct {
	Keyword   string // upper case: RUN, COPY...
	StartLine int    // 1-based, inclusive
	EndLine   int    // 1-based, inclusive (heredoc bodies included)
	// Start and End are the byte range of the instruction's lines in Src,
	// End after the last line's newline (or at the end of the file).
	Start, End int
	Flags      []string // --mount=..., --from=..., --chown=...
	Args       []string // the parser's arguments (shell form: one string)
	JSON       bool     // exec (JSON) form
	Heredoc    bool     // carries heredocs
	Original   string   // continuation lines joined, comments dropped
	Stage      *Stage   // nil for global ARGs
	// Shell is the parsed shell form of RUN, CMD and ENTRYPOINT; nil for
	// the exec form, heredocs and other instructions.
	Shell *Shell
	// OnBuild is the keyword of an ONBUILD's trigger (Args hold its text):
	// it runs in the images built FROM this one, never in this build.
	OnBuild string

	idx int // index in Stage.Instrs
	// commentStart is where the comment lines right above it start (its
	// Start when none): they describe it, and go where it goes.
	commentStart int
	wd           string // the working directory before it runs
	user         string // the USER in effect before it runs ("" for none)
}

// Stage is one FROM and the instructions after it.
type Stage struct {
	Index int
	Name  string // the AS name, lower case; "" when unnamed
	From  *Instruction
	// Base is the FROM image as written; BaseStage is set when it names
	// an earlier stage.
	Base      string
	BaseStage *Stage
	Platform  string
	Instrs    []*Instruction // after FROM

	env     map[string][]envDef // ENV and ARG defaults, in order
	paths   []pathDef           // the PATH each ENV PATH sets, expanded
	pathEnd []string            // the PATH at the end of the stage
	wdEnd   string              // the working directory after the stage
	userEnd *Instruction        // the last USER of the stage's chain
	shipped bool                // its file system ends up in the final image

	idxCache *stageIndex
}

// pathDef is the PATH an ENV sets at the instruction idx, $PATH expanded
// (its first maxPathDirs directories: a longer PATH is pathological, and
// expanding it again and again would make the engine quadratic).
type pathDef struct {
	idx  int
	dirs []string
}

const maxPathDirs = 32

const defaultPATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// expandPATH is the PATH an ENV value gives, $PATH and ${PATH} being cur.
func expandPATH(val string, cur []string) []string {
	var out []string
	for _, el := range strings.Split(val, ":") {
		if el == "$PATH" || el == "${PATH}" {
			out = append(out, cur...)
		} else {
			out = append(out, el)
		}
		if len(out) >= maxPathDirs {
			return out[:maxPathDirs]
		}
	}
	return out
}

// envDef is one value an ENV or ARG gives a name, at the instruction idx.
type envDef struct {
	idx int
	val string
}

var knownInstructions = map[string]int{ // minimum argument count
	"FROM": 1, "RUN": 1, "CMD": 1, "ENTRYPOINT": 1, "COPY": 2, "ADD": 2, "ENV": 1, "ARG": 1,
	"WORKDIR": 1, "USER": 1, "EXPOSE": 1, "LABEL": 1, "VOLUME": 1, "HEALTHCHECK": 1,
	"SHELL": 1, "STOPSIGNAL": 1, "ONBUILD": 1, "MAINTAINER": 1,
}

// ParseError is a Dockerfile that cannot be parsed, with the line at fault.
type ParseError struct {
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("Dockerfile line %d: %s", e.Line, e.Msg)
	}
	return "Dockerfile: " + e.Msg
}

// MaxDockerfileSize is the largest Dockerfile Parse reads: 256 KiB, 25
// times the largest of a hundred real ones (under 10 kB), and small enough
// that `fix --all` of a file of that size stays within the memory bound of
// every hostile input (docs/performance.md). Time and memory are linear in
// the size below it.
const MaxDockerfileSize = 256 << 10

// Parse parses a Dockerfile with BuildKit's parser and the shell text of
// its RUN, CMD and ENTRYPOINT instructions with mvdan.cc/sh.
func Parse(src []byte) (*Dockerfile, error) {
	if err := tooLarge(src); err != nil {
		return nil, err
	}
	return parse(src)
}

// tooLarge is the error for a file over MaxDockerfileSize.
func tooLarge(src []byte) error {
	if len(src) > MaxDockerfileSize {
		return &ParseError{Msg: fmt.Sprintf("%d bytes, more than the %d (256 KiB) slimpy reads", len(src), MaxDockerfileSize)}
	}
	return nil
}

// parse is Parse without the size limit: for the rewrites of a file that
// was within it (a split adds a stage).
func parse(src []byte) (*Dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		return nil, locate(src, err)
	}
	if res.EscapeToken != '\\' {
		return nil, &ParseError{Msg: fmt.Sprintf("escape character %q is not supported (only \\)", res.EscapeToken)}
	}
	d := &Dockerfile{Src: src}
	d.lineStart = append(d.lineStart, 0)
	crlf := 0
	for i, b := range src {
		if b == '\n' {
			d.lineStart = append(d.lineStart, i+1)
			if i > 0 && src[i-1] == '\r' {
				crlf++
			}
		}
	}
	d.crlf = crlf > 0 && 2*crlf > len(d.lineStart)-1
	if d.lineStart[len(d.lineStart)-1] != len(src) {
		d.lineStart = append(d.lineStart, len(src))
	}
	var cur *Stage
	for _, n := range res.AST.Children {
		kw := strings.ToUpper(n.Value)
		min, ok := knownInstructions[kw]
		if !ok {
			return nil, &ParseError{Line: n.StartLine, Msg: fmt.Sprintf("unknown instruction %q", n.Value)}
		}
		in := &Instruction{Keyword: kw, StartLine: n.StartLine, EndLine: n.EndLine, Flags: n.Flags,
			JSON: n.Attributes["json"], Heredoc: len(n.Heredocs) > 0, Original: n.Original}
		for a := n.Next; a != nil; a = a.Next {
			in.Args = append(in.Args, a.Value)
		}
		if kw == "ONBUILD" && n.Next != nil && len(n.Next.Children) == 1 {
			trigger := n.Next.Children[0]
			in.OnBuild = strings.ToUpper(trigger.Value)
			in.Args = []string{strings.TrimSpace(trigger.Original)}
		}
		emptyJSON := in.JSON && len(in.Args) == 0 && (kw == "CMD" || kw == "ENTRYPOINT") // resets it
		if !emptyJSON && (len(in.Args) < min || (min > 0 && len(in.Args) == 1 && strings.TrimSpace(in.Args[0]) == "" && !in.JSON)) {
			return nil, &ParseError{Line: n.StartLine, Msg: fmt.Sprintf("%s needs %s", kw, words.Count(min, "argument", "arguments"))}
		}
		in.Start, in.End = d.lineRange(n.StartLine, n.EndLine)
		d.Instructions = append(d.Instructions, in)
		switch {
		case kw == "FROM":
			cur = &Stage{Index: len(d.Stages), From: in, Base: in.Args[0]}
			if len(in.Args) >= 3 && strings.EqualFold(in.Args[1], "AS") {
				cur.Name = strings.ToLower(in.Args[2])
			} else if len(in.Args) != 1 {
				return nil, &ParseError{Line: n.StartLine, Msg: "FROM takes an image and optionally AS NAME"}
			}
			for _, f := range in.Flags {
				if v, ok := strings.CutPrefix(f, "--platform="); ok {
					cur.Platform = v
				}
			}
			for _, s := range d.Stages {
				if s.Name != "" && s.Name == strings.ToLower(cur.Base) {
					cur.BaseStage = s
				}
			}
			in.Stage = cur
			d.Stages = append(d.Stages, cur)
		case cur == nil:
			if kw != "ARG" {
				return nil, &ParseError{Line: n.StartLine, Msg: kw + " before the first FROM (only ARG may come first)"}
			}
			d.GlobalArgs = append(d.GlobalArgs, in)
		default:
			in.Stage = cur
			in.idx = len(cur.Instrs)
			cur.Instrs = append(cur.Instrs, in)
		}
		if (kw == "RUN" || kw == "CMD" || kw == "ENTRYPOINT") && !in.JSON {
			sh, err := d.parseShell(in)
			if err != nil {
				return nil, err
			}
			in.Shell = sh
		}
	}
	if len(d.Stages) == 0 {
		return nil, &ParseError{Msg: "no FROM instruction"}
	}
	d.index()
	d.commentStarts()
	return d, nil
}

// commentStarts finds the comment block right above each instruction: the
// comment lines between it and the instruction before, up to a blank line
// (the first instruction's are the file's header and directives).
func (d *Dockerfile) commentStarts() {
	prevEnd := -1
	for _, in := range d.Instructions {
		in.commentStart = in.Start
		if prevEnd >= 0 {
			for l := in.StartLine - 1; l >= 1 && d.lineStart[l-1] >= prevEnd; l-- {
				t := strings.TrimSpace(string(d.Src[d.lineStart[l-1]:d.lineStart[l]]))
				if !strings.HasPrefix(t, "#") {
					break
				}
				in.commentStart = d.lineStart[l-1]
			}
		}
		prevEnd = in.End
	}
}

// index works out, once, what each instruction sees (the working
// directory, the user, the ENV in force) and which stages ship, so that
// every later question is answered without rescanning the file.
func (d *Dockerfile) index() {
	for _, st := range d.Stages {
		st.env = map[string][]envDef{}
		wd, user := "/", (*Instruction)(nil)
		if b := st.BaseStage; b != nil {
			wd, user = b.wdEnd, b.userEnd
		}
		for _, in := range st.Instrs {
			in.wd = wd
			if user != nil {
				in.user = user.Args[0]
			}
			switch in.Keyword {
			case "WORKDIR":
				wd = resolvePath(wd, st.expandEnv(in.Args[0], in))
			case "USER":
				user = in
			case "ENV", "ARG":
				for _, kv := range keyValues(in) {
					st.env[kv[0]] = append(st.env[kv[0]], envDef{in.idx, kv[1]})
				}
			}
		}
		st.wdEnd, st.userEnd = wd, user
		cur := defaultPathDirs
		if b := st.BaseStage; b != nil {
			cur = b.pathEnd
		}
		for _, def := range st.env["PATH"] {
			cur = expandPATH(def.val, cur)
			st.paths = append(st.paths, pathDef{def.idx, cur})
		}
		st.pathEnd = cur
	}
	for f := d.Final(); f != nil; f = f.BaseStage {
		f.shipped = true
	}
}

// locate turns a parser error into a ParseError with the line: the parser
// reports some errors without one, so the shortest failing prefix of lines
// names it.
func locate(src []byte, err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return &ParseError{Line: le.Locations[0][0].Start.Line, Msg: textsafe.OneLine(err.Error())}
	}
	lines := bytes.SplitAfter(src, []byte("\n"))
	lo, hi := 1, len(lines)
	for lo < hi {
		mid := (lo + hi) / 2
		if _, perr := parser.Parse(bytes.NewReader(bytes.Join(lines[:mid], nil))); perr != nil {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return &ParseError{Line: lo, Msg: textsafe.OneLine(err.Error())}
}

// lineRange returns the byte range of lines first..last (1-based).
func (d *Dockerfile) lineRange(first, last int) (int, int) {
	if first < 1 {
		first = 1
	}
	if last >= len(d.lineStart) {
		last = len(d.lineStart) - 1
	}
	return d.lineStart[first-1], d.lineStart[last]
}

// Text is the instruction's source, every line of it.
func (d *Dockerfile) Text(in *Instruction) string { return string(d.Src[in.Start:in.End]) }

// Final is the last stage: the image the build produces by default.
func (d *Dockerfile) Final() *Stage { return d.Stages[len(d.Stages)-1] }

// Shipped reports whether the stage's file system ends up in the final
// image: the final stage and the stages it is built FROM.
func (d *Dockerfile) Shipped(s *Stage) bool { return s.shipped }

// chain is the stage and the stages it is built FROM, outermost last.
func (s *Stage) chain() []*Stage {
	var out []*Stage
	for c := s; c != nil; c = c.BaseStage {
		out = append(out, c)
	}
	return out
}

// Env returns the value of an ENV (or ARG default) set in the stage or the
// stages it is built FROM before the instruction before (nil: anywhere).
func (s *Stage) Env(name string, before *Instruction) (string, bool) {
	for _, st := range s.chain() {
		defs := st.env[name]
		n := len(defs)
		if before != nil && st == before.Stage {
			n = sort.Search(len(defs), func(i int) bool { return defs[i].idx >= before.idx })
		}
		if n > 0 {
			return defs[n-1].val, true
		}
	}
	return "", false
}

// keyValues reads ENV/ARG/LABEL arguments as name, value pairs in order.
// The parser gives ENV and LABEL as (name, value, separator) triples; ARG
// as NAME[=VALUE] words.
func keyValues(in *Instruction) [][2]string {
	var out [][2]string
	if in.Keyword == "ENV" || in.Keyword == "LABEL" {
		for i := 0; i+1 < len(in.Args); i += 3 {
			out = append(out, [2]string{in.Args[i], unquote(in.Args[i+1])})
		}
		return out
	}
	for _, a := range in.Args {
		k, v, _ := strings.Cut(a, "=")
		out = append(out, [2]string{k, unquote(v)})
	}
	return out
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		return s[1 : len(s)-1]
	}
	return s
}

// Workdir is the working directory in effect at the instruction (before it
// runs; nil or an instruction of another stage: at the end of the stage),
// "/" when none is set.
func (s *Stage) Workdir(before *Instruction) string {
	if before != nil && before.Stage == s {
		return before.wd
	}
	return s.wdEnd
}

// resolvePath resolves p against the directory wd, as Docker does.
func resolvePath(wd, p string) string {
	if strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(wd, p)
}

// User is the USER in effect at the end of the stage ("" when never set).
func (s *Stage) User() (string, *Instruction) {
	if s.userEnd == nil {
		return "", nil
	}
	return s.userEnd.Args[0], s.userEnd
}

// flag returns the value of --name=value among the instruction's flags.
func (in *Instruction) flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if v, ok := strings.CutPrefix(f, "--"+name+"="); ok {
			return v, true
		}
		if f == "--"+name {
			return "", true
		}
	}
	return "", false
}

// makesLayer reports whether the instruction adds a file system layer.
func (in *Instruction) makesLayer() bool {
	switch in.Keyword {
	case "RUN", "COPY", "ADD":
		return true
	}
	return false
}

// copySources are the sources and destination of a COPY or ADD.
func (in *Instruction) copySources() (srcs []string, dest string) {
	if len(in.Args) < 2 {
		return nil, ""
	}
	dest = in.Args[len(in.Args)-1]
	if in.Stage != nil {
		dest = in.Stage.expandEnv(dest, in) // COPY . $APP: Docker expands it
	}
	return in.Args[:len(in.Args)-1], dest
}

var envRefRe = regexp.MustCompile(`\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))`)

// expandEnv replaces $NAME and ${NAME} in a WORKDIR or COPY destination
// with the ENV or ARG value in force before the instruction, as Docker
// does; a text that names one the file does not set stays as it is.
func (s *Stage) expandEnv(text string, before *Instruction) string {
	if !strings.Contains(text, "$") {
		return text
	}
	known := true
	out := envRefRe.ReplaceAllStringFunc(text, func(ref string) string {
		m := envRefRe.FindStringSubmatch(ref)
		v, ok := s.Env(m[1]+m[2], before)
		if !ok || strings.Contains(v, "$") {
			known = false
		}
		return v
	})
	if !known {
		return text
	}
	return out
}
