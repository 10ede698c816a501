// Package suggest reads a Dockerfile (and, when there is one, the image it
// built and that image's findings) and proposes concrete changes, each as a
// unified diff of the Dockerfile, with the bytes it saves measured from the
// image or marked as not measured.
//
// Data flows one way: source → Parse (BuildKit's parser for instructions
// and line ranges, mvdan.cc/sh for the shell text) → kinds (one small value
// per suggestion, in kinds.go) derive edits that splice source byte ranges
// → diffs (go-udiff) → measured savings (Image, from the layer accounting
// and the rules' findings).
//
// Accepted suggestions compose: Apply applies them one after the other in
// a fixed order, deriving each again on the result of the ones before, and
// repeats that until nothing changes, so any subset gives a file that
// parses; Suggest on that result proposes none of them again.
//
// Every rewrite passes the safety check (check.go) against the file it
// rewrites, through their semantic models (model.go): one that would make
// the build or the app fail where the original would not is not offered as
// a diff but as advice that says why.
package suggest

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// Options tune a run of the suggestions.
type Options struct {
	// Now is the date base images' end of life is judged against
	// (default: today).
	Now time.Time
	// Name is the Dockerfile's file name in the diff headers
	// (a/NAME, b/NAME); default "Dockerfile".
	Name string
	// Facts are what the image tells about itself (installed versions,
	// the shared libraries its extensions link); nil: none.
	Facts *Facts
	// Image measures savings; nil: every saving is "not measured".
	Image *Image
	// ContextFile reads a file of the build context (".dockerignore");
	// nil: the context is unknown and holds nothing.
	ContextFile func(name string) (string, bool)
	// Context cancels the work between kinds and between Apply's steps
	// (nil: never).
	Context context.Context
}

// cancelled is the context's error, if it is done.
func (o Options) cancelled() error {
	if o.Context == nil {
		return nil
	}
	return o.Context.Err()
}

func (o Options) name() string {
	if o.Name == "" {
		return "Dockerfile"
	}
	return o.Name
}

func (o Options) now() time.Time {
	if o.Now.IsZero() {
		return time.Now()
	}
	return o.Now
}

// Savings are the bytes a suggestion saves.
type Savings struct {
	Bytes int64 `json:"bytes"`
	// Measured is true when Bytes come from the image's layers and
	// findings; false: not measured (no image, or nothing to measure).
	Measured bool `json:"measured"`
	// Note says what was measured, or why nothing was.
	Note string `json:"note"`
}

// Suggestion is one proposed change.
type Suggestion struct {
	ID       string   `json:"id"`   // SG101; stable
	Name     string   `json:"name"` // apt-no-install-recommends
	Title    string   `json:"title"`
	Hadolint string   `json:"hadolint,omitempty"` // the hadolint rule it mirrors
	Lines    []int    `json:"lines"`              // the lines of the Dockerfile it is about
	Evidence []string `json:"evidence"`
	Savings  Savings  `json:"savings"`
	// Diff is the change as unified diffs: of the Dockerfile (a/NAME,
	// b/NAME), then of any new file (.dockerignore). "" for advice
	// without an automatic fix.
	Diff string `json:"diff"`
	// Result is the Dockerfile after this suggestion alone.
	Result string `json:"-"`
	// Files are new files relative to the Dockerfile's directory.
	Files map[string]string `json:"files,omitempty"`
	// Unsafe says why the change the suggestion would make is not offered
	// as a diff: what its result would break (the safety check).
	Unsafe []string `json:"unsafe,omitempty"`
	// Advice says why a suggestion without a diff is advice: the lines of
	// Evidence that say what slimpy will not write and why (its result
	// would fail the safety check, or slimpy would have to guess).
	Advice []string `json:"advice,omitempty"`
}

// Fixable reports whether the suggestion changes something (has a diff).
func (s Suggestion) Fixable() bool { return s.Diff != "" }

// ctx is what a kind derives its change from.
type ctx struct {
	d     *Dockerfile
	opts  Options
	files map[string]string // files created by suggestions applied before
}

// contextFile reads a build context file, as created by an earlier
// suggestion or present on disk.
func (c *ctx) contextFile(name string) (string, bool) {
	if s, ok := c.files[name]; ok {
		return s, true
	}
	if c.opts.ContextFile != nil {
		return c.opts.ContextFile(name)
	}
	return "", false
}

// change is what a kind proposes for one Dockerfile.
type change struct {
	title    string // overrides the kind's title when set
	edits    []edit
	files    map[string]string
	lines    []int
	evidence []string
	// measure computes the savings on the image (nil: nothing to measure;
	// note says why).
	measure func(img *Image) Savings
	note    string
	// fallback is a smaller change to offer when this one fails the
	// safety check (the multistage split without its USER).
	fallback *change
	// advice are the evidence lines that say why there are no edits.
	advice []string
}

