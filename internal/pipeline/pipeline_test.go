package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// demoDockerfile built testdata/images/demo.tar; otherDockerfile did not.
const (
	demoDockerfile  = fixtures.DemoDockerfile
	otherDockerfile = `FROM python:3.11-slim
RUN pip install flask
CMD ["flask", "run"]
`
)

var now = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

func demo(t *testing.T) *Image {
	t.Helper()
	ref := "docker-archive:" + filepath.Join("..", "..", "testdata", "images", "demo.tar")
	img, err := Analyze(context.Background(), ref, Options{Rules: inspect.Config{Config: rules.Config{Now: now}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	return img
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDockerfilePathDefault: no flag means ./Dockerfile when it is there,
// else none; a flag is taken as it is.
func TestDockerfilePathDefault(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if got := DockerfilePath(""); got != "" {
		t.Errorf("no ./Dockerfile: %q", got)
	}
	write(t, dir, "Dockerfile", otherDockerfile)
	if got := DockerfilePath(""); got != "Dockerfile" {
		t.Errorf("with ./Dockerfile: %q", got)
	}
	if got := DockerfilePath("x/Dockerfile.prod"); got != "x/Dockerfile.prod" {
		t.Errorf("flag: %q", got)
	}
}

// TestLoadRefusesWhatDoesNotParse: a Dockerfile that does not parse is an
// error naming it; the build context's .dockerignore is read beside it.
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bad := write(t, dir, "Dockerfile.bad", "FROM\n")
	if _, err := Load(bad, "", now); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("unparsable Dockerfile: %v", err)
	}
	p := write(t, dir, "Dockerfile", otherDockerfile)
	write(t, dir, ".dockerignore", ".git\n")
	w, err := Load(p, "", now)
	if err != nil {
		t.Fatal(err)
	}
	if w.Path != p || string(w.Src) != otherDockerfile || w.Opts.Name != "Dockerfile" {
		t.Errorf("workspace %q %q %q", w.Path, w.Src, w.Opts.Name)
	}
	if got, ok := w.Opts.ContextFile(".dockerignore"); !ok || got != ".git\n" {
		t.Errorf(".dockerignore = %q, %v", got, ok)
	}
	if _, ok := w.Opts.ContextFile("missing"); ok {
		t.Error("a missing context file reads as present")
	}
}

// TestMeasure: the Dockerfile that built the image is measured on it; one
// that did not is kept unmeasured (the CLI) or replaced by the
// reconstruction (the TUI); none at all is reconstructed.
func TestMeasure(t *testing.T) {
	img := demo(t)
	facts := img.Facts(context.Background())
	dir := t.TempDir()

	w, err := Load(write(t, dir, "Dockerfile", demoDockerfile), "", now)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Measure(img, facts, KeepUnmeasured); err != nil {
		t.Fatal(err)
	}
	if w.Mismatch != "" || w.Opts.Image == nil || w.Reconstructed {
		t.Errorf("its own Dockerfile: mismatch %q, measured %v, reconstructed %v", w.Mismatch, w.Opts.Image != nil, w.Reconstructed)
	}

	other := write(t, dir, "Dockerfile.other", otherDockerfile)
	w, _ = Load(other, "", now)
	if err := w.Measure(img, facts, KeepUnmeasured); err != nil {
		t.Fatal(err)
	}
	if w.Mismatch == "" || w.Opts.Image != nil || w.Path != other || string(w.Src) != otherDockerfile {
		t.Errorf("another Dockerfile, kept: mismatch %q, measured %v, path %q", w.Mismatch, w.Opts.Image != nil, w.Path)
	}

	w, _ = Load(other, "", now)
	if err := w.Measure(img, facts, Reconstruct); err != nil {
		t.Fatal(err)
	}
	if w.Mismatch == "" || w.Opts.Image == nil || !w.Reconstructed || w.Path != "" || w.Opts.ContextFile != nil {
		t.Errorf("another Dockerfile, reconstructed: mismatch %q, measured %v, reconstructed %v, path %q", w.Mismatch, w.Opts.Image != nil, w.Reconstructed, w.Path)
	}

	w, _ = Load("", "", now)
	if err := w.Measure(img, facts, KeepUnmeasured); err != nil {
		t.Fatal(err)
	}
	if !w.Reconstructed || w.Opts.Image == nil || !strings.Contains(string(w.Src), "\nFROM ") {
		t.Errorf("no Dockerfile: reconstructed %v, measured %v:\n%s", w.Reconstructed, w.Opts.Image != nil, w.Src)
	}
}

// TestAnalyzeNoRules: NoRules leaves the findings out of the image and of
// its report; otherwise the report holds the findings the rules made once.
func TestAnalyzeNoRules(t *testing.T) {
	img := demo(t)
	if len(img.Findings) == 0 || len(img.Report().Findings) != len(img.Findings) {
		t.Errorf("findings %d, in the report %d", len(img.Findings), len(img.Report().Findings))
	}
	ref := "docker-archive:" + filepath.Join("..", "..", "testdata", "images", "demo.tar")
	bare, err := Analyze(context.Background(), ref, Options{NoRules: true})
	if err != nil {
		t.Fatal(err)
	}
	defer bare.Close()
	if bare.Findings != nil || bare.Report().Findings != nil {
		t.Errorf("NoRules: %d findings", len(bare.Findings))
	}
	if _, err := Analyze(context.Background(), "docker-archive:/nonexistent.tar", Options{}); err == nil {
		t.Error("a missing archive opened")
	}
}
