package suggest

import (
	"strings"
	"testing"
)

// The cases of hadolint's rule specs where hadolint was right (issue 19,
// "Against a peer's own test suite"): slimpy proposes (or not) what
// hadolint reports (or not).
func TestHadolintAgreement(t *testing.T) {
	for _, c := range []struct {
		src  string
		id   string
		want bool // a suggestion of that kind, fix or advice
	}{
		// DL3013: option values are not packages; a local path is no
		// requirement; an unpinned VCS requirement is unpinned; pipx too.
		{"FROM python:3.12\nRUN pip install --no-cache-dir --root-user-action ignore poetry==1.8.5\n", "SG202", false},
		{"FROM python:3.12\nRUN pip install --exists-action i poetry==1.8.5\n", "SG202", false},
		{"FROM python:3.12\nRUN pip install --root-user-action=ignore mypkg\n", "SG202", true},
		{"FROM python:3.12\nRUN pip install foo/bar\n", "SG202", false},
		{"FROM python:3.12\nRUN pip install git+https://github.com/rtfd/read-ext.git#egg=read-ext\n", "SG202", true},
		{"FROM python:3.12\nRUN pip install git+ssh://git@github.com/rtfd/r-ext.git@0.6-alpha#egg=r-ext\n", "SG202", false},
		{"FROM python:3.12\nRUN pip2 install MySQL_python\n", "SG202", true},
		{"FROM python:3.12\nRUN pipx install black\n", "SG202", true},
		{"FROM python:3.12\nRUN pipx install --python \"$(which python)\" \"poetry==1.8.5\"\n", "SG202", false},
		// DL3042: pip2; PIP_NO_CACHE_DIR as a prefix or exported; tmpfs.
		{"FROM python:3.12\nRUN pip2 install MySQL_python==1.2.2\n", "SG201", true},
		{"FROM python:3.12\nRUN PIP_NO_CACHE_DIR=1 pip install MySQL_python==1.2.2\n", "SG201", false},
		{"FROM python:3.12\nRUN export PIP_NO_CACHE_DIR=1 && pip install MySQL_python==1.2.2\n", "SG201", false},
		{"FROM python:3.12\nRUN --mount=type=tmpfs,target=/root/.cache/pip pip install foobar==1\n", "SG201", false},
		{"FROM python:3.12\nRUN pipx install software\n", "SG201", false},
		// DL3009: aptitude update fills the lists too; tmpfs mounts.
		{"FROM debian:12\nRUN aptitude update && aptitude install python\n", "SG103", true},
		{"FROM debian:12\nRUN --mount=type=tmpfs,target=/var/lib/apt/lists apt-get update && apt-get install -y x\n", "SG103", false},
		// DL3019: tmpfs mount of apk's cache.
		{"FROM alpine:3.20\nRUN --mount=type=tmpfs,target=/var/cache/apk apk add -U curl=7.77.0\n", "SG105", false},
		// DL3002: USER root said as such (TestNonRootUserKinds).
		{"FROM debian:12\nUSER root\nCMD [\"bash\"]\n", "SG401", true},
		{"FROM debian:12\nUSER root\nRUN x\nUSER foo\nCMD [\"bash\"]\n", "SG401", false},
	} {
		ss, err := Suggest([]byte(c.src), Options{Now: corpusNow})
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		got := false
		for _, s := range ss {
			got = got || s.ID == c.id
		}
		if got != c.want {
			t.Errorf("%q: %s proposed %v, want %v", c.src, c.id, got, c.want)
		}
	}
}

// Any ONBUILD line rejected the whole file (exit 2). Its trigger is kept
// as text and never run or rewritten: it runs in the images built on this
// one.
func TestOnbuildIsAccepted(t *testing.T) {
	src := "FROM python:3.12\nONBUILD COPY . /app\nONBUILD RUN pip install -r /app/requirements.txt\nRUN pip install flask==3.0.3\nCMD [\"python\"]\n"
	d, err := Parse([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if in := d.Final().Instrs[1]; in.OnBuild != "RUN" || in.Args[0] != "RUN pip install -r /app/requirements.txt" {
		t.Errorf("ONBUILD: %q %q", in.OnBuild, in.Args)
	}
	r, err := Apply([]byte(src), []string{"all"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Dockerfile, "ONBUILD RUN pip install -r /app/requirements.txt\n") {
		t.Errorf("the trigger changed:\n%s", r.Dockerfile)
	}
}
