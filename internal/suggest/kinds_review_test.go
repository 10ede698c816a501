package suggest

import (
	"slices"
	"strings"
	"testing"
)

// suggestionOf is the suggestion id for src with the build context ctx
// (file name → content); ok is false when there is none.
func suggestionOf(t *testing.T, src, id string, ctx map[string]string) (Suggestion, bool) {
	t.Helper()
	ss, err := Suggest([]byte(src), Options{Now: corpusNow, ContextFile: func(n string) (string, bool) { s, ok := ctx[n]; return s, ok }})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.ID == id {
			return s, true
		}
	}
	return Suggestion{}, false
}

// Where a USER would break the image, SG401 is advice that says why
// (found reviewing the corpus: interpreter-image-cmd-python3,
// onbuild-trigger-pip, numpy-pinned-old-python, entrypoint-pip-extra-packages).
func TestNonRootAdviceWhereRootIsNeeded(t *testing.T) {
	script := "#!/bin/sh\nset -e\nif [ -n \"$EXTRA\" ]; then pip3 install $EXTRA; fi\nexec \"$@\"\n"
	for _, c := range []struct {
		name, src string
		ctx       map[string]string
		want      string
	}{
		{"a bare interpreter CMD", "FROM debian:trixie-slim\nRUN apt-get update && apt-get install -y python3\nCMD [\"python3\"]\n", nil,
			"CMD only starts python3: this looks like a base image for others"},
		{"ONBUILD triggers", "FROM python:3.12-slim\nWORKDIR /src\nONBUILD COPY . /src\nONBUILD RUN pip install -r requirements.txt\nCMD [\"python\", \"main.py\"]\n", nil,
			"ONBUILD triggers run in the images built on it"},
		{"--allow-root", "FROM python:3.8-slim\nRUN pip install notebook==6.4.12\nCMD [\"jupyter\", \"notebook\", \"--allow-root\"]\n", nil,
			"the command is told to run as root (--allow-root)"},
		{"an entrypoint script that pip installs at start", "FROM python:3.11-slim\nRUN pip install flask==3.0.3\nCOPY docker-entrypoint.sh /\nENTRYPOINT [\"/docker-entrypoint.sh\"]\nCMD [\"python\", \"app.py\"]\n",
			map[string]string{"docker-entrypoint.sh": script}, "docker-entrypoint.sh: it runs pip3 install when the container starts"},
		{"one in a whole-context COPY", "FROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nRUN pip install flask==3.0.3\nENTRYPOINT [\"./entrypoint.sh\"]\n",
			map[string]string{"entrypoint.sh": "#!/bin/sh\napt-get update && apt-get install -y $PKGS\nexec \"$@\"\n"}, "entrypoint.sh: it runs apt-get when the container starts"},
	} {
		s, ok := suggestionOf(t, c.src, "SG401", c.ctx)
		if !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), c.want) {
			t.Errorf("%s: SG401 %v fixable %v advice %q, want advice with %q", c.name, ok, s.Fixable(), s.Advice, c.want)
		}
	}
	// an entrypoint script that installs nothing does not need root
	s, ok := suggestionOf(t, "FROM python:3.11-slim\nRUN pip install flask==3.0.3\nCOPY start.sh /\nENTRYPOINT [\"/start.sh\"]\n",
		"SG401", map[string]string{"start.sh": "#!/bin/sh\nalembic upgrade head\nexec \"$@\"\n"})
	if !ok || !s.Fixable() {
		t.Errorf("SG401 not offered for an entrypoint script that needs no root: %+v", s)
	}
}

// The split is for applications: not for a base image its children may
// compile in (builder-image-no-cmd), nor for a file whose only install
// upgrades pip (pip-upgrade-only-lowercase); the packaging tool stays out
// of the venv also after a ";" (semicolon-chains).
func TestMultistageOnlyForApplications(t *testing.T) {
	s, ok := suggestionOf(t, "FROM python:3.13-slim\nRUN apt-get update && apt-get install -y build-essential\nRUN python -m venv .venv && .venv/bin/pip install -r requirements.txt\n", "SG001", nil)
	if !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), "may need the build tools it installs") {
		t.Errorf("a base image is split: %+v", s)
	}
	if s, ok := suggestionOf(t, "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y python3-pip python3-dev build-essential\nRUN pip3 install --break-system-packages --upgrade pip\nCMD [\"python3\", \"hello.py\"]\n", "SG001", nil); ok {
		t.Errorf("a split with only pip to move:\n%s", s.Diff)
	}
	r, err := Apply([]byte("FROM python:3.10\nCOPY pyproject.toml poetry.lock ./\nRUN pip install poetry==1.8.3 ; poetry config virtualenvs.create false ; poetry install --no-root\nCMD [\"gunicorn\", \"app:app\"]\n"), []string{"SG001"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Dockerfile, "RUN pip install poetry==1.8.3\nRUN python3 -m venv /opt/venv\n") {
		t.Errorf("poetry is installed into the venv:\n%s", r.Dockerfile)
	}
}

