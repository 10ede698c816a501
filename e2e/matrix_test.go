package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The end-to-end matrix: one app per common shape of a Python Dockerfile
// (testdata/verify/<shape>), each built as it is and as `slimpy fix --all`
// rewrites it, with `fix --verify` on the local Docker engine, offline: the
// bases are the Debian-built local/library/python images, and the packages come
// from a package index this test serves from packages it builds.
//
// Why an index over HTTP rather than --find-links into the build context:
// it is how real Dockerfiles install (`pip install -r requirements.txt`,
// `poetry install`, `pipenv install --deploy` against PyPI or a private
// index named in requirements.txt, pyproject.toml, the Pipfile or
// PIP_INDEX_URL), poetry and pipenv lock against an index and not a
// directory, and nothing the index serves lands in the build context (a
// wheelhouse in the context is copied into the image by `COPY . .` and
// would skew the sizes compared). testdata/verify/app keeps the wheelhouse
// shape (--no-index --find-links dist) in TestFixVerifyOfflineMultistage.

// matrixShape is one app of the matrix.
type matrixShape struct {
	dir string // under testdata/verify
	// smoke runs in a container of each image as its user: it imports the
	// app and writes its data, and prints "smoke ok: uid=N wrote PATH".
	smoke string
	// lock writes lockFile before the build (in a container of the tools
	// image, against the index), as a developer runs it.
	lock, lockFile string
	// multistage: the original has a builder stage already, so no
	// multistage split is expected.
	multistage bool
	// tool installed the app's packages and has no place at run time.
	tool string
}

var matrixShapes = []matrixShape{
	{dir: "requirements", smoke: "python3 app.py"},
	{dir: "poetry", smoke: "python -m notes", lock: "poetry lock --no-interaction", lockFile: "poetry.lock", tool: "poetry"},
	{dir: "pipenv", smoke: "python3 -m ledger", lock: "pipenv lock", lockFile: "Pipfile.lock", tool: "pipenv"},
	{dir: "setuptools", smoke: "greeter"},
	{dir: "pip-user", smoke: "python3 app.py", multistage: true},
	{dir: "data-runtime", smoke: "python3 app.py"},
	{dir: "data-migrate", smoke: "python3 manage.py record"},
	{dir: "multistage", smoke: "python3 app.py", multistage: true},
	{dir: "distro", smoke: "python3 app.py"},
}

// TestMatrix builds every shape's original and its `fix --all` rewrite
// with `fix --verify` and asserts what a correct rewrite gives: both build
// and run, every suggestion is kept (none dropped by verify), the fixed
// image is smaller, has no compiler, runs as a user other than root, and
// that user writes the app's data. A shape whose rewrite is wrong still
// writes the set of suggestions that builds and runs (exit 0); the
// suggestions verify dropped are reported as errors with their failure
// (docs/suggestions.md, "What the matrix found"). Shapes run two at a
// time (go test -parallel).
func TestMatrix(t *testing.T) {
	requireDocker(t)
	requirePythonBases(t)
	for _, img := range []string{"local/slimpy-bookworm:base"} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			t.Fatalf("%s is not in the engine (scripts/debian-images.sh)", img)
		}
	}
	start := time.Now()
	index := servePackageIndex(t, localPackages(t))
	cacheDir := t.TempDir() // layer analyses shared by every shape
	imagesBefore := engineImages(t)
	var mu sync.Mutex
	var runs, made []string // the verify runs' IDs, the images they made
	t.Run("shapes", func(t *testing.T) {
		for _, sh := range matrixShapes {
			t.Run(sh.dir, func(t *testing.T) {
				t.Parallel()
				testShape(t, sh, index, cacheDir, func(run string, images []string) {
					mu.Lock()
					runs = append(runs, run)
					made = append(made, images...)
					mu.Unlock()
				})
			})
		}
	})
	t.Logf("matrix: %s; the index served %d requests", time.Since(start).Round(time.Second), index.requests.Load())
	if index.requests.Load() == 0 {
		t.Error("no build asked the package index")
	}
	// Nothing of the runs is left: no image built on the bases, no tag, no
	// container of verify's or of this test's.
	if left := imagesLeft(t, imagesBefore, made, fullPython, slimPython, "local/slimpy-bookworm:base"); len(left) > 0 {
		t.Errorf("images built on the bases were left: %v", left)
	}
	verifyLeftovers(t, runs...)
	if out, _ := exec.Command("docker", "ps", "-a", "--filter", "name="+containerPrefix()+"-", "--format", "{{.Names}}").Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("containers left: %s", out)
	}
}

var smokeLine = regexp.MustCompile(`smoke ok: uid=(\d+) wrote (\S+)`)