func (ch *change) line(ins ...*Instruction) {
	for _, in := range ins {
		ch.lines = append(ch.lines, in.StartLine)
	}
}

func (ch *change) say(format string, args ...any) {
	ch.evidence = append(ch.evidence, fmt.Sprintf(format, args...))
}

// advise says why the change is advice rather than a diff (it is also
// evidence); a kind that advises makes no edits.
func (ch *change) advise(format string, args ...any) {
	ch.say(format, args...)
	ch.advice = append(ch.advice, ch.evidence[len(ch.evidence)-1])
}

// kind is one suggestion: a stable ID, a name, a title and the code that
// derives the change from a Dockerfile (nil: nothing to suggest).
type kind struct {
	ID       string
	Name     string
	Title    string
	Hadolint string
	Doc      string // one line: what and why (docs/suggestions.md says more)
	// Answers are the rules (IDs of internal/inspect's registry, in ID
	// order) whose findings the change removes or fixes; none for a kind
	// about correctness or reproducibility that no rule reports.
	Answers []string
	derive  func(c *ctx) *change
}

// The rules whose findings the suggestions' code reads, each among the
// Answers of the kind it serves. TestRegistries checks that every rule a
// kind names is registered and documented.
const (
	packageTestsRule   = "SP102" // the tests directories the multistage builder's find removes
	buildToolchainRule = "SP201" // a reconstruction's FROM: a full python base carries a toolchain
	aptUpgradableRule  = "SP403" // SG104's evidence: what the image's own apt lists offer
)

// builderOnlyRules are the rules whose files stay in the multistage
// split's builder stage (compilers, headers, -dev packages, caches): its
// savings are the union of their findings' files.
var builderOnlyRules = []string{buildToolchainRule, "SP202", "SP211", "SP212", "SP213", "SP301", "SP302", "SP303", "SP304", "SP305"}

// KindInfo describes one kind of suggestion, for docs and --accept.
type KindInfo struct {
	ID, Name, Title, Hadolint, Doc string
	Answers                        []string // the rules it answers, by ID
}

// Kinds lists every kind of suggestion in the order Apply applies them.
func Kinds() []KindInfo {
	var out []KindInfo
	for _, k := range kinds {
		out = append(out, KindInfo{k.ID, k.Name, k.Title, k.Hadolint, k.Doc, slices.Clone(k.Answers)})
	}
	return out
}

// Suggest proposes the changes for the Dockerfile src.
func Suggest(src []byte, opts Options) ([]Suggestion, error) {
	d, err := Parse(src)
	if err != nil {
		return nil, err
	}
	var out []Suggestion
	for _, k := range kinds {
		if err := opts.cancelled(); err != nil {
			return nil, err
		}
		c := &ctx{d: d, opts: opts, files: map[string]string{}}
		ch := k.run(c)
		if ch == nil {
			continue
		}
		s, err := k.suggestion(d, ch, opts)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k.ID, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// safeChange is the first of the change and its fallbacks whose result
// passes the safety check, with that result; when none does, nil and what
// the first would break.
func safeChange(d *Dockerfile, ch *change, opts Options) (*change, string, []Problem, error) {
	var first []Problem
	for c := ch; c != nil; c = c.fallback {
		res, err := applyEdits(d.Src, d.lineEndings(c.edits))
		if err != nil {
			return nil, "", nil, err
		}
		if len(c.edits) == 0 {
			return c, res, nil, nil
		}
		res = tidyBlankLines(d, res)
		rd, err := parse([]byte(res))
		if err != nil {
			return nil, "", nil, fmt.Errorf("the result does not parse: %w", err)
		}
		ps := newProblems(d, rd, opts.now())
		if len(ps) == 0 {
			if c != ch {
				c.evidence = append(c.evidence, problemLines("the whole change was not taken: its result would fail the safety check: ", first)...)
			}
			return c, res, nil, nil
		}
		if first == nil {
			first = ps
		}
	}
	return nil, "", first, nil
}

func problemLines(prefix string, ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, prefix+p.String())
	}
	return out
}