// SG103 leaves the lists where a later RUN installs from them
// (apt-update-split, debian-scipy, lone-apt-update-run: the install failed
// with "Unable to locate package").
func TestAptListsStayForALaterInstall(t *testing.T) {
	if s, ok := suggestionOf(t, "FROM debian:12\nRUN apt-get update\nRUN apt-get install -y ffmpeg\nCMD [\"ffmpeg\"]\n", "SG103", nil); ok {
		t.Errorf("SG103 removes the lists a later install needs:\n%s", s.Diff)
	}
	s, ok := suggestionOf(t, "FROM debian:12\nRUN apt-get update && apt-get install -y curl\nRUN apt-get update && apt-get install -y ffmpeg\nCMD [\"ffmpeg\"]\n", "SG103", nil)
	if !ok || !strings.Contains(s.Result, "install -y curl && rm -rf /var/lib/apt/lists/*\n") {
		t.Errorf("SG103 should clean a RUN whose lists no later RUN uses: %+v", s)
	}
}

// An editable install points at its source: SG204 does not take it away
// with a bind mount (parent-stage-volume-port: the plugin was not
// importable).
func TestWheelsMountNotForEditable(t *testing.T) {
	for _, run := range []string{"RUN pip install --no-cache-dir --editable plugin-src/", "RUN pip install -e ./plugin-src"} {
		if s, ok := suggestionOf(t, "FROM python:3.12-slim\nWORKDIR /opt/acme\nCOPY plugin/ plugin-src/\n"+run+"\nCMD [\"acme\"]\n", "SG204", nil); ok {
			t.Errorf("%s: SG204 mounts an editable install's source:\n%s", run, s.Diff)
		}
	}
	if _, ok := suggestionOf(t, "FROM python:3.12-slim\nWORKDIR /opt/acme\nCOPY plugin/ plugin-src/\nRUN pip install --no-cache-dir plugin-src/\nCMD [\"acme\"]\n", "SG204", nil); !ok {
		t.Error("SG204 not offered for a plain install of a copied directory")
	}
}

// SG010 does not move a dead Python to the -slim of a Debian whose
// packages left the mirrors (python2-alpine-app: python:2.7-slim is
// buster, whose apt-get update fails).
func TestAlpineToDebianNotOntoAnArchivedDebian(t *testing.T) {
	s, ok := suggestionOf(t, "FROM python:2.7-alpine\nRUN apk add --update gcc musl-dev\nRUN pip install -r requirements.txt\nCMD python app.py\n", "SG010", nil)
	if !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), "python:2.7-slim was last built on Debian buster, whose support ended 2024-06-30") {
		t.Errorf("SG010: %+v", s)
	}
	if s, ok := suggestionOf(t, "FROM python:3.8-alpine\nRUN apk add --update gcc musl-dev\nRUN pip install -r requirements.txt\nCMD python app.py\n", "SG010", nil); !ok || !s.Fixable() {
		t.Errorf("SG010 refused for python 3.8, whose last Debian (bookworm) is supported: %+v", s)
	}
}

