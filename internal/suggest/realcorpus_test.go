package suggest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// TestRealCorpus is a measurement tool, not a CI test: it runs slimpy on
// Dockerfiles that are not in this repository (held-out real files, which
// may not be committed here) and skips unless SLIMPY_REAL_CORPUS names
// their directory:
//
//	SLIMPY_REAL_CORPUS=/path/to/dir go test ./internal/suggest -run TestRealCorpus -v
//
// Every file below the directory named Dockerfile, Dockerfile.* or
// *.dockerfile goes through Suggest and `fix --all` exactly as the CLI
// runs them without an image (Apply of AllKinds, the build context being
// the file's directory). The test fails for a file BuildKit parses but
// slimpy rejects, an Apply error, a result (of one suggestion or of all)
// BuildKit does not parse, and a result that is not a fixpoint (suggest
// on it proposes a fix, or a second `fix --all` changes it); it logs one
// line per file and the totals. SLIMPY_REAL_CORPUS_OUT=DIR writes each
// fix --all result there (by its path below the corpus) to be read. SLIMPY_REAL_CORPUS_NOW=YYYY-MM-DD sets the date end of
// life is judged against (default: the corpus tests' date).
func TestRealCorpus(t *testing.T) {
	root := os.Getenv("SLIMPY_REAL_CORPUS")
	if root == "" {
		t.Skip("SLIMPY_REAL_CORPUS is not set: this measurement tool runs slimpy on a directory of held-out real Dockerfiles (see its comment)")
	}
	now := corpusNow
	if s := os.Getenv("SLIMPY_REAL_CORPUS_NOW"); s != "" {
		var err error
		if now, err = time.Parse("2006-01-02", s); err != nil {
			t.Fatalf("SLIMPY_REAL_CORPUS_NOW: %v", err)
		}
	}
	files, err := realDockerfiles(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no Dockerfile below %s", root)
	}
	var tally struct{ files, invalid, rejected, withFix, broken, notFixpoint int }
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		tally.files++
		r := realCorpusRun(src, filepath.Dir(f), Options{Now: now, Name: filepath.Base(f)})
		switch {
		case r.invalid != nil:
			tally.invalid++
		case r.rejected != nil:
			tally.rejected++
			t.Errorf("%s: BuildKit parses it, slimpy rejects it: %v", rel, r.rejected)
		}
		if len(r.fixable) > 0 {
			tally.withFix++
		}
		if len(r.problems) > 0 {
			tally.broken++
			for _, p := range r.problems {
				t.Errorf("%s: %s", rel, p)
			}
		}
		if len(r.again) > 0 {
			tally.notFixpoint++
			t.Errorf("%s: fix --all is not a fixpoint: suggest or a second fix --all proposes %s", rel, strings.Join(r.again, ","))
		}
		if out := os.Getenv("SLIMPY_REAL_CORPUS_OUT"); out != "" && len(r.applied) > 0 {
			p := filepath.Join(out, rel)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(r.result), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("%s: %s", rel, r.summary())
	}
	t.Logf("%d files: %d not valid Dockerfiles (BuildKit rejects them too), %d rejected by slimpy, %d with a fix; "+
		"%d whose fix --all breaks (an error or a result that does not parse), %d not a fixpoint",
		tally.files, tally.invalid, tally.rejected, tally.withFix, tally.broken, tally.notFixpoint)
}

