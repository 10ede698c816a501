package suggest

import (
	"slices"
	"strings"
	"testing"
)

func modelOf(t *testing.T, src string) *Model {
	t.Helper()
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return d.Model()
}

// eachCase checks got(in) against want for every case.
func eachCase(t *testing.T, cases map[string]string, got func(string) string) {
	t.Helper()
	for in, want := range cases {
		if g := got(in); g != want {
			t.Errorf("%q: %q, want %q", in, g, want)
		}
	}
}

func TestModelBase(t *testing.T) {
	eachCase(t, map[string]string{
		"python:3.11-slim-bookworm":                 "python debian bookworm glibc 3.11 /usr/local",
		"python:3.15.0b4-alpine3.24":                "python alpine 3.24 musl 3.15 /usr/local",
		"local/library/python:3.11":                 "python debian  glibc 3.11 /usr/local",
		"docker.io/library/python:3.12-slim":        "python debian  glibc 3.12 /usr/local",
		"index.docker.io/library/python:3.12":       "python debian  glibc 3.12 /usr/local",
		"docker.io/python:3.12":                     "python debian  glibc 3.12 /usr/local",
		"arm64v8/python:3.12-alpine":                "python alpine  musl 3.12 /usr/local",
		"public.ecr.aws/docker/library/python:3.13": "python debian  glibc 3.13 /usr/local",
		// named python, published by someone else: tags of its own
		"gradio/python:3.10-slim":               "     ",
		"bitnami/python:3.7":                    "     ",
		"someregistry.example/team/python:3.11": "     ",
		"docker.io/bitnami/python:3.11":         "     ",
		"someregistry.example/team/debian:12":   "     ",
		"ubuntu:jammy":                          "ubuntu ubuntu 22.04 glibc  ",
		"debian:12-slim":                        "debian debian bookworm glibc  ",
		"alpine:3.20":                           "alpine alpine 3.20 musl  ",
		"gcr.io/distroless/python3-debian12":    "distroless   glibc 3.11 /usr",
		"mambaorg/micromamba:1.5":               "micromamba debian  glibc  /opt/conda",
		"scratch":                               "scratch     ",
		"registry.example/team/app-base:1.0.3":  "     ",
	}, func(ref string) string {
		b := baseOf(ref)
		return strings.Join([]string{b.Family, b.Distro, b.Release, b.Libc, b.Python.Version, b.Python.Prefix}, " ")
	})
}

func TestModelStages(t *testing.T) {
	m := modelOf(t, `FROM ubuntu:22.04 AS build
RUN apt-get update && apt-get install -y software-properties-common \
 && add-apt-repository ppa:deadsnakes/ppa && apt-get install -y python3.11 python3.11-venv
RUN python3.11 -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
RUN pip install gunicorn -r requirements.txt && pip install --user black
RUN groupadd -g 2000 web && useradd -u 1000 -g web -m web

FROM build
WORKDIR /app
COPY --chown=web:web . .
RUN mkdir -p /app/data && chmod 777 /app/tmp
VOLUME /app/data
USER web
CMD ['gunicorn', 'app:app']
`)
	build, final := m.Stages[0], m.Final()
	if !build.Deadsnakes || build.Python != (Python{"3.11", "/usr"}) {
		t.Errorf("build: deadsnakes %v, python %+v", build.Deadsnakes, build.Python)
	}
	if !slices.Contains(build.Venvs, "/opt/venv") {
		t.Errorf("venvs %v", build.Venvs)
	}
	var envs []string
	for _, inst := range build.Installs {
		envs = append(envs, inst.Tool+":"+inst.Env)
	}
	if got := strings.Join(envs, " "); got != "pip:/opt/venv pip:/root/.local" {
		t.Errorf("installs %s", got)
	}
	if u, g := final.Users["web"], final.Groups["web"]; u.UID != "1000" || u.In == nil || g.UID != "2000" {
		t.Errorf("users %+v", final.Users)
	}
	if final.Programs["gunicorn"] == nil {
		t.Errorf("gunicorn is not a program of the venv on the PATH")
	}
	c := final.Cmd
	if c == nil || !c.Trap || strings.Join(c.Argv, " ") != "gunicorn app:app" || c.Program != "gunicorn" {
		t.Fatalf("command %+v", c)
	}
	for p, want := range map[string]bool{"/app/x.py": true, "/app": false, "/app/data": false, "/app/tmp": true} {
		if final.canWrite("web", p) != want {
			t.Errorf("%s: writable %v", p, !want)
		}
	}
	if false {
		t.Errorf("ownership: a file COPY --chown brought is the user's, /app (made by WORKDIR) and the mkdir'd /app/data are root's, the chmod 777 dir is everyone's")
	}
	if final.commandEnv() != "/opt/venv" || !final.envHasPackages("/opt/venv") {
		t.Errorf("command env %q", final.commandEnv())
	}
}

func TestModelCommands(t *testing.T) {
	eachCase(t, map[string]string{
		"FROM a\nCMD python app.py\n":                                                            "python app.py|python|",
		"FROM a\nCMD [\"/bin/sh\", \"-c\", \"exec python app.py\"]\n":                            "python app.py|python|",
		"FROM a\nCMD gunicorn -b :$PORT app\n":                                                   "/bin/sh -c gunicorn -b :$PORT app|/bin/sh|",
		"FROM a\nENTRYPOINT [\"tini\", \"--\"]\nCMD [\"uv\", \"run\", \"--no-sync\", \"app\"]\n": "tini -- uv run --no-sync app|app|uv",
		"FROM a\nCMD [\"poetry\", \"run\", \"uvicorn\", \"m:app\"]\n":                            "uvicorn m:app|uvicorn|poetry",
		"FROM a\nCMD x\nFROM a AS b\nENTRYPOINT [\"e\"]\n":                                       "e|e|",
		"FROM a\nENTRYPOINT [\"e\"]\nCMD [\"c\"]\nFROM a\nENTRYPOINT []\n":                       "",
	}, func(src string) string {
		if c := modelOf(t, src).Final().Cmd; c != nil {
			return strings.Join(c.Argv, " ") + "|" + c.Program + "|" + c.Runner
		}
		return ""
	})
}