// busybox adduser makes the home unless -H (alpine-busybox-adduser-wget:
// /data was left to root).
func TestBusyboxAdduserKeepsItsHome(t *testing.T) {
	for src, want := range map[string]string{
		"adduser -S -u 9898 -G pkgs -h /data pkgs": "useradd --no-log-init --system --create-home --uid 9898 --gid pkgs --home-dir /data pkgs",
		"adduser -D app":           "useradd --no-log-init --create-home app",
		"adduser -S -H -G app app": "useradd --no-log-init --system --gid app app",
	} {
		d, err := Parse([]byte("FROM alpine:3.20\nRUN " + src + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if got := debianUserCmd(d.Stages[0].Instrs[0].calls()[0]); got != want {
			t.Errorf("%s → %q, want %q", src, got, want)
		}
	}
}

// COPY --chown leaves a directory that was there before the COPY to its
// owner: SG301 keeps a chown of that directory alone (django-chown: /app,
// made by WORKDIR, stayed root's and the app could not create files in it).
func TestCopyChownKeepsTheDirectoryOwner(t *testing.T) {
	r, err := Apply([]byte("FROM python:3.12-slim\nRUN useradd -m django\nWORKDIR /app\nCOPY . /app/\nRUN chown -R django:django /app\nUSER django\nCMD [\"python\", \"app.py\"]\n"), []string{"SG301"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Dockerfile, "COPY --chown=django:django . /app/\nRUN chown django:django /app\n") { // USER django follows
		t.Errorf("SG301:\n%s", r.Dockerfile)
	}
	r, err = Apply([]byte("FROM python:3.12-slim\nRUN useradd -m web\nCOPY src /srv/app\nRUN chown -R web /srv/app\nUSER web\nCMD [\"python\", \"/srv/app/main.py\"]\n"), []string{"SG301"}, Options{Now: corpusNow})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Dockerfile, "COPY --chown=web src /srv/app\nUSER web\n") {
		t.Errorf("SG301 on a directory the COPY makes:\n%s", r.Dockerfile)
	}
}

// SG401 gives the new user what the app writes: a VOLUME's directory,
// made before the VOLUME line, and the SQLite database migrate made with
// its directory (volume-data-dir, django-migrate-sqlite: advice before).
func TestNonRootUserGetsVolumesAndSQLite(t *testing.T) {
	for src, want := range map[string]string{
		"FROM python:3.12-slim\nRUN pip install --no-cache-dir radar==1.0\nVOLUME /var/lib/radar\nCMD [\"radar\"]\n":                                                            "RUN useradd --no-log-init --create-home --uid 10001 app && mkdir -p /var/lib/radar && chown app /var/lib/radar\nUSER app\nVOLUME /var/lib/radar\n",
		"FROM python:3.11-slim\nWORKDIR /site\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\nRUN python manage.py migrate\nCMD [\"gunicorn\", \"site.wsgi\"]\n": "RUN useradd --no-log-init --create-home --uid 10001 app && chown app /site /site/db.sqlite3\nUSER app\n",
	} {
		s, ok := suggestionOf(t, src, "SG401", nil)
		if !ok || !strings.Contains(s.Result, want) {
			t.Errorf("SG401 on\n%s\ngives %+v\nwant %q", src, s, want)
		}
	}
}

// A Python minor bump moves the distro too: with Python 2 packages of the
// distro installed (gone from newer releases), it is advice (a real file,
// python:3.8.2-alpine with apk add python py-pip python-dev).
func TestBaseEOLKeepsPython2DistroPackages(t *testing.T) {
	s, ok := suggestionOf(t, "FROM python:3.8.2-alpine\nRUN apk --update add python py-pip openssl\nRUN pip install numpy\nCMD [\"python3\"]\n", "SG011", nil)
	if !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), "line 2 installs python, a Python 2 package of the distro") {
		t.Errorf("SG011: %+v", s)
	}
}

// A Python 2 app on a distro release: no release bump (its Python 2
// packages are gone) and no split (no venv module); a RUN that installs
// the distro's python3 and the packages together is not split either (the
// venv would come before the interpreter). Found on held-out real files.
func TestDistroPythonInTheInstallRun(t *testing.T) {
	src := "FROM alpine:3.6\nRUN apk --update add python py-pip && pip install flask\nCOPY . .\nCMD python app.py\n"
	if s, ok := suggestionOf(t, src, "SG011", nil); !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), "line 2 installs python, a Python 2 package") {
		t.Errorf("SG011: %+v", s)
	}
	if s, ok := suggestionOf(t, src, "SG001", nil); ok && s.Fixable() {
		t.Errorf("SG001 splits a Python 2 app:\n%s", s.Diff)
	}
	s, ok := suggestionOf(t, "FROM debian:12\nRUN apt-get update && apt-get install -y python3-pip gcc && pip3 install --break-system-packages psutil\nCMD [\"python3\", \"app.py\"]\n", "SG001", nil)
	if !ok || s.Fixable() || !strings.Contains(strings.Join(s.Advice, "\n"), "installs the interpreter and the packages in one RUN") {
		t.Errorf("SG001: %+v", s)
	}
}

