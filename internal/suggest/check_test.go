package suggest

import (
	"strings"
	"testing"
)

// problemsOf runs the safety check on the rewrite of before into after.
func problemsOf(t *testing.T, before, after string) []Problem {
	t.Helper()
	bd, err := Parse([]byte(before))
	if err != nil {
		t.Fatalf("before: %v", err)
	}
	ps, err := checkRewrite(bd, []byte(after), corpusNow)
	if err != nil {
		t.Fatalf("after: %v", err)
	}
	return ps
}

// checkCase is a rewrite the check named must reject (with a message
// holding want), or let pass (want == "").
type checkCase struct {
	name          string
	before, after string
	want          string
}

func runCheckCases(t *testing.T, check string, cases []checkCase) {
	t.Helper()
	for _, c := range cases {
		ps := problemsOf(t, c.before, c.after)
		var got []string
		for _, p := range ps {
			if p.Check == check {
				got = append(got, p.Msg)
			}
		}
		switch {
		case c.want == "" && len(got) > 0:
			t.Errorf("%s: %s rejects a safe rewrite: %q", c.name, check, got)
		case c.want != "" && !strings.Contains(strings.Join(got, "\n"), c.want):
			t.Errorf("%s: %s says %q, want a problem with %q (all: %v)", c.name, check, got, c.want, ps)
		}
	}
}

func TestCheckUserExists(t *testing.T) {
	single := "FROM python:3.12-slim\nRUN useradd web && pip install flask\nUSER web\nCMD [\"flask\", \"run\"]\n"
	runCheckCases(t, checkUser, []checkCase{
		{"useradd left in the builder", single,
			"FROM python:3.12-slim AS builder\nRUN useradd web && pip install flask\nFROM python:3.12-slim\nUSER web\nCMD [\"flask\", \"run\"]\n",
			"no user web exists in the final stage"},
		{"an unknown base lacks a user the file creates elsewhere",
			"FROM corp/base:1\nRUN useradd web\nUSER web\n",
			"FROM corp/base:1 AS builder\nRUN useradd web\nFROM corp/base:1\nUSER web\n", "no user web"},
		{"chown to a group before it exists",
			"FROM debian:12\nRUN useradd -M web\nCOPY a /a\nRUN chown -R web:web /a\n",
			"FROM debian:12\nCOPY --chown=web:web a /a\nRUN useradd -M web\n", "no user web"},
		{"both in the runtime stage", single,
			"FROM python:3.12-slim AS builder\nRUN pip install flask\nFROM python:3.12-slim\nRUN useradd web\nUSER web\nCMD [\"flask\", \"run\"]\n", ""},
		{"created earlier in the same RUN",
			"FROM debian:12\nRUN useradd web\nRUN chown web /srv\n", "FROM debian:12\nRUN useradd web && chown web /srv\n", ""},
		{"numeric uid", "FROM debian:12\n", "FROM debian:12\nUSER 10001\n", ""},
		{"a user of the base image", "FROM debian:12\n", "FROM debian:12\nUSER nobody\n", ""},
		{"useradd of a user the stage has (found in the corpus: the split's runtime RUN and the moved RUN both created web)", single,
			"FROM python:3.12-slim AS builder\nRUN useradd web && pip install flask\nFROM python:3.12-slim\nRUN useradd web && useradd web\nUSER web\nCMD [\"flask\", \"run\"]\n",
			"user web is created again where it exists"},
		{"useradd under a base that runs as nonroot (base-runs-as-nonroot)", "FROM cgr.dev/chainguard/python:latest-dev\nCMD [\"python\"]\n",
			"FROM cgr.dev/chainguard/python:latest-dev\nRUN useradd app\nUSER app\nCMD [\"python\"]\n", "useradd runs as nonroot, which cannot"},
		{"apt-get after USER jovyan", "FROM python:3.12-slim\nRUN useradd jovyan\nUSER jovyan\nRUN pip install --user x\n",
			"FROM python:3.12-slim\nRUN useradd jovyan\nUSER jovyan\nRUN pip install --user x && apt-get install -y y\n", "apt-get runs as jovyan"},
		{"groupadd of a base's group", "FROM debian:12\n", "FROM debian:12\nRUN groupadd staff\n", "group staff is created again"},
		{"groupadd -f and useradd in an || list may meet an existing one", "FROM debian:12\n",
			"FROM debian:12\nRUN groupadd -f staff && (id web || useradd web)\nRUN id web || useradd web\n", ""},
	})
}

