package suggest

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKeepsLinesAndShellOffsets(t *testing.T) {
	src := "# syntax=docker/dockerfile:1\nARG PY=3.11\nFROM python:${PY}-slim AS base\n# deps\nRUN apt-get update \\\n    # a comment inside\n    && apt-get install -y gcc \\\n    && pip install --user -r requirements.txt\nRUN <<EOF\npip install flask\nEOF\nCMD python app.py\n"
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.GlobalArgs) != 1 || len(d.Stages) != 1 || d.Stages[0].Name != "base" {
		t.Fatalf("stages %+v args %d", d.Stages, len(d.GlobalArgs))
	}
	run := d.Stages[0].Instrs[0]
	if run.StartLine != 5 || run.EndLine != 8 {
		t.Fatalf("RUN lines %d-%d", run.StartLine, run.EndLine)
	}
	var names []string
	for _, c := range run.calls() {
		names = append(names, c.Name()+":"+c.Text(d))
	}
	want := "apt-get:apt-get update|apt-get:apt-get install -y gcc|pip:pip install --user -r requirements.txt"
	if got := strings.Join(names, "|"); got != want {
		t.Fatalf("calls %q\nwant %q", got, want)
	}
	if p := pipCommands(run); len(p) != 1 || !p[0].hasOpt("--user") || p[0].reqs[0] != "requirements.txt" {
		t.Fatalf("pip %+v", p)
	}
	here := d.Stages[0].Instrs[1]
	if !here.Heredoc || here.editable() || len(pipCommands(here)) != 1 {
		t.Fatalf("heredoc RUN: editable %v pip %d", here.editable(), len(pipCommands(here)))
	}
	// An edit splices bytes; everything else stays.
	out, err := applyEdits(d.Src, []edit{insertWord(pipCommands(run)[0].sub, "--no-cache-dir")})
	if err != nil {
		t.Fatal(err)
	}
	if out != strings.Replace(src, "pip install --user", "pip install --no-cache-dir --user", 1) {
		t.Fatalf("edit:\n%s", out)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	for src, line := range map[string]int{
		"FROM a\nRUN <<EOF\necho\n":     2,
		"FROM a\nBOGUS x\n":             2,
		"FROM a\nRUN x\nCOPY\n":         3,
		"RUN x\n":                       1,
		"# only a comment\n":            1,
		"FROM a\nRUN x\nFROM a b c d\n": 3,
	} {
		_, err := Parse([]byte(src))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != line || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: %v (want line %d)", src, err, line)
		}
	}
}
