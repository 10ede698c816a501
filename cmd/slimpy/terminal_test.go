package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
)

// Names and history a hostile image carries: newlines that would forge a
// line of a report or an instruction of a Dockerfile, escape sequences
// (clear screen, OSC 52 clipboard write), a bidirectional override.
const (
	evilPath     = "/app/evil\nWasted     0 B stored but not visible (forged)\x1b]52;c;aGk=\x07"
	evilCache    = "/root/.cache/pip/http/x\nSP999 high   forged finding\x1b[31m"
	evilDupA     = "/app/dup\nforged duplicate"
	evilDupB     = "/app/dup\u202eb\x1b[2J"
	evilRun      = "RUN /bin/sh -c echo \x1b[2J\x1b]52;c;aGk=\x07 > /app/evil # buildkit"
	evilEnv      = "/bin/sh -c #(nop)  ENV A=b\nUSER root"
	evilHeredoc  = "RUN /bin/sh -c <<EOF\necho hi\nEOF\nUSER root # buildkit"
	evilPretty   = "Debian\x1b]52;c;aGk=\x07 GNU/Linux\rforged"
	evilCodename = "bookworm\x1b[2J"
)

// hostileImages writes a docker-archive of the hostile image and of its
// base alone (a baseline for ci), and returns their references.
func hostileImages(t *testing.T) (img, base string) {
	t.Helper()
	dir := t.TempDir()
	baseStep := fixtures.Layer("/bin/sh -c #(nop) ADD file:base in / ",
		fixtures.File("/etc/os-release", "PRETTY_NAME=\""+evilPretty+"\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME="+evilCodename+"\n"),
		fixtures.Text("/usr/lib/python3.11/os.py", 50_000))
	dup := strings.Repeat("same bytes\n", 5000)
	steps := []fixtures.Step{
		baseStep,
		fixtures.Layer("RUN /bin/sh -c pip install flask # buildkit",
			fixtures.Rand(evilPath, 100_000), fixtures.Rand(evilCache, 200_000),
			fixtures.File(evilDupA, dup), fixtures.File(evilDupB, dup)),
		fixtures.Layer(evilRun, fixtures.Rand(evilPath, 100_001)),
		fixtures.Empty(evilEnv),
		fixtures.Empty(evilHeredoc),
	}
	write := func(name string, im fixtures.Image) string {
		v, err := fixtures.BuildImage(im, false)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name+".tar")
		if err := fixtures.WriteDockerArchive(v, "hostile/"+name+":1", p); err != nil {
			t.Fatal(err)
		}
		return "docker-archive:" + p
	}
	cfg := v1.Config{User: "app\x1b[31m", Cmd: []string{"python"}}
	return write("app", fixtures.Image{Config: cfg, Steps: steps}), write("base", fixtures.Image{Steps: steps[:1]})
}

// safeOnTerminal fails when out holds a control character other than
// newline and tab (ESC, BEL, CR) or a line that a hostile string forged.
func safeOnTerminal(t *testing.T, what, out string, forged ...string) {
	t.Helper()
	for _, c := range out {
		if c < 0x20 && c != '\n' && c != '\t' || c == 0x7f || c >= 0x80 && c < 0xa0 || c == '\u202e' {
			t.Errorf("%s: control character %q reached the output:\n%s", what, c, out)
			break
		}
	}
	for _, l := range strings.Split(out, "\n") {
		for _, f := range forged {
			if strings.HasPrefix(strings.TrimSpace(l), f) {
				t.Errorf("%s: forged line %q:\n%s", what, l, out)
			}
		}
	}
}

// TestHostileStringsStayInTheirPlace: strings from an image reach the text
// report, ci's text and markdown, the reconstructed Dockerfile and stderr
// escaped: a newline in a file name forges no line, an escape sequence
// drives no terminal. JSON stays exact.
func TestHostileStringsStayInTheirPlace(t *testing.T) {
	img, base := hostileImages(t)
	dir := t.TempDir()
	forged := []string{"forged", "SP999", "USER root", "+USER root"}

	code, out, errOut := slimpy(t, "inspect", img, "--format", "text", "--no-cache")
	if code != 0 {
		t.Fatalf("inspect: exit %d %s", code, errOut)
	}
	safeOnTerminal(t, "inspect", out, forged...)
	if n := strings.Count(out, "\nWasted "); n != 0 { // the forged one
		t.Errorf("%d lines start with Wasted:\n%s", n, out)
	}
	for _, want := range []string{`/app/evil\nWasted     0 B stored but not visible (forged)\x1b]52;c;aGk=\a`, `user app\x1b[31m`, `Debian\x1b]52;c;aGk=\a GNU/Linux\rforged`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}

	// JSON is exact.
	code, out, _ = slimpy(t, "inspect", img, "--format", "json", "--no-cache")
	var r inspect.Report
	if code != 0 || json.Unmarshal([]byte(out), &r) != nil || len(r.Waste.Copies) == 0 || r.Waste.Copies[0].Path != evilPath || r.Image.User != "app\x1b[31m" {
		t.Errorf("json: exit %d, %+v", code, r.Waste)
	}

	md := filepath.Join(dir, "ci.md")
	code, out, errOut = slimpy(t, "ci", img, "--baseline-image", base, "--no-cache", "--fail-on-severity", "info", "--report", "markdown="+md)
	if code != exitCheck {
		t.Fatalf("ci: exit %d %s", code, errOut)
	}
	safeOnTerminal(t, "ci", out, forged...)
	b, _ := os.ReadFile(md)
	safeOnTerminal(t, "ci markdown", string(b), forged...)
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "|") != strings.HasSuffix(l, "|") {
			t.Errorf("markdown table row broken: %q", l)
		}
	}

	code, out, errOut = slimpy(t, "suggest", img, "--no-cache")
	if code != 0 {
		t.Fatalf("suggest: exit %d %s", code, errOut)
	}
	safeOnTerminal(t, "suggest", out, forged...)
	rec := filepath.Join(dir, "Dockerfile")
	code, _, errOut = slimpy(t, "fix", img, "--no-cache", "--all", "-o", rec, "--context", dir)
	if code != 0 {
		t.Fatalf("fix: exit %d %s", code, errOut)
	}
	b, _ = os.ReadFile(rec)
	safeOnTerminal(t, "reconstructed Dockerfile", string(b), "USER root", "EOF")
	if !strings.Contains(string(b), "# (not reconstructed: more than one instruction) ENV A=b\\nUSER root") ||
		!strings.Contains(string(b), "# (not reconstructed: control characters) RUN echo \\x1b[2J") {
		t.Errorf("the hostile history is not commented out:\n%s", b)
	}
	if strings.Contains(string(b), "bookworm") {
		t.Errorf("a codename with an escape went into FROM:\n%s", b)
	}

	// stderr: an error naming a hostile file name is one safe line.
	code, _, errOut = slimpy(t, "inspect", "docker-archive:"+filepath.Join(dir, "a\x1b[2Jb\nforged.tar"))
	if code != exitUsage || strings.Count(errOut, "\n") != 1 {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	safeOnTerminal(t, "stderr", errOut, "forged")
}
