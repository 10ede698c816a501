package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/pipeline"
	"github.com/slimpy/slimpy/internal/suggest"
)

const cliDockerfile = `FROM python:3.11-slim
RUN apt-get update && apt-get install -y gcc libpq-dev
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD python app.py
`

func writeDockerfile(t *testing.T, content string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// nothingWritten fails when the Dockerfile at path (cliDockerfile) was
// changed or anything was written beside it (a backup, a .dockerignore).
func nothingWritten(t *testing.T, path string) {
	t.Helper()
	if b, _ := os.ReadFile(path); string(b) != cliDockerfile {
		t.Error("the Dockerfile was written")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if e.Name() != filepath.Base(path) {
			t.Errorf("%s written", e.Name())
		}
	}
}

func TestSuggestFromDockerfileAlone(t *testing.T) {
	_, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "suggest", "--dockerfile", path, "--now", "2026-09-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"SG001", "SG201", "  The savings are not measured: no image.\n", "--- a/Dockerfile", "+++ b/Dockerfile", "+RUN pip install --no-cache-dir"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour in output that is not a terminal")
	}
	code, out, _ = slimpy(t, "suggest", "--dockerfile", path, "--color", "always")
	if code != 0 || !strings.Contains(out, "\x1b[32m+") {
		t.Errorf("--color always: no coloured additions")
	}
	code, out, _ = slimpy(t, "suggest", "--dockerfile", path, "--format", "json")
	var doc struct {
		Suggestions []struct {
			ID      string `json:"id"`
			Diff    string `json:"diff"`
			Savings struct {
				Measured bool `json:"measured"`
			} `json:"savings"`
		} `json:"suggestions"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &doc) != nil || len(doc.Suggestions) == 0 || doc.Suggestions[0].Savings.Measured {
		t.Fatalf("json: exit %d %s", code, out)
	}
}

func TestSuggestUsageErrors(t *testing.T) {
	dir, _ := writeDockerfile(t, "FROM python:3.11\nRUN <<EOF\necho\n")
	for _, args := range [][]string{
		{"suggest", "--dockerfile", filepath.Join(dir, "Dockerfile")},
		{"suggest", "--dockerfile", filepath.Join(dir, "missing")},
		{"fix", "--dockerfile", filepath.Join(dir, "Dockerfile")},
		{"fix", "--dockerfile", filepath.Join(dir, "Dockerfile"), "--accept", "SG999"},
	} {
		code, _, errOut := slimpy(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	_, errOut := func() (int, string) {
		c, _, e := slimpy(t, "suggest", "--dockerfile", filepath.Join(dir, "Dockerfile"))
		return c, e
	}()
	if !strings.Contains(errOut, "line 2") {
		t.Errorf("parse error without its line: %q", errOut)
	}
}

func TestFixWritesAtomicallyWithBackup(t *testing.T) {
	dir, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "fix", "--dockerfile", path, "--accept", "SG201,json-cmd,dockerignore")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), "pip install --no-cache-dir -r") || !strings.Contains(string(got), `CMD ["python", "app.py"]`) {
		t.Fatalf("written:\n%s", got)
	}
	bak, _ := os.ReadFile(path + ".bak")
	if string(bak) != cliDockerfile {
		t.Fatalf("backup:\n%s", bak)
	}
	if _, err := os.Stat(filepath.Join(dir, ".dockerignore")); err != nil {
		t.Fatalf(".dockerignore not written: %v\n%s", err, out)
	}
	// Running again: nothing left for these; a second backup does not
	// replace the first.
	code, _, _ = slimpy(t, "fix", "--dockerfile", path, "--all", "-o", filepath.Join(dir, "Dockerfile.all"))
	if code != 0 {
		t.Fatal("fix --all -o failed")
	}
	all, _ := os.ReadFile(filepath.Join(dir, "Dockerfile.all"))
	if !strings.Contains(string(all), "AS builder") || !strings.Contains(string(all), "COPY --from=builder /opt/venv /opt/venv") {
		t.Fatalf("--all:\n%s", all)
	}
	if now, _ := os.ReadFile(path); string(now) != string(got) {
		t.Fatal("-o changed the Dockerfile")
	}
	code, _, _ = slimpy(t, "fix", "--dockerfile", path, "--accept", "SG001")
	if code != 0 {
		t.Fatal("second fix failed")
	}
	if b, _ := os.ReadFile(path + ".bak.1"); string(b) != string(got) {
		t.Fatalf("second backup:\n%s", b)
	}
	if b, _ := os.ReadFile(path + ".bak"); string(b) != cliDockerfile {
		t.Fatal("the first backup was replaced")
	}
}

func TestFixRefusesAChangedFile(t *testing.T) {
	_, path := writeDockerfile(t, cliDockerfile)
	w := &pipeline.Workspace{Path: path, Src: []byte(cliDockerfile)}
	if err := os.WriteFile(path, []byte(cliDockerfile+"# edited meanwhile\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := &fixFlags{}
	if err := f.write(context.Background(), &fixOutput{}, w, suggest.Result{Dockerfile: "FROM scratch\n"}); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "edited meanwhile") {
		t.Fatal("the edited file was replaced")
	}
}

func TestSuggestReconstructsFromImageHistory(t *testing.T) {
	demo := fixturePath(t, "demo.tar")
	t.Chdir(t.TempDir())
	code, out, errOut := slimpy(t, "suggest", "docker-archive:"+demo, "--no-cache", "--now", "2026-09-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"reconstructed from the history", "# Reconstructed by slimpy", "SG001", "measured"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	code, _, errOut = slimpy(t, "fix", "docker-archive:"+demo, "--no-cache", "--all")
	if code != 2 || !strings.Contains(errOut, "-o FILE") {
		t.Errorf("fix without Dockerfile nor -o: exit %d %q", code, errOut)
	}
}

func fixturePath(t *testing.T, name string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "testdata", "images", name))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