// What the app writes is the new user's, in SG401 and in the split's
// runtime stage: a data directory made below /var/lib (not the base's),
// an empty WORKDIR the command runs in, the SQLite file migrate makes
// (the engine matrix's pipenv, setuptools and data-migrate shapes failed
// with PermissionError as USER app).
func TestNewUserOwnsWhatTheAppWrites(t *testing.T) {
	s, ok := suggestionOf(t, "FROM python:3.12-slim\nRUN pip install --no-cache-dir ledger==1.0\nRUN mkdir -p /var/lib/ledger\nCMD [\"python3\", \"-m\", \"ledger\"]\n", "SG401", nil)
	if !ok || !strings.Contains(s.Result, "useradd --no-log-init --create-home --uid 10001 app && chown app /var/lib/ledger\n") {
		t.Errorf("SG401 and /var/lib/ledger: %+v", s)
	}
	s, ok = suggestionOf(t, "FROM python:3.12-slim\nRUN pip install --no-cache-dir greeter==1.0\nWORKDIR /srv/greeter\nRUN greeter --init\nCMD [\"greeter\"]\n", "SG401", nil)
	if !ok || !strings.Contains(s.Result, "chown app /srv/greeter\n") {
		t.Errorf("SG401 and the empty WORKDIR: %+v", s)
	}
	for _, c := range []struct{ src, want string }{
		{"FROM python:3.11\nRUN pip install -r requirements.txt\nCOPY ledger ./ledger\nRUN mkdir -p /var/lib/ledger\nCMD [\"python3\", \"-m\", \"ledger\"]\n",
			"RUN mkdir -p /var/lib/ledger\nRUN chown app /var/lib/ledger\nUSER app\n"},
		{"FROM python:3.11\nWORKDIR /src\nCOPY . .\nRUN pip install .\nWORKDIR /srv/greeter\nCMD [\"greeter\"]\n",
			"WORKDIR /srv/greeter\nRUN chown app /srv/greeter\nUSER app\n"},
		{"FROM python:3.11\nWORKDIR /site\nCOPY . .\nRUN pip install -r requirements.txt\nRUN python manage.py migrate\nCMD [\"gunicorn\", \"site.wsgi\"]\n",
			"RUN chown app /site /site/db.sqlite3\nUSER app\n"},
	} {
		r, err := Apply([]byte(c.src), []string{"SG001"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Dockerfile, c.want) {
			t.Errorf("SG001 lacks %q:\n%s", c.want, r.Dockerfile)
		}
	}
}

// On a base slimpy does not know (a private image, the matrix's
// local/slimpy-bookworm:base with apt), a directory the file makes with
// mkdir is still the file's: SG401 and the split give it to the new user
// (the engine matrix's distro shape failed with PermissionError on
// /var/lib/counter as USER app: the unknown base was taken to have it).
func TestNewUserOwnsDirectoriesMadeOnAnUnknownBase(t *testing.T) {
	for _, c := range []struct{ src, dirs string }{
		{"FROM corp/bookworm:base\nRUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip\nWORKDIR /app\nCOPY . .\nRUN pip3 install --break-system-packages -r requirements.txt\nRUN mkdir -p /var/lib/counter\nCMD [\"python3\", \"app.py\"]\n",
			"/var/lib/counter /app"},
		{"FROM corp/bookworm:base\nRUN apt-get update && apt-get install -y --no-install-recommends python3 python3-pip\nWORKDIR /app\nCOPY . .\nRUN pip3 install --break-system-packages -r requirements.txt\nRUN mkdir -p data /srv/uploads\nCMD [\"python3\", \"app.py\"]\n",
			"/app/data /srv/uploads /app"},
	} {
		s, ok := suggestionOf(t, c.src, "SG401", nil)
		if !ok || !strings.Contains(s.Result, "useradd --no-log-init --create-home --uid 10001 app && chown app "+c.dirs+"\nUSER app\n") {
			t.Errorf("SG401 does not give %s to the user: %+v", c.dirs, s)
		}
		r, err := Apply([]byte(c.src), []string{"SG001"}, Options{Now: corpusNow})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Dockerfile, "chown app "+c.dirs+"\nUSER app\n") {
			t.Errorf("SG001's runtime stage does not give %s to the user:\n%s", c.dirs, r.Dockerfile)
		}
	}
	// the directories every Linux image has stay the base's
	s, ok := suggestionOf(t, "FROM corp/bookworm:base\nRUN apt-get update && apt-get install -y python3\nRUN mkdir -p /usr/share/app /etc/app /var/lib/apt/lists/partial\nCMD [\"python3\", \"-m\", \"http.server\"]\n", "SG401", nil)
	if !ok || strings.Contains(s.Result, "chown") {
		t.Errorf("SG401 chowns a system directory: %+v", s)
	}
}