// testShape tells ran the ID of its verify run and the images it made.
func testShape(t *testing.T, sh matrixShape, index *packageIndex, cacheDir string, ran func(run string, images []string)) {
	start := time.Now()
	dir := shapeContext(t, sh, index)
	dockerfile := filepath.Join(dir, "Dockerfile")
	orig, _ := os.ReadFile(dockerfile)
	r, code := runFixVerify(t, dockerfile, "--smoke", sh.smoke, "--cache-dir", cacheDir)
	v := r.Verification
	ran(v.Run, v.Images)
	written, _ := os.ReadFile(dockerfile)
	var times strings.Builder
	for _, o := range append([]verifyOutcome{v.Before}, trialOutcomes(r)...) {
		fmt.Fprintf(&times, " build %.0fs smoke %.0fs;", o.Build.Duration.Seconds(), o.Smoke.Duration.Seconds())
	}
	t.Logf("%s: %d builds (at most %d) in %s (original and trials:%s); kept %v, applied %v; written:\n%s",
		sh.dir, v.Builds, v.MaxBuilds, time.Since(start).Round(time.Second), times.String(), v.Kept, r.Applied, written)

	// The original builds and runs: the app is what it should be.
	if !v.Before.Build.OK {
		t.Fatalf("the original does not build: %s\n%s", v.Before.Build.Error, strings.Join(v.Before.Build.Tail, "\n"))
	}
	if uid, _ := smokeResult(t, "the original", v.Before); uid < 0 {
		return
	}
	// What a correct rewrite gives: every suggestion kept.
	for _, d := range v.Dropped {
		with := ""
		if len(d.With) > 0 {
			with = " together with " + strings.Join(d.With, ", ")
		}
		t.Errorf("verify dropped %s%s: %s (a rewrite bug: docs/suggestions.md, What the matrix found)", d.ID, with, d.Failure)
		for _, tr := range v.Trials {
			if strings.Join(tr.IDs, "+") == strings.Join(slices.Concat(d.With, []string{d.ID}), "+") {
				o := tr.Outcome
				t.Logf("%s: build ok %v, smoke exit %d; the last lines of the build and the smoke run:\n%s\n%s",
					strings.Join(tr.IDs, "+"), o.Build.OK, o.Smoke.ExitCode, strings.Join(o.Build.Tail, "\n"), strings.Join(o.Smoke.Tail, "\n"))
			}
		}
	}
	// Whatever the rewrite gets wrong, verify writes the set that builds
	// and runs; when none does, nothing (exit 1).
	switch {
	case code == 1 && !v.OK && len(v.Kept) == 0:
		t.Fatalf("nothing written: no suggestion builds and runs (%s)", v.Failure)
	case code != 0 || !v.OK:
		t.Fatalf("exit %d, ok %v: %s", code, v.OK, v.Failure)
	case bytes.Equal(written, orig) && len(r.Written) == 0:
		t.Fatalf("nothing written although verify passed %v", v.Kept)
	}
	uid, path := smokeResult(t, "the fixed image", v.After)
	if !sh.multistage && !slices.Contains(v.Kept, "SG001") {
		t.Errorf("no multistage split (SG001) in the written set %v", v.Kept)
	}
	b, a := v.Before.Measure.Totals, v.After.Measure.Totals
	t.Logf("%s: size %d → %d bytes, stored %d → %d", sh.dir, b.Size, a.Size, b.StoredSize, a.StoredSize)
	if !v.Measured || a.Size <= 0 || a.Size >= b.Size {
		t.Errorf("the fixed image is not smaller: %d → %d bytes (measured %v)", b.Size, a.Size, v.Measured)
	}
	if n, ok := categoryBytes(v.After)["compilers"]; ok {
		t.Errorf("the fixed image has a compiler (%d bytes of compiler findings)", n)
	}
	if uid == 0 {
		t.Errorf("the fixed image runs as root (the app wrote %s as uid 0)", path)
	}
	if sh.tool != "" {
		for _, f := range v.After.Measure.Findings {
			for _, p := range f.Packages {
				if name, _, _ := strings.Cut(p, " "); f.Rule == "SP311" && name == sh.tool {
					t.Errorf("%s is in the fixed image (%s): it installed the packages, the app does not run it", p, f.Rule)
				}
			}
		}
	}
}

func trialOutcomes(r *fixReport) []verifyOutcome {
	var outs []verifyOutcome
	for _, tr := range r.Verification.Trials {
		outs = append(outs, tr.Outcome)
	}
	return outs
}

// smokeResult checks that the smoke run passed and wrote the app's data,
// and returns the uid it ran as and what it wrote (-1 when it did not).
func smokeResult(t *testing.T, what string, o verifyOutcome) (int, string) {
	t.Helper()
	out := strings.Join(o.Smoke.Tail, "\n")
	if !o.Build.OK {
		t.Errorf("%s does not build: %s\n%s", what, o.Build.Error, strings.Join(o.Build.Tail, "\n"))
		return -1, ""
	}
	m := smokeLine.FindStringSubmatch(out)
	if o.Smoke.ExitCode != 0 || o.Smoke.Error != "" || m == nil {
		t.Errorf("%s: the smoke run %v exited %d %s, or wrote nothing:\n%s", what, o.Smoke.Command, o.Smoke.ExitCode, o.Smoke.Error, out)
		return -1, ""
	}
	uid, _ := strconv.Atoi(m[1])
	return uid, m[2]
}

