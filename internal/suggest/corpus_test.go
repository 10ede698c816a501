package suggest

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/dockerfiles")

// corpusNow fixes the date base images' end of life is judged against.
var corpusNow = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)

const corpusDir = "../../testdata/dockerfiles"

type corpusCase struct {
	name string
	dir  string
	src  []byte
}

// corpus is every directory below testdata/dockerfiles that holds a
// Dockerfile (public/<slug>, hadolint/DL3002/001 ...), named by its path.
func corpus(t *testing.T) []corpusCase {
	t.Helper()
	var out []corpusCase
	err := filepath.WalkDir(corpusDir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || e.Name() != "Dockerfile" {
			return err
		}
		dir := filepath.Dir(p)
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(corpusDir, dir)
		out = append(out, corpusCase{filepath.ToSlash(name), dir, src})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("the corpus has %d Dockerfiles, want at least 20", len(out))
	}
	return out
}

// parsable are the corpus cases that parse (the others' golden is their
// error).
func parsable(t *testing.T) []corpusCase {
	t.Helper()
	var out []corpusCase
	for _, c := range corpus(t) {
		if _, err := Parse(c.src); err == nil {
			out = append(out, c)
		}
	}
	return out
}

// dirContext reads build context files from dir, plus extra ones.
func dirContext(dir string, extra map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		if s, ok := extra[name]; ok {
			return s, true
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		return string(b), err == nil
	}
}

func corpusOptions(dir string, extra map[string]string) Options {
	return Options{Now: corpusNow, ContextFile: dirContext(dir, extra)}
}

