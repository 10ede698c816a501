package suggest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzSuggest feeds arbitrary text to the Dockerfile parser and, when it
// parses, to the suggestions as `slimpy suggest --dockerfile PATH` runs
// them without an image. Nothing may panic; every suggestion's result
// parses and its diff, applied in-process as git apply would, gives that
// result (and its new files); Apply of each fixable suggestion alone gives
// the same result, and Apply of all of them together gives a Dockerfile
// that parses and passes the safety check; Suggest on what Apply made
// proposes none of what it applied again. The seeds are the corpus of testdata/dockerfiles plus the
// inputs in testdata/fuzz/FuzzSuggest.
//
//	go test ./internal/suggest -run '^$' -fuzz '^FuzzSuggest$' -parallel 2
func FuzzSuggest(f *testing.F) {
	ents, err := os.ReadDir(corpusDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range ents {
		if b, err := os.ReadFile(filepath.Join(corpusDir, e.Name(), "Dockerfile")); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("FROM a\nRUN <<EOF\necho\nEOF\n"))
	f.Add([]byte("FROM python:3.8-alpine\nRUN apk add gcc && pip install x\nCMD python app.py"))
	f.Add([]byte("# escape=`\nFROM a\n"))
	f.Add([]byte("FROM a\r\nRUN apt-get update\r\nRUN apt-get install -y x\r\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 64<<10 {
			return // the parser's cost, not a bug, beyond this
		}
		d, err := Parse(src)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line parse error: %q", err)
			}
			return
		}
		if len(d.Stages) == 0 {
			t.Fatalf("parsed without a stage")
		}
		opts := Options{Now: corpusNow, ContextFile: func(string) (string, bool) { return "", false }}
		ss, err := Suggest(src, opts)
		if err != nil {
			t.Fatalf("Suggest on a Dockerfile that parses: %v", err)
		}
		var ids []string
		for _, s := range ss {
			if !s.Fixable() {
				continue
			}
			ids = append(ids, s.ID)
			if _, err := Parse([]byte(s.Result)); err != nil {
				t.Fatalf("%s: the result does not parse: %v\n%s", s.ID, err, s.Result)
			}
			got, err := applyPatch(s.Diff, map[string]string{"Dockerfile": string(src)})
			if err != nil {
				t.Fatalf("%s: the diff does not apply: %v\n%s", s.ID, err, s.Diff)
			}
			if got["Dockerfile"] != s.Result {
				t.Fatalf("%s: the diff gives\n%q\nnot the result\n%q\ndiff:\n%s", s.ID, got["Dockerfile"], s.Result, s.Diff)
			}
			for n, c := range s.Files {
				if got[n] != c {
					t.Fatalf("%s: the diff gives %s = %q, not %q", s.ID, n, got[n], c)
				}
			}
			if len(got) != 1+len(s.Files) {
				t.Fatalf("%s: the diff touches %d files, want %d", s.ID, len(got), 1+len(s.Files))
			}
			r, err := Apply(src, []string{s.ID}, opts)
			if err != nil {
				t.Fatalf("Apply %s: %v", s.ID, err)
			}
			if r.Dockerfile != s.Result {
				t.Fatalf("Apply %s gives\n%q\nnot its suggestion's result\n%q", s.ID, r.Dockerfile, s.Result)
			}
			checkNotAgain(t, r, opts)
		}
		if len(ids) < 2 {
			return
		}
		r, err := Apply(src, ids, opts)
		if err != nil {
			t.Fatalf("Apply %v: %v", ids, err)
		}
		rd, err := Parse([]byte(r.Dockerfile))
		if err != nil {
			t.Fatalf("Apply %v: the result does not parse: %v\n%s", ids, err, r.Dockerfile)
		}
		if ps := newProblems(d, rd, corpusNow); len(ps) > 0 {
			t.Fatalf("Apply %v: the result fails the safety check: %v\n%s", ids, ps, r.Dockerfile)
		}
		checkNotAgain(t, r, opts)
		diff := unifiedDiff("Dockerfile", string(src), r.Dockerfile)
		for _, n := range sortedKeys(r.Files) {
			diff += newFileDiff(n, r.Files[n])
		}
		if diff == "" {
			return
		}
		got, err := applyPatch(diff, map[string]string{"Dockerfile": string(src)})
		if err != nil {
			t.Fatalf("Apply %v: the diff does not apply: %v\n%s", ids, err, diff)
		}
		if got["Dockerfile"] != r.Dockerfile {
			t.Fatalf("Apply %v: the diff does not give the result", ids)
		}
	})
}