// shapeContext copies testdata/verify/<shape> to a temporary build
// context with the index's address in place of @INDEX@ (its URL) and
// @HOST@ (its host), and writes the shape's lock file.
func shapeContext(t *testing.T, sh matrixShape, index *packageIndex) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "testdata", "verify", sh.dir))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), sh.dir)
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	subst := strings.NewReplacer("@INDEX@", index.URL, "@HOST@", index.Host)
	err = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if s := subst.Replace(string(b)); s != string(b) {
			return os.WriteFile(p, []byte(s), 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if sh.lock != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		start := time.Now()
		script := fmt.Sprintf("mkdir /w; tar -x -C /w; cd /w; %s >&2; tar -c %s", sh.lock, sh.lockFile)
		out, err := dockerTar(ctx, toolsPython, "bridge", dir, script)
		if err != nil {
			t.Fatalf("%s: %v", sh.lock, err)
		}
		if names, err := untar(out, dir); err != nil || !slices.Contains(names, sh.lockFile) {
			t.Fatalf("%s wrote %v: %v", sh.lock, names, err)
		}
		t.Logf("%s: %s in %s", sh.dir, sh.lock, time.Since(start).Round(time.Second))
	}
	return dir
}

// packageIndex serves a directory of sdists and wheels as a PEP 503
// simple repository (/simple/, /simple/NAME/, the files under /files/)
// on the address of the engine's default bridge, which build containers
// reach.
type packageIndex struct {
	URL      string // http://HOST:PORT, no trailing slash
	Host     string
	requests atomic.Int64
}

func servePackageIndex(t *testing.T, dir string) *packageIndex {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	projects := map[string][]string{} // normalized name → file names
	for _, e := range entries {
		if name, ok := distributionName(e.Name()); ok {
			projects[name] = append(projects[name], e.Name())
		}
	}
	files := map[string]string{} // file name → sha256
	for _, names := range projects {
		for _, n := range names {
			files[n] = sha256File(t, filepath.Join(dir, n))
		}
	}
	host := bridgeAddress(t)
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listening on the bridge's address %s: %v", host, err)
	}
	idx := &packageIndex{Host: host, URL: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	page := func(w http.ResponseWriter, links map[string]string) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintln(w, "<!DOCTYPE html><html><body>")
		for _, text := range slices.Sorted(maps.Keys(links)) {
			fmt.Fprintf(w, "<a href=\"%s\">%s</a><br>\n", html.EscapeString(links[text]), html.EscapeString(text))
		}
		fmt.Fprintln(w, "</body></html>")
	}
	mux.HandleFunc("GET /simple/{$}", func(w http.ResponseWriter, r *http.Request) {
		links := map[string]string{}
		for name := range projects {
			links[name] = "/simple/" + name + "/"
		}
		page(w, links)
	})
	mux.HandleFunc("GET /simple/{project}/{$}", func(w http.ResponseWriter, r *http.Request) {
		names, ok := projects[normalizeProject(r.PathValue("project"))]
		if !ok {
			http.NotFound(w, r)
			return
		}
		links := map[string]string{}
		for _, n := range names {
			links[n] = "/files/" + n + "#sha256=" + files[n]
		}
		page(w, links)
	})
	mux.HandleFunc("GET /files/{name}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if _, ok := files[name]; !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeFile(w, r, filepath.Join(dir, name))
	})
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			idx.requests.Add(1)
			mux.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	t.Logf("package index %s/simple/: %d projects", idx.URL, len(projects))
	return idx
}

// distributionName is the normalized project name of an sdist
// (NAME-VERSION.tar.gz) or a wheel (NAME-VERSION-...whl).
func distributionName(file string) (string, bool) {
	switch {
	case strings.HasSuffix(file, ".whl"):
		name, _, ok := strings.Cut(file, "-")
		return normalizeProject(name), ok
	case strings.HasSuffix(file, ".tar.gz"):
		i := strings.LastIndex(file, "-")
		return normalizeProject(file[:max(i, 0)]), i > 0
	}
	return "", false
}

// normalizeProject is PEP 503's normalized name.
func normalizeProject(name string) string {
	return strings.ToLower(separators.ReplaceAllString(name, "-"))
}

var separators = regexp.MustCompile(`[-_.]+`)

func sha256File(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// bridgeAddress is the host's address on the engine's default bridge
// network (docker0): where a container, a build's RUN included, reaches
// a server on the host.
func bridgeAddress(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("docker", "network", "inspect", "bridge", "--format",
		`{{index .Options "com.docker.network.bridge.name"}} {{range .IPAM.Config}}{{.Gateway}} {{end}}`).Output()
	if err != nil {
		t.Fatalf("docker network inspect bridge: %v", err)
	}
	f := strings.Fields(string(out))
	if len(f) > 1 && net.ParseIP(f[1]) != nil {
		return f[1]
	}
	if len(f) > 0 {
		if iface, err := net.InterfaceByName(f[0]); err == nil {
			addrs, _ := iface.Addrs()
			for _, a := range addrs {
				if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil {
					return ip.IP.String()
				}
			}
		}
	}
	t.Fatalf("no address of the engine's bridge network on this host (%q): the matrix needs a local engine", strings.TrimSpace(string(out)))
	return ""
}
