package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFixAllIsAFixpointOnTheCorpus runs slimpy fix --all through the CLI
// on a copy of every case of testdata/dockerfiles, then again on its
// result: the second run must change nothing, and slimpy suggest on the
// result must propose no fix (issue 19: "suggest on the output of fix
// --all proposes nothing").
func TestFixAllIsAFixpointOnTheCorpus(t *testing.T) {
	const now = "2026-09-01" // the corpus goldens' date
	root := filepath.Join("..", "..", "testdata", "dockerfiles")
	var cases []string
	err := filepath.WalkDir(root, func(p string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && e.Name() == "Dockerfile" {
			cases = append(cases, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) < 100 {
		t.Fatalf("%d corpus cases, want the whole corpus", len(cases))
	}
	for _, c := range cases {
		name, _ := filepath.Rel(root, c)
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(c)); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "Dockerfile")
			code, out, errOut := slimpy(t, "fix", "--dockerfile", path, "--all", "--now", now)
			if code != 0 {
				t.Fatalf("fix --all: exit %d\n%s\n%s", code, out, errOut)
			}
			first, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			code, out2, errOut := slimpy(t, "fix", "--dockerfile", path, "--all", "--now", now, "--format", "json")
			if code != 0 {
				t.Fatalf("second fix --all: exit %d\n%s\n%s", code, out2, errOut)
			}
			var fo fixOutput
			if err := json.Unmarshal([]byte(out2), &fo); err != nil {
				t.Fatal(err)
			}
			second, _ := os.ReadFile(path)
			if len(fo.Applied) > 0 || len(fo.Written) > 0 || string(second) != string(first) {
				t.Errorf("a second fix --all applies %v and writes %v; the first said:\n%s\nits result:\n%s", fo.Applied, fo.Written, out, first)
			}
			code, sout, errOut := slimpy(t, "suggest", "--dockerfile", path, "--now", now, "--format", "json")
			if code != 0 {
				t.Fatalf("suggest: exit %d\n%s", code, errOut)
			}
			var doc struct {
				Suggestions []struct{ ID, Diff string }
			}
			if err := json.Unmarshal([]byte(sout), &doc); err != nil {
				t.Fatal(err)
			}
			for _, s := range doc.Suggestions {
				if s.Diff != "" {
					t.Errorf("suggest on fix --all's result proposes %s:\n%s\nresult:\n%s", s.ID, s.Diff, first)
				}
			}
			if strings.Contains(out, "Not applied:") && !strings.Contains(out, "safety check") {
				t.Errorf("a refusal without its reason:\n%s", out)
			}
		})
	}
}

// rootHomeDockerfile's app lives in /root (0700): the non-root user SG401
// would add could not enter it, so the safety check refuses that change.
const rootHomeDockerfile = `FROM python:3.12-slim
WORKDIR /root
COPY app.py .
RUN pip install --no-cache-dir flask==3.0.3
CMD ["python", "app.py"]
`

// TestAdviceAndRefusalsSayWhy: suggest shows a change the safety check
// refuses as advice with the reason, and fix --all and --accept all say
// they did not apply it and why, in text and JSON, writing nothing.
func TestAdviceAndRefusalsSayWhy(t *testing.T) {
	const why = "line 6: the working directory /root is in root's home (mode 0700): user app cannot enter it"
	_, path := writeDockerfile(t, rootHomeDockerfile)
	code, out, errOut := slimpy(t, "suggest", "--dockerfile", path, "--now", "2026-09-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"SG401  run as a non-root user", "  savings: no size change: security\n",
		"  Advice only, no diff:\n  - its result would fail the safety check: " + why + "\n",
		"Every suggestion is advice: nothing for slimpy fix to apply."} {
		if !strings.Contains(out, want) {
			t.Errorf("suggest's output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = slimpy(t, "suggest", "--dockerfile", path, "--now", "2026-09-01", "--format", "json")
	var doc struct {
		Suggestions []struct {
			ID     string
			Advice []string
			Unsafe []string
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Suggestions) != 1 ||
		len(doc.Suggestions[0].Advice) != 1 || len(doc.Suggestions[0].Unsafe) != 1 || doc.Suggestions[0].Unsafe[0] != why {
		t.Errorf("json: exit %d\n%s", code, out)
	}
	for _, accept := range [][]string{{"--all"}, {"--accept", "all"}, {"--accept", "SG401"}} {
		args := append([]string{"fix", "--dockerfile", path, "--now", "2026-09-01"}, accept...)
		code, out, errOut := slimpy(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", accept, code, errOut)
		}
		if want := "Not applied: SG401, because its result would fail the safety check:\n  - " + why + "\n"; !strings.Contains(out, want) {
			t.Errorf("%v: output lacks %q:\n%s", accept, want, out)
		}
		code, out, _ = slimpy(t, append(args, "--format", "json")...)
		var fo fixOutput
		if code != 0 || json.Unmarshal([]byte(out), &fo) != nil || len(fo.Refused) != 1 || fo.Refused[0].ID != "SG401" ||
			len(fo.Refused[0].Reasons) != 1 || fo.Refused[0].Reasons[0] != why || len(fo.Applied) != 0 {
			t.Errorf("%v json: exit %d\n%s", accept, code, out)
		}
		if b, _ := os.ReadFile(path); string(b) != rootHomeDockerfile {
			t.Errorf("%v: the Dockerfile was written", accept)
		}
	}
}
