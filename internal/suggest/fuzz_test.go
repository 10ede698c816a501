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
// that parses. The seeds are the corpus of testdata/dockerfiles plus the
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
		}
		if len(ids) < 2 {
			return
		}
		r, err := Apply(src, ids, opts)
		if err != nil {
			t.Fatalf("Apply %v: %v", ids, err)
		}
		if _, err := Parse([]byte(r.Dockerfile)); err != nil {
			t.Fatalf("Apply %v: the result does not parse: %v\n%s", ids, err, r.Dockerfile)
		}
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