// SG401 where the final stage copies a pip --user tree from a builder to
// /root/.local (0700, and root's user site): the tree goes to the new
// user's home, owned by the user made before the COPY, with PATH and the
// stage's references following (the engine matrix's pip-user shape
// stayed root: SG401 was advice). A COPY slimpy cannot rewrite, or a
// command that names the tree, keeps the advice.
func TestNonRootMovesTheUserSite(t *testing.T) {
	src := "FROM python:3.11 AS build\nRUN pip install --user -r requirements.txt\n\nFROM python:3.11-slim\nWORKDIR /app\nCOPY --from=build /root/.local /root/.local\nCOPY --from=build /root/.local/bin/ /root/.local/bin/\nCOPY app.py .\nENV PATH=/root/.local/bin:$PATH PYTHONUSERBASE=/root/.local\nRUN mkdir -p /app/data\nCMD [\"gunicorn\", \"app:app\"]\n"
	s, ok := suggestionOf(t, src, "SG401", nil)
	want := "WORKDIR /app\n" +
		"RUN useradd --no-log-init --create-home --uid 10001 app\n" +
		"COPY --chown=app --from=build /root/.local /home/app/.local\n" +
		"COPY --chown=app --from=build /root/.local/bin/ /home/app/.local/bin/\n" +
		"COPY app.py .\n" +
		"ENV PATH=/home/app/.local/bin:$PATH PYTHONUSERBASE=/home/app/.local\n" +
		"RUN mkdir -p /app/data\n" +
		"RUN chown app /app/data /app\n" +
		"USER app\n" +
		"CMD [\"gunicorn\", \"app:app\"]\n"
	if !ok || len(s.Advice) > 0 || !strings.HasSuffix(s.Result, want) {
		t.Errorf("SG401:\n%s\nwant the stage to end:\n%s\n%+v", s.Result, want, s.Advice)
	}
	for _, src := range []string{
		// owned by another user already: whose home is it?
		"FROM python:3.11 AS build\nRUN pip install --user flask\nFROM python:3.11-slim\nCOPY --from=build --chown=1000 /root/.local /root/.local\nCOPY app.py .\nCMD [\"python\", \"app.py\"]\n",
		// a command that names the tree: its argv would change
		"FROM python:3.11 AS build\nRUN pip install --user gunicorn\nFROM python:3.11-slim\nCOPY --from=build /root/.local /root/.local\nCMD [\"/root/.local/bin/gunicorn\", \"app:app\"]\n",
		// pip --user in the final stage itself, as root
		"FROM python:3.11-slim\nRUN pip install --user flask\nCOPY app.py .\nCMD [\"python\", \"app.py\"]\n",
	} {
		if s, ok := suggestionOf(t, src, "SG401", nil); !ok || s.Diff != "" || len(s.Advice) == 0 {
			t.Errorf("SG401 should be advice:\n%s\n%+v", src, s)
		}
	}
}

// SG501's .dockerignore leaves out what the build needs: a path a COPY
// names, .git where a RUN calls git or the version comes from git.
func TestDockerignoreKeepsWhatTheBuildNeeds(t *testing.T) {
	for _, c := range []struct {
		name, src string
		ctx       map[string]string
		kept      []string // not in the written .dockerignore
		listed    []string // in it
	}{
		{"git describe in a RUN", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN git describe --tags > VERSION && pip install .\n", nil,
			[]string{".git"}, []string{".venv", ".env"}},
		{"setuptools-scm", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n",
			map[string]string{"setup.cfg": "[options]\nsetup_requires = setuptools_scm\n"}, []string{".git"}, []string{".env"}},
		{"a Dockerfile copied by name", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nCOPY Dockerfile.prod /usr/share/doc/app/\n", nil,
			[]string{"Dockerfile*"}, []string{".git"}},
		{"nothing needed", "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install .\n",
			map[string]string{"pyproject.toml": "[project]\nname = \"pbrlike-app\"\nversion = \"1.0\"\n"}, nil, []string{".git", ".env", "Dockerfile*"}},
	} {
		s, ok := suggestionOf(t, c.src, "SG501", c.ctx)
		if !ok {
			t.Errorf("%s: no SG501", c.name)
			continue
		}
		lines := strings.Split(s.Files[".dockerignore"], "\n")
		has := func(p string) bool { return slices.Contains(lines, p) }
		for _, p := range c.kept {
			if has(p) {
				t.Errorf("%s: .dockerignore lists %s, which the build needs:\n%s", c.name, p, s.Files[".dockerignore"])
			}
		}
		for _, p := range c.listed {
			if !has(p) {
				t.Errorf("%s: .dockerignore does not list %s:\n%s", c.name, p, s.Files[".dockerignore"])
			}
		}
	}
}