func (k *kind) suggestion(d *Dockerfile, ch *change, opts Options) (Suggestion, error) {
	s := Suggestion{ID: k.ID, Name: k.Name, Title: k.Title, Hadolint: k.Hadolint}
	if ch.title != "" {
		s.Title = ch.title
	}
	s.Lines = uniqueSorted(ch.lines)
	safe, res, problems, err := safeChange(d, ch, opts)
	if err != nil {
		return s, err
	}
	if safe == nil {
		// Advice: the change is described, not offered.
		s.Advice = problemLines("its result would fail the safety check: ", problems)
		s.Evidence = append(append([]string(nil), ch.evidence...), s.Advice...)
		for _, p := range problems {
			s.Unsafe = append(s.Unsafe, p.String())
		}
		s.Result = string(d.Src)
		s.Savings = Savings{Note: ch.note}
		if ch.measure != nil || ch.note == "" {
			s.Savings.Note = notMeasured("the change is advice only")
		}
		return s, nil
	}
	ch = safe
	s.Evidence, s.Files = ch.evidence, ch.files
	s.Lines = uniqueSorted(append(s.Lines, ch.lines...))
	s.Result = res
	s.Diff = unifiedDiff(opts.name(), string(d.Src), res)
	for _, name := range sortedKeys(ch.files) {
		s.Diff += newFileDiff(name, ch.files[name])
	}
	if s.Diff == "" {
		s.Advice = ch.advice
	}
	switch {
	case s.Diff == "" && ch.note == "":
		s.Savings = Savings{Note: notMeasured("the change is advice only")}
	case ch.measure != nil && opts.Image != nil:
		s.Savings = ch.measure(opts.Image)
	case ch.measure != nil:
		s.Savings = Savings{Note: notMeasured("no image")}
	default:
		s.Savings = Savings{Note: ch.note}
		if s.Savings.Note == "" {
			s.Savings.Note = notMeasured("")
		}
	}
	return s, nil
}

// notMeasured is the note of savings that were not measured, as a
// sentence: "The savings are not measured: no image."
func notMeasured(why string) string {
	if why == "" {
		return notMeasuredSentence + "."
	}
	return notMeasuredSentence + ": " + why + "."
}

const notMeasuredSentence = "The savings are not measured"

// String is the savings as a person reads them: "savings: 12 MB measured
// (what)", the sentence that says why they were not measured, or
// "savings: " and the note ("no size change: security").
func (s Savings) String() string {
	switch {
	case s.Measured:
		return fmt.Sprintf("savings: %s measured (%s)", humanize.Bytes(uint64(max(s.Bytes, 0))), s.Note)
	case strings.HasPrefix(s.Note, notMeasuredSentence):
		return s.Note
	}
	return "savings: " + s.Note
}

// Result is what Apply produced.
type Result struct {
	Dockerfile string
	// Files are the new files (relative to the Dockerfile's directory).
	Files map[string]string
	// Applied are the IDs that changed something, in the order first
	// applied; Skipped those that had nothing left to do once the others
	// were in (of the kinds accepted through AllKinds, only those that
	// had something to do on the original); Refused those whose change
	// would fail the safety check.
	Applied []string
	Skipped []string
	Refused []Refusal
	// Passes is how many times the accepted kinds were applied in turn
	// before nothing changed.
	Passes int
}

// Refusal is an accepted suggestion Apply did not apply, and why.
type Refusal struct {
	ID      string   `json:"id"`
	Reasons []string `json:"reasons"`
}

// AllKinds, as an accepted ID, accepts every kind.
const AllKinds = "all"

// maxPasses bounds Apply's passes: every kind reaches its fixpoint in one
// or two (one kind's result can give another something to do).
const maxPasses = 6

// Apply applies the accepted suggestions (IDs or names, or AllKinds) to
// src: one after the other in the kinds' order, each derived again on the
// result of the ones before, and again until a pass changes nothing. A
// change that would fail the safety check is refused (Result.Refused).
// The result parses again.
func Apply(src []byte, accepted []string, opts Options) (Result, error) {
	if err := tooLarge(src); err != nil {
		return Result{}, err
	}
	want := map[string]bool{}
	named := map[string]bool{} // accepted by ID or name, not only through AllKinds
	for _, a := range accepted {
		if strings.EqualFold(strings.TrimSpace(a), AllKinds) {
			for _, k := range kinds {
				want[k.ID] = true
			}
			continue
		}
		k := lookupKind(a)
		if k == nil {
			return Result{}, fmt.Errorf("no suggestion %q (see docs/suggestions.md)", a)
		}
		want[k.ID] = true
		named[k.ID] = true
	}
	cur := src
	files := map[string]string{}
	var r Result
	applied := map[string]bool{}
	refused := map[string][]string{}
	for pass := 1; pass <= maxPasses; pass++ {
		r.Passes = pass
		changed := false
		for _, k := range kinds {
			if !want[k.ID] {
				continue
			}
			if err := opts.cancelled(); err != nil {
				return r, err
			}
			d, err := parse(cur)
			if err != nil {
				return r, fmt.Errorf("before %s: %w", k.ID, err)
			}
			ch := k.run(&ctx{d: d, opts: opts, files: files})
			if ch == nil || (len(ch.edits) == 0 && len(ch.files) == 0) {
				continue
			}
			safe, out, problems, err := safeChange(d, ch, opts)
			if err != nil {
				return r, fmt.Errorf("%s: %w", k.ID, err)
			}
			if safe == nil {
				if !applied[k.ID] && refused[k.ID] == nil {
					refused[k.ID] = problemLines("", problems)
				}
				continue
			}
			if out == string(cur) && !newFiles(files, safe.files) {
				continue
			}
			for n, c := range safe.files {
				files[n] = c
			}
			cur = []byte(out)
			changed = true
			if !applied[k.ID] {
				applied[k.ID] = true
				r.Applied = append(r.Applied, k.ID)
			}
			delete(refused, k.ID)
		}
		if !changed {
			break
		}
	}
	var orig *Dockerfile // parsed when a kind accepted through AllKinds may be skipped
	for _, k := range kinds {
		switch {
		case !want[k.ID] || applied[k.ID]:
		case refused[k.ID] != nil:
			r.Refused = append(r.Refused, Refusal{ID: k.ID, Reasons: refused[k.ID]})
		case named[k.ID]:
			r.Skipped = append(r.Skipped, k.ID)
		default:
			// Accepted only through AllKinds: skipped when it had
			// something to do on src, not when it never had.
			if orig == nil {
				var err error
				if orig, err = parse(src); err != nil {
					return r, err
				}
			}
			if ch := k.run(&ctx{d: orig, opts: opts, files: map[string]string{}}); ch != nil && (len(ch.edits) > 0 || len(ch.files) > 0) {
				r.Skipped = append(r.Skipped, k.ID)
			}
		}
	}
	r.Dockerfile, r.Files = string(cur), files
	return r, nil
}

