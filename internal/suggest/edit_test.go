package suggest

import (
	"strings"
	"testing"
)

// New lines follow the file's line endings: a CRLF file gets CRLF lines.
func TestNewLinesFollowCRLF(t *testing.T) {
	src := "FROM python:3.12-slim\r\nRUN pip install flask==3.0.3\r\nCMD [\"flask\", \"run\"]\r\n"
	r, err := Apply([]byte(src), []string{"SG201", "SG401"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(r.Dockerfile, "\n") != strings.Count(r.Dockerfile, "\r\n") || strings.Contains(r.Dockerfile, "\r\r") {
		t.Errorf("a line without CR, or a doubled CR: %q", r.Dockerfile)
	}
	if !strings.Contains(r.Dockerfile, "RUN useradd --no-log-init --create-home --uid 10001 app\r\nUSER app\r\n") {
		t.Errorf("%q", r.Dockerfile)
	}
}

// The comment lines right above an instruction go where it goes: into the
// RUN it is merged into, or away with it when it is deleted and nothing
// follows it right below.
func TestCommentsGoWithTheirInstruction(t *testing.T) {
	checkApplied(t, "SG303", map[string]string{
		"FROM debian:12\nRUN a\n\n# then b\nRUN b\n": "FROM debian:12\nRUN a \\\n# then b\n && b\n",
	})
	checkApplied(t, "SG102", map[string]string{
		"FROM debian:12\n# lists\nRUN apt-get update\n\nRUN apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n": "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\n",
	})
}

// Edits leave no run of blank lines longer than the file had, and no blank
// lines at its end it did not have.
func TestNoStrayBlankLines(t *testing.T) {
	src := "FROM python:3.11\n\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n\nEXPOSE 8000\nCMD [\"python\", \"app.py\"]\n"
	r, err := Apply([]byte(src), []string{"SG001"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.Dockerfile, "\n\n\n") || strings.HasSuffix(r.Dockerfile, "\n\n") || !strings.Contains(r.Dockerfile, "\n\nFROM python:3.11-slim\n") {
		t.Errorf("%q", r.Dockerfile)
	}
}