func TestCheckCopyFromSource(t *testing.T) {
	before := "FROM python:3.6 AS builder\nRUN pip install -r requirements.txt\nFROM python:3.6-slim\nCOPY --from=builder /usr/local/lib/python3.6/site-packages /usr/local/lib/python3.6/site-packages\n"
	runCheckCases(t, checkCopyFrom, []checkCase{
		{"a bump that leaves python3.6 paths", before,
			"FROM python:3.11 AS builder\nRUN pip install -r requirements.txt\nFROM python:3.11-slim\nCOPY --from=builder /usr/local/lib/python3.6/site-packages /usr/local/lib/python3.6/site-packages\n",
			"stage builder has no /usr/local/lib/python3.6/site-packages"},
		{"a venv nobody made", "FROM python:3.12\nRUN pip install x\n",
			"FROM python:3.12 AS builder\nRUN pip install x\nFROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\n", "stage builder has no /opt/venv"},
		{"the paths follow the bump", before,
			"FROM python:3.11 AS builder\nRUN pip install -r requirements.txt\nFROM python:3.11-slim\nCOPY --from=builder /usr/local/lib/python3.11/site-packages /usr/local/lib/python3.11/site-packages\n", ""},
	})
}

func TestCheckSameLibcAndPython(t *testing.T) {
	before := "FROM python:3.11-alpine\nRUN pip install x\nCMD [\"python\", \"app.py\"]\n"
	runCheckCases(t, checkABI, []checkCase{
		{"a glibc venv in a musl runtime", before,
			"FROM python:3.11-slim AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install x\nFROM python:3.11-alpine\nCOPY --from=builder /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nCMD [\"python\", \"app.py\"]\n",
			"built against glibc into a musl image"},
		{"another Python minor", before,
			"FROM python:3.12-slim AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install x\nFROM python:3.11-slim\nCOPY --from=builder /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nCMD [\"python\", \"app.py\"]\n",
			"packages of Python 3.12 into an image whose Python is 3.11"},
		{"a runtime without Python", "FROM ubuntu:24.04\nRUN apt-get install -y python3-pip gcc && pip3 install x\n",
			"FROM ubuntu:24.04 AS builder\nRUN apt-get install -y python3-pip python3-venv gcc && python3 -m venv /opt/venv && /opt/venv/bin/pip install x\nFROM ubuntu:24.04\nCOPY --from=builder /opt/venv /opt/venv\n",
			"which has no Python"},
		{"a venv moved", before,
			"FROM python:3.11-slim AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install x\nFROM python:3.11-slim\nCOPY --from=builder /opt/venv /venv\nENV PATH=/venv/bin:$PATH\nCMD [\"python\", \"app.py\"]\n",
			"a venv cannot be moved"},
		{"same libc and minor", before,
			"FROM python:3.11-alpine AS builder\nRUN python -m venv /opt/venv && /opt/venv/bin/pip install x\nFROM python:3.11-alpine\nCOPY --from=builder /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nCMD [\"python\", \"app.py\"]\n", ""},
	})
}

