package suggest

import (
	"strings"
	"testing"
)

// splitCase is a Dockerfile and what its multistage split must and must
// not hold.
type splitCase struct {
	name     string
	src      string
	want     []string
	unwanted []string
}

func runSplitCases(t *testing.T, cases []splitCase) {
	t.Helper()
	for _, c := range cases {
		r, err := Apply([]byte(c.src), []string{"SG001"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(r.Applied) != 1 {
			t.Errorf("%s: not applied (refused: %v)", c.name, r.Refused)
			continue
		}
		runtime := r.Dockerfile[strings.LastIndex(r.Dockerfile, "\nFROM "):]
		for _, w := range c.want {
			if !strings.Contains(runtime, w) {
				t.Errorf("%s: the runtime stage lacks %q:\n%s", c.name, w, r.Dockerfile)
			}
		}
		for _, u := range c.unwanted {
			if strings.Contains(r.Dockerfile, u) {
				t.Errorf("%s: the split holds %q:\n%s", c.name, u, r.Dockerfile)
			}
		}
	}
}

// Issue 19 items 2, 6 and 9: what the runtime stage needs comes along, what
// only the build needs does not.
func TestMultistageRuntimeStage(t *testing.T) {
	runSplitCases(t, []splitCase{
		{"a user created in the RUN that installs",
			"FROM python:3.12\nRUN pip install -r requirements.txt && useradd --create-home web\nUSER web\nCMD [\"python\", \"app.py\"]\n",
			[]string{"useradd --create-home web", "USER web"}, nil},
		{"uv run keeps uv, its environment and root",
			"FROM python:3.12\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nCOPY pyproject.toml uv.lock ./\nRUN uv sync --frozen --no-install-project\nCOPY . .\nCMD [\"uv\", \"run\", \"python\", \"-m\", \"app\"]\n",
			[]string{"COPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv", "UV_PROJECT_ENVIRONMENT=/opt/venv"}, []string{"USER app"}},
		{"uv pip-installed comes from the builder",
			"FROM python:3.12\nWORKDIR /app\nRUN pip install uv\nCOPY pyproject.toml uv.lock ./\nRUN uv sync\nCOPY . .\nCMD [\"uv\", \"run\", \"fastapi\", \"run\"]\n",
			[]string{"COPY --from=builder /usr/local/bin/uv /usr/local/bin/uv", "UV_PROJECT_ENVIRONMENT=/opt/venv"}, nil},
		{"poetry run is dropped: the venv is on the PATH",
			"FROM python:3.12\nRUN pip install poetry\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install --no-root\nCOPY . .\nCMD [\"poetry\", \"run\", \"uvicorn\", \"app:app\"]\n",
			[]string{`CMD ["uvicorn", "app:app"]`}, []string{"poetry\", \"run"}},
		{"the packaging tool stays out of the venv",
			"FROM python:3.12\nCOPY pyproject.toml poetry.lock ./\nRUN pip install \"poetry==$POETRY_VERSION\" && poetry install --no-root\nCMD [\"python\", \"app.py\"]\n",
			[]string{"COPY --from=builder /opt/venv /opt/venv"}, nil},
		{"the distro's interpreter",
			"FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y python3-pip python3-venv gcc && rm -rf /var/lib/apt/lists/*\nRUN pip3 install --break-system-packages -r requirements.txt\nCMD [\"python3\", \"app.py\"]\n",
			[]string{"apt-get install -y --no-install-recommends python3"}, []string{"--no-install-recommends python3-pip"}},
		{"no python-pip, no lone apt-get update in the runtime stage",
			"FROM debian:bookworm\nRUN apt-get update\nRUN apt-get install -y python3 python-pip python3-dev gcc\nRUN pip install -r requirements.txt\nCOPY . .\nCMD [\"python3\", \"app.py\"]\n",
			[]string{"apt-get install -y --no-install-recommends python3 \\"}, []string{"python-pip \\", "\nRUN apt-get update\nCOPY . ."}},
		{"pipenv installs into the venv, not the system",
			"FROM python:3.12\nRUN pip install pipenv\nCOPY Pipfile Pipfile.lock ./\nRUN pipenv install --system --deploy\nCMD [\"python\", \"app.py\"]\n",
			[]string{"COPY --from=builder /opt/venv /opt/venv"}, []string{"pipenv install --system"}},
	})
	// The tool's own install moves before the venv.
	r, err := Apply([]byte("FROM python:3.12\nCOPY pyproject.toml poetry.lock ./\nRUN pip install \"poetry==$POETRY_VERSION\" && poetry install --no-root\nCMD [\"python\", \"app.py\"]\n"), []string{"SG001"}, Options{Now: corpusNow})
	if err != nil || !strings.Contains(r.Dockerfile, "RUN pip install \"poetry==$POETRY_VERSION\"\nRUN python3 -m venv /opt/venv\n") {
		t.Errorf("the tool install is not before the venv: %v\n%s", err, r.Dockerfile)
	}
}

// uwsgi embeds the interpreter and links the distro's libpython3.X.so
// (Debian and Ubuntu build python3 with Py_ENABLE_SHARED), which python3
// does not depend on: a split on the distro's Python keeps it in the
// runtime stage (held-out set 5: 6r6/cddh, Ubuntu with nginx and uwsgi).
func TestMultistageDistroPythonUwsgiLibpython(t *testing.T) {
	src := "FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y python3-pip\nRUN pip3 install uwsgi flask\nCOPY . /app\nCMD [\"uwsgi\", \"--http\", \":8080\", \"--wsgi-file\", \"/app/app.py\"]\n"
	s, ok := suggestionOf(t, src, "SG001", nil)
	if !ok || !strings.Contains(s.Result, "--no-install-recommends python3 libpython3.10") {
		t.Errorf("SG001 on uwsgi over Ubuntu 22.04's python3 does not keep libpython3.10:\n%s", s.Result)
	}
	s, ok = suggestionOf(t, strings.Replace(src, "uwsgi flask", "gunicorn flask", 1), "SG001", nil)
	if !ok || strings.Contains(s.Result, "libpython") {
		t.Errorf("SG001 keeps libpython without uwsgi:\n%s", s.Result)
	}
}