// realDockerfiles lists the Dockerfiles below root, sorted.
func realDockerfiles(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := strings.ToLower(d.Name())
		if d.Type().IsRegular() && (name == "dockerfile" || strings.HasPrefix(name, "dockerfile.") || strings.HasSuffix(name, ".dockerfile")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// realCorpusResult is what Suggest and fix --all did with one file.
type realCorpusResult struct {
	invalid, rejected  error // BuildKit's error; slimpy's error on a file BuildKit parses
	suggested, fixable []string
	applied, skipped   []string
	refused            []string // refused by the safety check
	result             string   // the fix --all result
	problems           []string // errors and results that do not parse
	again              []string // what suggest proposes on the fix --all result, or a second fix --all applies
}

// realCorpusRun runs Suggest and fix --all on src, whose build context
// is dir.
func realCorpusRun(src []byte, dir string, opts Options) (r realCorpusResult) {
	opts.ContextFile = dirContext(dir, nil)
	ast, err := parser.Parse(bytes.NewReader(src))
	if err != nil {
		r.invalid = err
		return r
	}
	for _, n := range ast.AST.Children {
		if _, ok := knownInstructions[strings.ToUpper(n.Value)]; !ok {
			// the parser takes any word; the build stops at it
			// (a continuation line lost its backslash)
			r.invalid = fmt.Errorf("line %d: unknown instruction %q (docker build fails on it too)", n.StartLine, n.Value)
			return r
		}
	}
	ss, err := Suggest(src, opts)
	if err != nil {
		r.rejected = err
		return r
	}
	for _, s := range ss {
		r.suggested = append(r.suggested, s.ID)
		if !s.Fixable() {
			continue
		}
		r.fixable = append(r.fixable, s.ID)
		if _, err := parser.Parse(strings.NewReader(s.Result)); err != nil {
			r.problems = append(r.problems, fmt.Sprintf("%s alone: the result does not parse with BuildKit: %v", s.ID, err))
		}
	}
	// fix --all, as the CLI runs it: every kind, to a fixpoint
	res, err := Apply(src, []string{AllKinds}, opts)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("fix --all: %v", err))
		return r
	}
	r.applied, r.skipped, r.result = res.Applied, res.Skipped, res.Dockerfile
	for _, rf := range res.Refused {
		r.refused = append(r.refused, rf.ID)
	}
	if len(res.Applied) == 0 {
		return r
	}
	if _, err := parser.Parse(strings.NewReader(res.Dockerfile)); err != nil {
		r.problems = append(r.problems, fmt.Sprintf("fix --all: the result does not parse with BuildKit: %v", err))
		return r
	}
	opts.ContextFile = dirContext(dir, res.Files)
	ss2, err := Suggest([]byte(res.Dockerfile), opts)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("suggest on the fix --all result: %v", err))
		return r
	}
	for _, s := range ss2 {
		if s.Fixable() {
			r.again = append(r.again, s.ID)
		}
	}
	res2, err := Apply([]byte(res.Dockerfile), []string{AllKinds}, opts)
	if err != nil {
		r.problems = append(r.problems, fmt.Sprintf("second fix --all: %v", err))
		return r
	}
	if res2.Dockerfile != res.Dockerfile || newFiles(res.Files, res2.Files) {
		r.again = uniq(append(r.again, res2.Applied...))
	}
	return r
}

func (r realCorpusResult) summary() string {
	switch {
	case r.invalid != nil:
		return fmt.Sprintf("not a valid Dockerfile (BuildKit: %v)", r.invalid)
	case r.rejected != nil:
		return fmt.Sprintf("REJECTED by slimpy: %v", r.rejected)
	}
	s := fmt.Sprintf("suggests %s", listOrNone(r.suggested))
	if len(r.applied) == 0 {
		return s + "; nothing to fix"
	}
	s += fmt.Sprintf("; fix --all applies %s", listOrNone(r.applied))
	if len(r.skipped) > 0 {
		s += fmt.Sprintf(" (nothing left for %s)", strings.Join(r.skipped, ","))
	}
	if len(r.refused) > 0 {
		s += fmt.Sprintf(" (refused: %s)", strings.Join(r.refused, ","))
	}
	switch {
	case len(r.problems) > 0:
		s += fmt.Sprintf("; BROKEN: %s", strings.Join(r.problems, "; "))
	case len(r.again) > 0:
		s += fmt.Sprintf("; parses; NOT a fixpoint (second pass: %s)", strings.Join(r.again, ","))
	default:
		s += "; parses; fixpoint"
	}
	return s
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "nothing"
	}
	return strings.Join(ids, ",")
}