// checkNotAgain: Suggest on what Apply made proposes none of the applied
// suggestions again (the package's promise: accepted suggestions compose).
func checkNotAgain(t *testing.T, r Result, opts Options) {
	t.Helper()
	opts.ContextFile = func(name string) (string, bool) {
		c, ok := r.Files[name]
		return c, ok
	}
	again, err := Suggest([]byte(r.Dockerfile), opts)
	if err != nil {
		t.Fatalf("Suggest after %v: %v", r.Applied, err)
	}
	for _, s := range again {
		for _, id := range r.Applied {
			if s.ID == id && s.Fixable() {
				t.Fatalf("%s proposed again after applying %v:\n%s\n%s", s.ID, r.Applied, r.Dockerfile, s.Diff)
			}
		}
	}
}

// SG402 replaced only the command of a shell-form CMD: a shell comment
// after it stayed behind the JSON, which made the instruction shell form
// again, running the array as a command (and SG402 proposed itself again).
// FuzzSuggest's seeds 0851c6f7c81a923f and b19987990b74aee7 found it,
// with a NUL after the command, and before it.
func TestJSONCmdKeepsNothingAfterTheArray(t *testing.T) {
	for src, want := range map[string]string{
		"FROM python:3.12-slim\nCMD python app.py # run it\n":      "FROM python:3.12-slim\n# run it\nCMD [\"python\", \"app.py\"]\n",
		"FROM python:3.12-slim\nCMD python app.py   #x  \n":        "FROM python:3.12-slim\n#x\nCMD [\"python\", \"app.py\"]  \n",
		"FROM python:3.12-slim\nCMD python \\\n    app.py # run\n": "FROM python:3.12-slim\n# run\nCMD [\"python\", \"app.py\"]\n",
		"FROM python:3.12-slim\nCMD python app.py \x00\n":          "",
		"FROM python:3.12-slim\nCMD \x00\x00python app.py\n":       "",
	} {
		r, err := Apply([]byte(src), []string{"SG402"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if want == "" {
			if len(r.Applied) != 0 {
				t.Errorf("%q: changed to %q", src, r.Dockerfile)
			}
			continue
		}
		if r.Dockerfile != want {
			t.Errorf("%q: got %q, want %q", src, r.Dockerfile, want)
		}
		d, err := Parse([]byte(r.Dockerfile))
		if err != nil || !d.Final().Instrs[0].JSON {
			t.Errorf("%q: the CMD is not in exec form: %v", src, err)
		}
	}
}

// The shell text of RUN, CMD and ENTRYPOINT started after the keyword and
// flags split at spaces and tabs only, where BuildKit splits at \r, \v and
// \f too: in "CMD\rpython a" the shell text was " a" and SG402 wrote
// CMD\rpython ["a"]. FuzzSuggest's seed 3334ac12c305372a found it.
func TestShellTextStartsWhereBuildKitSplits(t *testing.T) {
	for _, src := range []string{"FROM e\nCMD\rpython a\n", "FROM e\nCMD\vpython a\n", "FROM e\nRUN\f--mount=type=cache,target=/x\rpip install x\n"} {
		d, err := Parse([]byte(src))
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		in := d.Final().Instrs[0]
		if got := strings.TrimSpace(string(d.Src[in.Shell.Start:in.Shell.End])); got != strings.TrimSpace(in.Args[0]) {
			t.Errorf("%q: shell text %q, BuildKit's %q", src, got, in.Args[0])
		}
	}
	r, err := Apply([]byte("FROM e\nCMD\rpython a\n"), []string{"SG402"}, Options{Now: corpusNow})
	if err != nil || r.Dockerfile != "FROM e\nCMD\r[\"python\", \"a\"]\n" {
		t.Errorf("%q, %v", r.Dockerfile, err)
	}
}

// A RUN whose last line ends in a backslash BuildKit does not continue
// ("&\\\"): the shell read the instruction's newline as a continuation, so
// the last segment ended at the next line and SG103 appended its "&& rm"
// there, as an instruction of its own. FuzzSuggest's seed
// 488b962e9bde2275 found it (after SG401 put a line after such a RUN).
// That "&" runs the update in the background: nothing is appended to it
// (it would run in the background too); ";" is appended to at its end.
func TestAppendAfterTrailingBackslash(t *testing.T) {
	src := "FROM a\nRUN apt-get update &\\\\\\\nUSER app\n"
	r, err := Apply([]byte(src), []string{"SG103"}, Options{Now: corpusNow})
	if err == nil && r.Dockerfile != src {
		t.Errorf("%q: appended to a RUN in the background", r.Dockerfile)
	}
	src = "FROM a\nRUN apt-get update ;\\\\\\\nUSER app\n"
	r, err = Apply([]byte(src), []string{"SG103"}, Options{Now: corpusNow})
	if err != nil || r.Dockerfile != "FROM a\nRUN apt-get update ;\\\\\\ && rm -rf /var/lib/apt/lists/*\nUSER app\n" {
		t.Errorf("%q, %v", r.Dockerfile, err)
	}
}

// SG010 took any tag containing "alpine" for an Alpine python image but
// dropped only the variant's parts that start with it: "python:3.8]alpine"
// became "python:3.8-]alpine-slim", still "Alpine", proposed again and
// again. FuzzSuggest's seed 9c50f7975e1f6541 found it.
func TestAlpineToDebianOnlyWhatItRewrites(t *testing.T) {
	for ref, want := range map[string]string{
		"python:3.12-alpine3.20": "python:3.12-slim",
		"python:alpine":          "python:slim",
		"python:3.8]alpine":      "",
	} {
		r, err := Apply([]byte("FROM "+ref+"\nRUN pip install flask\n"), []string{"SG010"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		got := ""
		if len(r.Applied) > 0 {
			got = strings.TrimPrefix(strings.SplitN(r.Dockerfile, "\n", 2)[0], "FROM ")
		}
		if got != want {
			t.Errorf("%s: became %q, want %q", ref, got, want)
		}
	}
}

// A Dockerfile may end in a backslash (BuildKit ignores it there); lines
// inserted after that instruction continued it: "FROM k\" and SG401's
// "RUN useradd" made "FROM k RUN useradd ...", which does not parse
// (Suggest failed), and with a newline after the backslash a RUN silently
// took the USER line as arguments. FuzzSuggest's seed 5554e32a5afbadc0
// found it, and 5ea1172c213662ab that two backslashes are no continuation.
func TestInsertAfterADanglingBackslash(t *testing.T) {
	checkInsertedAfterLast(t, "RUN useradd --no-log-init --create-home --uid 10001 app\nUSER app\n", map[string]string{
		"FROM k\\":                       "FROM k\nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app",
		"FROM k\nRUN a \\\n    b \\  \n": "FROM k\nRUN a \\\n    b \nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app\n",
		// Blank and comment lines after the backslash do not end the
		// instruction (BuildKit skips them): the backslash goes, they stay.
		"FROM k\\\n ":              "FROM k\n \nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app",
		"FROM k \\\n# a comment\n": "FROM k \n# a comment\nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app\n",
		"FROM k \\\n\n  \n":        "FROM k \n\n  \nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app\n",
		"FROM k\\\n\f":             "FROM k\n\f\nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app", // blank is unicode.IsSpace
		// Two backslashes are no continuation: both stay.
		"FROM k\nRUN echo a\\\\": "FROM k\nRUN echo a\\\\\nRUN useradd --no-log-init --create-home --uid 10001 app\nUSER app",
	})
}

// checkInsertedAfterLast: lines inserted after the last instruction of
// each source (as SG401 does) give its wanted Dockerfile.
func checkInsertedAfterLast(t *testing.T, lines string, cases map[string]string) {
	t.Helper()
	for src, want := range cases {
		d, err := Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		got, err := applyEdits(d.Src, []edit{d.insertAfter(d.Instructions[len(d.Instructions)-1], lines)})
		if err != nil || got != want {
			t.Errorf("on %q: got %q, %v\nwant %q", src, got, err, want)
		}
		if _, err := Parse([]byte(got)); err != nil {
			t.Errorf("on %q: %v", src, err)
		}
	}
}

// checkApplied: Apply of the one suggestion id to each source gives its
// wanted Dockerfile.
func checkApplied(t *testing.T, id string, cases map[string]string) {
	t.Helper()
	for src, want := range cases {
		r, err := Apply([]byte(src), []string{id}, Options{Now: corpusNow})
		if err != nil || r.Dockerfile != want {
			t.Errorf("%s on %q: got %q, %v\nwant %q", id, src, r.Dockerfile, err, want)
		}
	}
}

// Edits next to a continuation backslash stay on its line: a word glued
// to it ends before it (mvdan.cc/sh counts the escaped newline into the
// word), and a backslash with blanks after it is a continuation for
// BuildKit, so for the shell's parse too (bash would read an escaped space).
func TestEditsBesideAContinuation(t *testing.T) {
	checkApplied(t, "SG104", map[string]string{
		"FROM k\nRUN apt-get update \\ \n    && apt-get install -y --no-install-recommends curl\n": "FROM k\nRUN apt-get update && apt-get upgrade -y \\ \n    && apt-get install -y --no-install-recommends curl\n",
		"FROM 0\nRUN apt-get update \\ \n0": "FROM 0\nRUN apt-get update \\ \n0 && apt-get upgrade -y",
	})
	checkApplied(t, "SG201", map[string]string{
		"FROM k\nRUN pip install\\\n    flask\n": "FROM k\nRUN pip install --no-cache-dir\\\n    flask\n",
		"FROM k\nRUN pip install\\\n \n0":        "FROM k\nRUN pip install --no-cache-dir\\\n \n0",
	})
}

// The builder stage's name goes after the FROM's image, wherever that is:
// split by a continuation, after a flag that holds the image's letters.
func TestMultistageNamesTheBuilderAfterTheImage(t *testing.T) {
	for src, want := range map[string]string{
		// (a CMD: a file without one is a base image, which gets no split)
		"FROM 0\\\n0\nRUN apt install 0-dev\nRUN pip install\nCMD [\"app\"]":                                      "FROM 0\\\n0 AS builder\n",
		"FROM --platform=linux/amd64 a\nRUN apt-get install -y gcc\nRUN pip install flask\nCMD [\"app\"]\n":       "FROM --platform=linux/amd64 a AS builder\n",
		"FROM python:3.1\\\n  # the minor\n2\nRUN apt-get install -y gcc\nRUN pip install flask\nCMD [\"app\"]\n": "FROM python:3.1\\\n  # the minor\n2 AS builder\n",
	} {
		ss, err := Suggest([]byte(src), Options{Now: corpusNow, ContextFile: func(string) (string, bool) { return "", false }})
		if err != nil {
			t.Errorf("%q: %v", src, err)
			continue
		}
		var res string
		for _, s := range ss {
			if s.ID == "SG001" {
				res = s.Result
			}
		}
		if !strings.HasPrefix(res, want) {
			t.Errorf("%q: SG001 gives\n%s\nwant it to start with %q", src, res, want)
		}
	}
}

func TestFlagsEnd(t *testing.T) {
	for text, want := range map[string]int{
		"FROM a\n":                                0,
		"FROM --platform=linux/amd64 a\n":         len("FROM --platform=linux/amd64"),
		"FROM \\\n  --platform=$P \\\n  a AS b\n": len("FROM \\\n  --platform=$P"),
	} {
		if got := flagsEnd(text); got != want {
			t.Errorf("flagsEnd(%q) = %d, want %d", text, got, want)
		}
	}
}

// A created user named "0" or "root" is no user to switch to: USER 0 is
// root again, and SG401 (or the multistage runtime stage) would propose
// itself forever.
func TestNonRootUserIsNotNamedZero(t *testing.T) {
	src := "FROM debian:12\nRUN useradd 0\nCMD [\"app\"]\n"
	r, err := Apply([]byte(src), []string{"SG401"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if want := "USER app\nCMD [\"app\"]\n"; !strings.HasSuffix(r.Dockerfile, want) {
		t.Fatalf("SG401 gives\n%s\nwant it to end with %q", r.Dockerfile, want)
	}
}

func TestMountSafe(t *testing.T) {
	for p, want := range map[string]bool{
		"wheels/": true, "/tmp/wheels": true, "a=b": true,
		`"`: false, "a,b": false, "a b": false, `a\b`: false, "a'b": false, "\xc9": false, "": false,
	} {
		if got := mountSafe(p); got != want {
			t.Errorf("mountSafe(%q) = %v, want %v", p, got, want)
		}
	}
}