// newFiles: fs holds a file files lacks or has with other content.
func newFiles(files, fs map[string]string) bool {
	for n, c := range fs {
		if old, ok := files[n]; !ok || old != c {
			return true
		}
	}
	return false
}

// lookupKind finds a kind by ID or name, case-insensitively.
func lookupKind(s string) *kind {
	s = strings.TrimSpace(s)
	for _, k := range kinds {
		if strings.EqualFold(k.ID, s) || strings.EqualFold(k.Name, s) {
			return k
		}
	}
	return nil
}

// KnownID reports whether s names a kind (by ID or name) or is AllKinds;
// it returns the ID.
func KnownID(s string) (string, bool) {
	if strings.EqualFold(strings.TrimSpace(s), AllKinds) {
		return AllKinds, true
	}
	if k := lookupKind(s); k != nil {
		return k.ID, true
	}
	return "", false
}

func uniqueSorted(xs []int) []int {
	sort.Ints(xs)
	var out []int
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// windowsSafe are the kinds whose edits stay out of the shell's syntax and
// the image's paths (a pip flag, a .dockerignore): they apply to a Windows
// container as they are.
var windowsSafe = map[string]bool{"SG201": true, "SG202": true, "SG501": true}

// run derives the kind's change. On a Windows container the other kinds'
// rewrites (useradd, /opt/venv, sh syntax, -slim tags) would not build:
// they become advice that says so.
func (k *kind) run(c *ctx) *change {
	ch := k.derive(c)
	if ch == nil || windowsSafe[k.ID] || len(ch.edits) == 0 && len(ch.files) == 0 {
		return ch
	}
	line, why := windowsContainer(c.d)
	if why == "" {
		return ch
	}
	adv := &change{lines: ch.lines, note: ch.note}
	adv.advise("line %d: %s, a Windows container: slimpy's rewrites are for Linux images; make this change by hand", line, why)
	return adv
}

var windowsPath = regexp.MustCompile(`^[A-Za-z]:[\\/]`)

// windowsContainer names the line that shows a stage builds a Windows
// image (a SHELL of PowerShell or cmd, a Windows base, a C:\ working
// directory) and what it shows; "" when none does.
func windowsContainer(d *Dockerfile) (int, string) {
	for _, st := range d.Stages {
		base := strings.ToLower(st.Base)
		for _, w := range []string{"windowsservercore", "nanoserver", "mcr.microsoft.com/windows"} {
			if strings.Contains(base, w) {
				return st.From.StartLine, "the base is " + st.Base
			}
		}
		for _, in := range st.Instrs {
			switch {
			case in.Keyword == "SHELL" && len(in.Args) > 0:
				sh := strings.TrimSuffix(strings.ToLower(path.Base(strings.ReplaceAll(in.Args[0], `\`, "/"))), ".exe")
				if sh == "powershell" || sh == "pwsh" || sh == "cmd" {
					return in.StartLine, "the SHELL is " + in.Args[0]
				}
			case in.Keyword == "WORKDIR" && len(in.Args) > 0 && windowsPath.MatchString(in.Args[0]):
				return in.StartLine, "the working directory is " + in.Args[0]
			}
		}
	}
	return 0, ""
}
