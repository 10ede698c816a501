package suggest

import (
	"strings"
	"testing"
)

// The breakages the review of the corpus goldens against their expect.md
// found in the multistage split, each in its general form.
func TestMultistageReviewFindings(t *testing.T) {
	runSplitCases(t, []splitCase{
		{"a user the moved RUN creates is created once (user-created-in-builder-only, django-collectstatic-chown)",
			"FROM python:3.12-slim\nRUN apt-get update && apt-get install -y gcc libpq-dev && pip install psycopg2==2.9.9 && useradd --create-home web\nWORKDIR /app\nCOPY . .\nRUN python manage.py collectstatic --noinput\nRUN useradd --create-home shop && chown -R shop /app\nUSER shop\nCMD [\"gunicorn\", \"app:app\"]\n",
			[]string{"useradd --create-home web", "RUN useradd --create-home shop && chown -R shop /app"}, nil},
		{"a prefixed apt install gets its update (debian-frontend-prefix)",
			"FROM ubuntu:24.04\nRUN apt update && DEBIAN_FRONTEND=noninteractive apt install -y tzdata python3 python3-venv gcc\nRUN python3 -m venv /opt/venv && /opt/venv/bin/pip install -r requirements.txt\nCMD [\"/opt/venv/bin/python\", \"app.py\"]\n",
			[]string{"RUN apt update \\\n && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tzdata python3 \\\n && rm -rf /var/lib/apt/lists/*"}, nil},
		{"no update without an install after it (alpine-virtual-build-deps, celery-worker-alpine)",
			"FROM python:3.12-slim\nRUN apt-get update && apt-get install -y --no-install-recommends libxml2 && rm -rf /var/lib/apt/lists/*\nRUN set -ex && apt-get update && apt-get install -y --no-install-recommends gcc libxml2-dev && pip install lxml && apt-get purge -y gcc libxml2-dev\nCMD [\"python\", \"app.py\"]\n",
			[]string{"RUN apt-get update \\\n && apt-get install -y --no-install-recommends libxml2 \\\n && rm -rf /var/lib/apt/lists/*"}, []string{"&& set -ex \\\n && apt-get update"}},
		{"trixie's name of a runtime library (lone-apt-update-run)",
			"FROM python:3.11\nRUN apt-get update && apt-get install -y libgeos-dev libssl-dev libhdf5-dev\nRUN pip install shapely==2.0.5\nCMD [\"python\", \"app.py\"]\n",
			[]string{"libgeos-c1t64", "libssl3t64", "libhdf5-dev"}, []string{"libgeos-c1v5", "libssl3 "}},
		{"what the builder downloads for the app comes along (no-recommends-https-fetch)",
			"FROM ubuntu:22.04\nRUN apt-get update && apt-get install -y git wget python3-pip\nRUN git clone https://example.invalid/model.git /opt/model\nRUN wget -q https://example.invalid/w.npz -O /opt/model/weights.npz\nRUN curl -o /tmp/x.tgz https://example.invalid/x.tgz\nRUN pip3 install -r /opt/model/requirements.txt\nCMD [\"python3\", \"/opt/model/run.py\"]\n",
			[]string{"COPY --from=builder /opt/model /opt/model\n"}, []string{"COPY --from=builder /opt/model/weights.npz", "COPY --from=builder /tmp"}},
		{"curl installed first where the runtime moves to -slim (nodesource-repo-split)",
			"FROM python:3.11\nRUN apt-get update\nRUN curl -fsSL https://deb.nodesource.com/setup_20.x | bash -\nRUN apt-get install -y nodejs\nRUN pip install -r requirements.txt\nCMD [\"python\", \"rest.py\"]\n",
			[]string{"RUN apt-get update \\\n && apt-get install -y --no-install-recommends curl ca-certificates \\\n && curl -fsSL https://deb.nodesource.com/setup_20.x | bash - \\\n"}, nil},
		{"poetry's in-project venv the CMD runs from stays at its path (eol-stretch)",
			"FROM python:3.11\nENV POETRY_VIRTUALENVS_IN_PROJECT=true\nRUN pip install poetry==1.8.3\nWORKDIR /gateway\nCOPY pyproject.toml poetry.lock ./\nRUN poetry install --only main\nCOPY . .\nCMD [\".venv/bin/gunicorn\", \"app:app\"]\n",
			[]string{"COPY --from=builder /gateway/.venv /gateway/.venv\n"}, []string{"/opt/venv", "POETRY_VIRTUALENVS_CREATE=false"}},
		{"bookworm's names on a bookworm runtime",
			"FROM python:3.11-bookworm\nRUN apt-get update && apt-get install -y libgeos-dev\nRUN pip install shapely==2.0.5\nCMD [\"python\", \"app.py\"]\n",
			[]string{"libgeos-c1v5"}, nil},
	})
	// The builder has the project setup.py installs (setup-py-install).
	for _, src := range []string{
		"FROM python:3.9\nADD . /opt/etl\nWORKDIR /opt/etl\nRUN python setup.py install\nCMD [\"etl-runner\"]\n",
		"FROM python:3.11-alpine\nRUN apk add --no-cache gcc musl-dev\nCOPY . /src\nWORKDIR /src\nRUN python setup.py install --user\nENTRYPOINT [\"python\", \"entry.py\"]\n",
	} {
		r, err := Apply([]byte(src), []string{"SG001"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatal(err)
		}
		builder := r.Dockerfile[:strings.LastIndex(r.Dockerfile, "\nFROM ")]
		if !strings.Contains(builder, " . /") || strings.Index(builder, " . /") > strings.Index(builder, "setup.py install") {
			t.Errorf("the builder installs setup.py without the project copied before it:\n%s", r.Dockerfile)
		}
	}
}

func TestRuntimeNameByRelease(t *testing.T) {
	for _, c := range []struct {
		dev, distro, release, want string
		known                      bool
	}{
		{"libssl-dev", "debian", "bookworm", "libssl3", true},
		{"libssl-dev", "debian", "trixie", "libssl3t64", true},
		{"libpq-dev", "debian", "trixie", "libpq5", true},
		{"libffi-dev", "debian", "bullseye", "libffi7", true},
		{"libgdal-dev", "debian", "trixie", "", false},
		{"libjpeg-dev", "ubuntu", "22.04", "libjpeg-turbo8", true},
		{"libssl-dev", "ubuntu", "24.04", "libssl3t64", true},
		{"libgeos-dev", "ubuntu", "22.04", "", false},
	} {
		got, known := runtimeName(c.dev, c.distro, c.release)
		if got != c.want || known != c.known {
			t.Errorf("runtimeName(%s, %s %s) = %q, %v; want %q, %v", c.dev, c.distro, c.release, got, known, c.want, c.known)
		}
	}
}