func TestCheckAppCanWrite(t *testing.T) {
	runCheckCases(t, checkWritable, []checkCase{
		{"a VOLUME owned by root", "FROM python:3.12-slim\nVOLUME /data\nCMD [\"python\", \"app.py\"]\n",
			"FROM python:3.12-slim\nVOLUME /data\nRUN useradd app\nUSER app\nCMD [\"python\", \"app.py\"]\n", "VOLUME /data"},
		{"a data directory made with mkdir", "FROM python:3.12-slim\nRUN mkdir -p /srv/data\nCMD [\"python\", \"app.py\"]\n",
			"FROM python:3.12-slim\nRUN mkdir -p /srv/data\nRUN useradd app\nUSER app\nCMD [\"python\", \"app.py\"]\n", "/srv/data"},
		{"SQLite made at build time", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN python manage.py migrate\nCMD [\"python\", \"manage.py\", \"runserver\"]\n",
			"FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN python manage.py migrate\nRUN useradd app\nUSER app\nCMD [\"python\", \"manage.py\", \"runserver\"]\n", "SQLite"},
		{"pip --user into root's home", "FROM python:3.12\nRUN pip install --user flask\nCMD [\"python\", \"app.py\"]\n",
			"FROM python:3.12\nRUN pip install --user flask\nRUN useradd app\nUSER app\nCMD [\"python\", \"app.py\"]\n", "root's home"},
		{"conda activated from root's .bashrc", "FROM continuumio/miniconda3\nRUN conda init bash && echo 'conda activate app' >> ~/.bashrc\nSHELL [\"/bin/bash\", \"--login\", \"-c\"]\nCMD python app.py\n",
			"FROM continuumio/miniconda3\nRUN conda init bash && echo 'conda activate app' >> ~/.bashrc\nSHELL [\"/bin/bash\", \"--login\", \"-c\"]\nRUN useradd app\nUSER app\nCMD python app.py\n", "root's shell startup file"},
		{"the data directory chowned", "FROM python:3.12-slim\nVOLUME /data\n",
			"FROM python:3.12-slim\nRUN useradd app && mkdir -p /data && chown app /data\nVOLUME /data\nUSER app\n", ""},
		{"COPY --chown keeps the owner of a directory that was there", "FROM python:3.12-slim\nRUN mkdir -p /app/media && useradd app && chown -R app /app\nCOPY . /app\n",
			"FROM python:3.12-slim\nRUN mkdir -p /app/media && useradd app && chown -R app /app\nCOPY . /app\nUSER app\n", ""},
	})
}

func TestCheckExecFormArgv(t *testing.T) {
	runCheckCases(t, checkArgv, []checkCase{
		{"the single-quote trap", "FROM python:3.12\nCMD ['python', 'app.py']\n", "FROM python:3.12\nCMD [\"[python,\", \"app.py]\"]\n",
			`instead of ["python", "app.py"]`},
		{"a CMD after an exec-form ENTRYPOINT", "FROM python:3.12\nENTRYPOINT [\"python\"]\nCMD app.py\n", "FROM python:3.12\nENTRYPOINT [\"python\"]\nCMD [\"app.py\"]\n",
			"instead of"},
		{"the trap fixed", "FROM python:3.12\nCMD ['python', 'app.py']\n", "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n", ""},
		{"shell form to exec form", "FROM python:3.12\nCMD python app.py\n", "FROM python:3.12\nCMD [\"python\", \"app.py\"]\n", ""},
		{"expansions kept in sh -c", "FROM python:3.12\nCMD gunicorn -b 0.0.0.0:$PORT app:app\n", "FROM python:3.12\nCMD [\"/bin/sh\", \"-c\", \"exec gunicorn -b 0.0.0.0:$PORT app:app\"]\n", ""},
	})
}

func TestCheckMergedRunStatus(t *testing.T) {
	runCheckCases(t, checkStatus, []checkCase{
		{"an || list", "FROM debian:12\nRUN a || b\nRUN c || true\n", "FROM debian:12\nRUN a || b && c || true\n", "an || list"},
		{"a ; list", "FROM debian:12\nRUN a\nRUN b; c\n", "FROM debian:12\nRUN a && b; c\n", "list"},
		{"a cd carried on", "FROM debian:12\nRUN cd /tmp && make\nRUN ls\n", "FROM debian:12\nRUN cd /tmp && make && ls\n", "cd, export"},
		{"plain && chains", "FROM debian:12\nRUN a && b\nRUN c\n", "FROM debian:12\nRUN a && b && c\n", ""},
		{"the same command in two RUNs is no merge", "FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get install -y b || true\n",
			"FROM debian:12\nRUN apt-get update && apt-get install -y a\nRUN apt-get update && apt-get upgrade -y && apt-get install -y b || true\n", ""},
	})
}

func TestCheckBaseTag(t *testing.T) {
	runCheckCases(t, checkTag, []checkCase{
		{"a pre-release spelled with a dash", "FROM python:3.15.0b4-alpine\n", "FROM python:3.15.0-b4-slim\n", "not released yet"},
		{"an Alpine release the python image is no longer built on", "FROM python:3.11-alpine3.17\n", "FROM python:3.11-alpine3.21\n", "Alpine 3.23 and 3.24 only"},
		{"an Ubuntu bump without the distro Python", "FROM ubuntu:20.04\nRUN apt-get install -y python3.8\n", "FROM ubuntu:22.04\nRUN apt-get install -y python3.8\n", "does not have"},
		{"a pre-release spelled right", "FROM python:3.15.0b4-alpine\n", "FROM python:3.15.0b4-slim\n", ""},
		{"a stale base made no worse", "FROM python:3.9\n", "FROM python:3.9 AS builder\nFROM python:3.9-slim\n", ""},
		{"deadsnakes has it", "FROM ubuntu:20.04\nRUN add-apt-repository ppa:deadsnakes/ppa && apt-get install -y python3.11\n",
			"FROM ubuntu:22.04\nRUN add-apt-repository ppa:deadsnakes/ppa && apt-get install -y python3.11\n", ""},
	})
}

func TestCheckCommandNeeds(t *testing.T) {
	uv := "FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nRUN uv sync --frozen\nCMD [\"uv\", \"run\", \"python\", \"-m\", \"app\"]\n"
	runCheckCases(t, checkCommand, []checkCase{
		{"uv left in the builder", uv,
			"FROM python:3.12-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nRUN uv sync --frozen\nFROM python:3.12-slim\nWORKDIR /app\nCOPY --from=builder /app/.venv /app/.venv\nCMD [\"uv\", \"run\", \"python\", \"-m\", \"app\"]\n",
			"runs uv, which the final stage no longer has"},
		{"the environment moved without UV_PROJECT_ENVIRONMENT", uv,
			"FROM python:3.12-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\nRUN uv sync --frozen\nFROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nCOPY --from=builder /opt/venv /opt/venv\nCMD [\"uv\", \"run\", \"python\", \"-m\", \"app\"]\n",
			"runs in /app/.venv, which holds none of the packages"},
		{"a console script installed by name", "FROM python:3.12\nRUN pip install gunicorn\nCMD [\"gunicorn\", \"app:app\"]\n",
			"FROM python:3.12 AS builder\nRUN pip install gunicorn\nFROM python:3.12-slim\nCMD [\"gunicorn\", \"app:app\"]\n", "runs gunicorn"},
		{"the venv comes along", "FROM python:3.12\nRUN pip install gunicorn\nCMD [\"gunicorn\", \"app:app\"]\n",
			"FROM python:3.12 AS builder\nRUN python -m venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nRUN pip install gunicorn\nFROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\nENV PATH=/opt/venv/bin:$PATH\nCMD [\"gunicorn\", \"app:app\"]\n", ""},
		{"uv and its environment come along", uv,
			"FROM python:3.12-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nWORKDIR /app\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\nRUN uv sync --frozen\nFROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.4.20 /uv /bin/uv\nENV UV_PROJECT_ENVIRONMENT=/opt/venv\nWORKDIR /app\nCOPY --from=builder /opt/venv /opt/venv\nCMD [\"uv\", \"run\", \"python\", \"-m\", \"app\"]\n", ""},
	})
}

// Every check has a test above that rejects a rewrite.
func TestEveryCheckIsPinned(t *testing.T) {
	pinned := map[string]bool{checkUser: true, checkCopyFrom: true, checkABI: true, checkWritable: true, checkArgv: true, checkStatus: true, checkTag: true, checkCommand: true}
	for _, c := range CheckNames {
		if !pinned[c] {
			t.Errorf("check %s has no test", c)
		}
	}
}
