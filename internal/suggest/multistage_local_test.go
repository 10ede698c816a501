package suggest

import (
	"os"
	"strings"
	"testing"
)

// An offline install from local sdists: the builder must get the
// --find-links directory (not only the requirements file) when the
// whole-context COPY is narrowed, and a --no-build-isolation build must see
// the setuptools and wheel of the system the original installed into.
func TestMultistageLocalSdistsOffline(t *testing.T) {
	src, err := os.ReadFile("../../testdata/verify/app/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	ss, err := Suggest(src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var ms *Suggestion
	for i := range ss {
		if ss[i].ID == "SG001" {
			ms = &ss[i]
		}
	}
	if ms == nil {
		t.Fatalf("no multistage suggestion: %v", ss)
	}
	for _, want := range []string{
		"FROM local/library/python:3.11 AS builder\n",
		"COPY requirements.txt ./\nCOPY dist/ ./dist/\n",
		"RUN python3 -m venv --system-site-packages /opt/venv\n",
		"FROM local/library/python:3.11-slim\n",
		"COPY --from=builder /opt/venv /opt/venv\n",
	} {
		if !strings.Contains(ms.Result, want) {
			t.Errorf("the multistage result lacks %q:\n%s", want, ms.Result)
		}
	}
	if !strings.Contains(strings.Join(ms.Evidence, "\n"), "--no-build-isolation") {
		t.Errorf("the evidence does not say why the venv sees the system's packages: %q", ms.Evidence)
	}
}

func TestInstallNeedsLocalDirs(t *testing.T) {
	for _, c := range []struct{ run, dirs string }{
		{"RUN pip install --no-index --find-links dist -r requirements.txt", "/app/dist"},
		{"RUN pip install --no-index -f=./wheels flask", "/app/wheels"},
		{"RUN pip install --find-links https://example.invalid/simple flask", ""},
		{"RUN pip install vendor/pkg-1.0.tar.gz", "/app/vendor"},
		{"RUN pip install git+https://example.invalid/x.git flask==1.0", ""},
		{"RUN pip install --no-index wheels/*.whl", "/app/wheels"},
	} {
		d, err := Parse([]byte("FROM python:3.11\nWORKDIR /app\n" + c.run + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		in := d.Stages[0].Instrs[1]
		_, dirs, _ := installNeeds(in, "/app")
		if got := strings.Join(dirs, " "); got != c.dirs {
			t.Errorf("%s: dirs %q, want %q", c.run, got, c.dirs)
		}
	}
}
