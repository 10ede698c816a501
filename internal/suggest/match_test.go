package suggest

import (
	"context"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// TestMatchImage: the Dockerfile that built an image matches it; one
// edited since (a RUN changed, an instruction added) or another project's
// does not, and the reason names the first line not found.
func TestMatchImage(t *testing.T) {
	ctx := context.Background()
	src, err := source.Open(ctx, extImage(t), source.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	a, err := inspect.Analyze(ctx, src, inspect.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, dockerfile string
		ok               bool
		reason           string
	}{
		{"the one that built it", extDockerfile, true, ""},
		{"a RUN changed", strings.Replace(extDockerfile, "pip install -r requirements.txt", "pip install --no-cache-dir flask gunicorn", 1), false,
			"line 5 (RUN pip install --no-cache-dir flask gunicorn) is not in the image's history; 0 of its 3 RUN, COPY and ADD instructions are"},
		{"a line added", strings.Replace(extDockerfile, "WORKDIR /app\n", "WORKDIR /app\nRUN useradd app\n", 1), false,
			"line 4 (RUN useradd app) is not in the image's history; 2 of its 4"},
		{"another project's", "FROM node:20\nRUN npm ci\nCOPY . .\nRUN npm run build\n", false, "line 4 (RUN npm run build)"},
		{"nothing to compare", "FROM python:3.11-slim\nCMD [\"python\"]\n", true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse([]byte(c.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			m := MatchImage(a, d)
			if m.OK() != c.ok || !strings.HasPrefix(m.Reason(), c.reason) || (c.ok && m.Reason() != "") {
				t.Errorf("OK %v reason %q (%+v); want %v %q", m.OK(), m.Reason(), m, c.ok, c.reason)
			}
		})
	}
}