// render is the golden form of a list of suggestions.
func render(ss []Suggestion) string {
	var b strings.Builder
	if len(ss) == 0 {
		b.WriteString("(no suggestions)\n")
	}
	for _, s := range ss {
		fmt.Fprintf(&b, "=== %s %s: %s\n", s.ID, s.Name, s.Title)
		if s.Hadolint != "" {
			fmt.Fprintf(&b, "hadolint: %s\n", s.Hadolint)
		}
		fmt.Fprintf(&b, "lines: %v\n", s.Lines)
		for _, e := range s.Evidence {
			if !slices.Contains(s.Advice, e) {
				fmt.Fprintf(&b, "- %s\n", e)
			}
		}
		fmt.Fprintf(&b, "%s\n", s.Savings)
		if s.Diff == "" {
			b.WriteString("advice only, no diff:\n")
			for _, a := range s.Advice {
				fmt.Fprintf(&b, "- %s\n", a)
			}
		} else {
			b.WriteString(s.Diff)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestCorpusGolden(t *testing.T) {
	for _, c := range corpus(t) {
		t.Run(c.name, func(t *testing.T) {
			// a file Docker rejects too (hadolint's fragments without
			// FROM) has its error as golden
			ss, err := Suggest(c.src, corpusOptions(c.dir, nil))
			for _, s := range ss {
				if !s.Fixable() && len(s.Advice) == 0 {
					t.Errorf("%s has no diff and does not say why it is advice:\n%s", s.ID, render([]Suggestion{s}))
				}
			}
			got := render(ss)
			if err != nil {
				got = "error: " + err.Error() + "\n"
			}
			golden := filepath.Join(c.dir, "suggestions.golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("suggestions differ from %s (run with -update to accept):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

func lineDiff(a, b string) string {
	return unifiedDiff("golden", a, b)
}

// gitRepo is a scratch repository holding one Dockerfile.
type gitRepo struct {
	t   *testing.T
	dir string
}

func newGitRepo(t *testing.T, src []byte) *gitRepo {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	r := &gitRepo{t: t, dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(r.dir, "Dockerfile"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	r.run(nil, "git", "init", "-q")
	return r
}

func (r *gitRepo) run(stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = r.dir
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// check runs git apply --check and patch -p1 --dry-run on a diff.
func (r *gitRepo) check(what, diff string) {
	r.t.Helper()
	if out, err := r.run([]byte(diff), "git", "apply", "--check", "-"); err != nil {
		r.t.Errorf("%s: git apply --check: %v\n%s\n%s", what, err, out, diff)
	}
	if _, err := exec.LookPath("patch"); err == nil {
		if out, err := r.run([]byte(diff), "patch", "-p1", "--dry-run", "--batch", "--silent"); err != nil {
			r.t.Errorf("%s: patch -p1 --dry-run: %v\n%s\n%s", what, err, out, diff)
		}
	}
}

// subsets are every subset of n items when n is small, else a
// deterministic sample: each alone, all, all but one, and seeded draws.
func subsets(n int) [][]int {
	var out [][]int
	if n <= 6 {
		for mask := 1; mask < 1<<n; mask++ {
			var s []int
			for i := 0; i < n; i++ {
				if mask&(1<<i) != 0 {
					s = append(s, i)
				}
			}
			out = append(out, s)
		}
		return out
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
		out = append(out, []int{i})
	}
	out = append(out, all)
	for skip := 0; skip < n; skip++ {
		var s []int
		for i := 0; i < n; i++ {
			if i != skip {
				s = append(s, i)
			}
		}
		out = append(out, s)
	}
	rng := rand.New(rand.NewSource(int64(n) * 7919))
	for k := 0; k < 48; k++ {
		var s []int
		for i := 0; i < n; i++ {
			if rng.Intn(2) == 1 {
				s = append(s, i)
			}
		}
		if len(s) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// TestCorpusDiffsApplyComposeAndAreIdempotent: every suggestion's diff
// applies with git apply and patch -p1; every subset tried applies
// together, the result parses and passes the safety check, its diff from
// the original applies (with git apply and patch for the set of all, as
// git apply would in-process for the others), and Suggest on the result
// proposes none of the accepted suggestions again.
func TestCorpusDiffsApplyComposeAndAreIdempotent(t *testing.T) {
	for _, c := range parsable(t) {
		t.Run(c.name, func(t *testing.T) {
			opts := corpusOptions(c.dir, nil)
			ss, err := Suggest(c.src, opts)
			if err != nil {
				t.Fatal(err)
			}
			repo := newGitRepo(t, c.src)
			var fixable []Suggestion
			for _, s := range ss {
				if !s.Fixable() {
					continue
				}
				fixable = append(fixable, s)
				repo.check(s.ID, s.Diff)
				if _, err := Parse([]byte(s.Result)); err != nil {
					t.Errorf("%s: the result does not parse: %v", s.ID, err)
				}
			}
			for _, sub := range subsets(len(fixable)) {
				var ids []string
				for _, i := range sub {
					ids = append(ids, fixable[i].ID)
				}
				what := strings.Join(ids, "+")
				res, err := Apply(c.src, ids, opts)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				if _, err := Parse([]byte(res.Dockerfile)); err != nil {
					t.Errorf("%s: the result does not parse: %v", what, err)
					continue
				}
				if ps := safetyCheck(t, c.src, res.Dockerfile); len(ps) > 0 {
					t.Errorf("%s: the result fails the safety check: %v\n%s", what, ps, res.Dockerfile)
				}
				diff := unifiedDiff("Dockerfile", string(c.src), res.Dockerfile)
				for _, n := range sortedKeys(res.Files) {
					diff += newFileDiff(n, res.Files[n])
				}
				switch {
				case diff == "":
				case len(sub) == len(fixable):
					repo.check(what, diff) // the real git apply and patch on all of them
				default:
					// as git apply would, in-process: the corpus is large
					if got, err := applyPatch(diff, map[string]string{"Dockerfile": string(c.src)}); err != nil || got["Dockerfile"] != res.Dockerfile {
						t.Errorf("%s: the composed diff does not give the result: %v\n%s", what, err, diff)
					}
				}
				again, err := Suggest([]byte(res.Dockerfile), corpusOptions(c.dir, res.Files))
				if err != nil {
					t.Errorf("%s: suggest on the result: %v", what, err)
					continue
				}
				done := map[string]bool{}
				for _, id := range res.Applied {
					done[id] = true
				}
				for _, s := range again {
					if done[s.ID] && s.Fixable() {
						t.Errorf("%s: proposed again after applying it:\n%s", what, render([]Suggestion{s}))
					}
				}
			}
		})
	}
}

// safetyCheck runs the safety check on the rewrite of src into res.
func safetyCheck(t *testing.T, src []byte, res string) []Problem {
	t.Helper()
	d, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := checkRewrite(d, []byte(res), corpusNow)
	if err != nil {
		t.Fatalf("the result does not parse: %v", err)
	}
	return ps
}

// TestCorpusFixAllIsAFixpoint: fix --all (Apply of every kind) ends in a
// file on which Suggest proposes no fix, that passes the safety check
// against the original, and that BuildKit parses (issue 19 items 10 and
// "Done when").
func TestCorpusFixAllIsAFixpoint(t *testing.T) {
	for _, c := range parsable(t) {
		t.Run(c.name, func(t *testing.T) {
			opts := corpusOptions(c.dir, nil)
			r, err := Apply(c.src, []string{AllKinds}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Passes >= maxPasses {
				t.Errorf("no fixpoint after %d passes", r.Passes)
			}
			if ps := safetyCheck(t, c.src, r.Dockerfile); len(ps) > 0 {
				t.Errorf("fix --all fails the safety check: %v\n%s", ps, r.Dockerfile)
			}
			again, err := Suggest([]byte(r.Dockerfile), corpusOptions(c.dir, r.Files))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range again {
				if s.Fixable() {
					t.Errorf("suggest on fix --all's result proposes:\n%s\nresult:\n%s", render([]Suggestion{s}), r.Dockerfile)
				}
			}
		})
	}
}

// TestCorpusUntouchedLinesStay: lines a suggestion does not change are
// byte for byte those of the original (the diff has no other hunks), but
// for blank lines, which edits tidy.
func TestCorpusUntouchedLinesStay(t *testing.T) {
	for _, c := range parsable(t) {
		ss, err := Suggest(c.src, corpusOptions(c.dir, nil))
		if err != nil {
			t.Fatal(err)
		}
		orig := strings.SplitAfter(string(c.src), "\n")
		for _, s := range ss {
			if s.ID == "SG001" || !s.Fixable() {
				continue
			}
			kept := map[string]int{}
			for _, l := range strings.SplitAfter(s.Result, "\n") {
				kept[l]++
			}
			changed := map[int]bool{}
			for _, l := range s.Lines {
				changed[l] = true
			}
			var missing []string
			for i, l := range orig {
				// blank lines around a removed instruction are tidied
				if kept[l] == 0 && strings.TrimSpace(l) != "" && !inInstrLines(c.src, i+1, s.Lines) {
					missing = append(missing, fmt.Sprintf("%d: %q", i+1, l))
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("%s %s changed lines it does not name: %v", c.name, s.ID, missing)
			}
		}
	}
}

// inInstrLines: line belongs to one of the instructions starting at lines.
func inInstrLines(src []byte, line int, starts []int) bool {
	d, err := Parse(src)
	if err != nil {
		return false
	}
	for _, in := range d.Instructions {
		for _, s := range starts {
			if in.StartLine == s && line >= in.StartLine && line <= in.EndLine {
				return true
			}
		}
	}
	return false
}
