package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// The bases scripts/python-bases.sh builds from Debian packages, named like
// the official images, and the tools image beside them (poetry, pipenv, the
// setuptools and wheel wheels).
const (
	fullPython  = "local/library/python:3.11"
	slimPython  = "local/library/python:3.11-slim"
	toolsPython = "local/python-tools:3.11"
)

// requirePythonBases skips when the local python bases are not in the
// engine (failing under SLIMPY_REQUIRE_REALIMAGES=1, as scripts/test sets).
func requirePythonBases(t *testing.T) {
	t.Helper()
	for _, img := range []string{fullPython, slimPython, toolsPython} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			msg := fmt.Sprintf("%s is not in the engine: build it with scripts/python-bases.sh (after scripts/debian-images.sh; a few minutes, needs the Debian mirror of the apt sources)", img)
			if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
				t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands it")
			}
			t.Skip(msg + "; set SLIMPY_REQUIRE_REALIMAGES=1 to make this a failure")
		}
	}
}

// containerName names a container the tests start themselves (verify names
// its own): $SLIMPY_E2E_PREFIX (default slimpy-e2e), what it is for, and a
// random suffix, so that engines shared by several runs can tell them apart.
func containerName(what string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s-%s-%x", containerPrefix(), what, b)
}

func containerPrefix() string {
	if p := os.Getenv("SLIMPY_E2E_PREFIX"); p != "" {
		return p
	}
	return "slimpy-e2e"
}

// dockerTar runs script (sh -ec) in a new container of image with the
// directory dir sent in as a tar on stdin (the script unpacks it) and
// returns the tar it writes to stdout; its stderr is returned on failure.
// The container is removed.
func dockerTar(ctx context.Context, image, network, dir, script string) ([]byte, error) {
	var in bytes.Buffer
	tw := tar.NewWriter(&in)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "docker", "run", "-i", "--rm", "--name", containerName("tar"), "--network", network, image, "sh", "-ec", script)
	var out, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &in, &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("docker run %s: %v\n%s", image, err, stderr.String())
	}
	return out.Bytes(), nil
}

// untar writes the regular files of a tar stream into dir (flat or not)
// and returns their names.
func untar(b []byte, dir string) ([]string, error) {
	var names []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return names, err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if !filepath.IsLocal(name) {
			return names, fmt.Errorf("tar member %q leaves the directory", h.Name)
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return names, err
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			return names, err
		}
		if err := os.WriteFile(p, body, 0o644); err != nil {
			return names, err
		}
		names = append(names, name)
	}
}

var (
	packagesOnce sync.Once
	packagesDir  string
	packagesErr  error
)

// localPackages builds the packages under testdata/verify/packages, once
// per test binary, with the real tools in a container of the tools image
// (no network): an sdist of each (`setup.py sdist`: fastsum's holds its C
// source, so installing it needs gcc) and a wheel of each pure-Python one
// (`pip wheel`), plus the setuptools and wheel wheels that pip's isolated
// builds ask for (Debian's python3-*-whl). The directory holds them flat,
// as a wheelhouse.
func localPackages(t *testing.T) string {
	t.Helper()
	packagesOnce.Do(func() {
		src, err := filepath.Abs(filepath.Join("..", "testdata", "verify", "packages"))
		if err != nil {
			packagesErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		const script = `mkdir -p /w /out; tar -x -C /w; cd /w
for d in */; do d=${d%/}
  (cd "$d" && python3 setup.py -q sdist -d /out >/dev/null 2>&1)
  if [ -z "$(find "$d" -name '*.c')" ]; then pip wheel -q --no-deps --no-build-isolation --no-index -w /out "./$d" >&2; fi
done
cp /usr/share/python-wheels/setuptools-*.whl /usr/share/python-wheels/wheel-*.whl /out/
tar -c -C /out .`
		out, err := dockerTar(ctx, toolsPython, "none", src, script)
		if err != nil {
			packagesErr = fmt.Errorf("building the local packages: %w", err)
			return
		}
		packagesDir, packagesErr = os.MkdirTemp("", "slimpy-e2e-packages-")
		if packagesErr == nil {
			_, packagesErr = untar(out, packagesDir)
		}
	})
	if packagesErr != nil {
		t.Fatal(packagesErr)
	}
	return packagesDir
}

// appContext copies testdata/verify/app to a temporary directory with the
// sdists of the local packages in dist/, where its Dockerfile installs
// them from with --no-index --find-links dist.
func appContext(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", "testdata", "verify", "app"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "app")
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	pkgs := localPackages(t)
	sdists, _ := filepath.Glob(filepath.Join(pkgs, "*.tar.gz"))
	if len(sdists) == 0 {
		t.Fatalf("no sdists in %s", pkgs)
	}
	if err := os.Mkdir(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range sdists {
		b, err := os.ReadFile(p)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "dist", filepath.Base(p)), b, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// fixReport is the part of `slimpy fix --verify --format json` read here.
type fixReport struct {
	Applied      []string `json:"applied"`
	Written      []string `json:"written"`
	Backup       string   `json:"backup"`
	Verification struct {
		Run      string   `json:"run"`
		Images   []string `json:"images"`
		OK       bool     `json:"ok"`
		Failure  string   `json:"failure"`
		Measured bool     `json:"measured"`
		Before   verifyOutcome
		After    verifyOutcome
		Removed  []struct{ Rule string } `json:"findingsRemoved"`
		Kept     []string                `json:"kept"`
		Dropped  []struct {
			ID      string   `json:"id"`
			With    []string `json:"with"`
			Untried bool     `json:"untried"`
			Failure string   `json:"failure"`
		} `json:"dropped"`
		Trials []struct {
			IDs     []string      `json:"ids"`
			Outcome verifyOutcome `json:"outcome"`
		} `json:"trials"`
		Builds    int `json:"builds"`
		MaxBuilds int `json:"maxBuilds"`
	} `json:"verification"`
}

type verifyOutcome struct {
	Build struct {
		OK       bool          `json:"ok"`
		ImageID  string        `json:"imageID"`
		Duration time.Duration `json:"duration"`
		Error    string        `json:"error"`
		Tail     []string      `json:"tail"`
	} `json:"build"`
	Smoke struct {
		Command  []string      `json:"command"`
		ExitCode int           `json:"exitCode"`
		Duration time.Duration `json:"duration"`
		Error    string        `json:"error"`
		Tail     []string      `json:"tail"`
	} `json:"smoke"`
	Measure struct {
		Totals struct {
			Size       int64 `json:"size"`
			StoredSize int64 `json:"storedSize"`
		} `json:"totals"`
		Findings []struct {
			Rule     string   `json:"rule"`
			Category string   `json:"category"`
			Bytes    int64    `json:"bytes"`
			Packages []string `json:"packages"`
		} `json:"findings"`
	} `json:"measure"`
}

// runFixVerify runs `slimpy fix --dockerfile DOCKERFILE --all --verify
// --format json` with more arguments and returns its report and exit code
// (stderr, the progress, goes to the log).
func runFixVerify(t *testing.T, dockerfile string, args ...string) (*fixReport, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	args = append([]string{"fix", "--dockerfile", dockerfile, "--all", "--verify", "--format", "json"}, args...)
	cmd := exec.CommandContext(ctx, slimpyCLI(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("slimpy fix --verify: %v\n%s", err, stderr.String())
	}
	t.Logf("slimpy fix --all --verify: exit %d in %s\n%s", code, time.Since(start).Round(time.Second), stderr.String())
	var r fixReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("exit %d: %v\n%s", code, err, stdout.String())
	}
	return &r, code
}

// categoryBytes are an outcome's findings' bytes by category.
func categoryBytes(o verifyOutcome) map[string]int64 {
	m := map[string]int64{}
	for _, f := range o.Measure.Findings {
		m[f.Category] += f.Bytes
	}
	return m
}

// TestFixVerifyOfflineMultistage: a naive single-stage Dockerfile on the
// full local/library/python:3.11 installs a package with a C extension and its
// pure-Python dependency from local sdists, offline. `slimpy fix --all
// --verify` builds it and the rewrite on the real engine: the builder on
// the full image, the runtime on the slim one; the result is smaller, has
// no compiler or header findings, and runs the app, extension included.
func TestFixVerifyOfflineMultistage(t *testing.T) {
	requireDocker(t)
	requirePythonBases(t)
	dir := appContext(t)
	dockerfile := filepath.Join(dir, "Dockerfile")
	orig, _ := os.ReadFile(dockerfile)

	imagesBefore := engineImages(t)
	r, code := runFixVerify(t, dockerfile, "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("slimpy fix --all --verify: exit %d: %s", code, r.Verification.Failure)
	}
	v := r.Verification
	if !v.OK || !v.Measured || v.Failure != "" {
		t.Fatalf("verification: ok %v measured %v failure %q", v.OK, v.Measured, v.Failure)
	}
	if len(v.Dropped) != 0 || v.Builds != 2 {
		t.Errorf("dropped %+v in %d builds: every suggestion should pass together, in two builds", v.Dropped, v.Builds)
	}

	// Written: the rewrite, builder on the full image, runtime on the slim.
	got, _ := os.ReadFile(dockerfile)
	for _, want := range []string{"FROM " + fullPython + " AS builder\n", "FROM " + slimPython + "\n", "COPY --from=builder /opt/venv /opt/venv\n"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("the written Dockerfile lacks %q:\n%s", want, got)
		}
	}
	if bak, _ := os.ReadFile(dockerfile + ".bak"); !bytes.Equal(bak, orig) || r.Backup != dockerfile+".bak" {
		t.Errorf("backup %q:\n%s", r.Backup, bak)
	}
	if !strings.Contains(strings.Join(r.Applied, ","), "SG001") {
		t.Errorf("applied %v", r.Applied)
	}

	// Smaller, measured.
	b, a := v.Before.Measure.Totals, v.After.Measure.Totals
	t.Logf("size %d → %d bytes, stored %d → %d", b.Size, a.Size, b.StoredSize, a.StoredSize)
	if a.Size <= 0 || a.Size >= b.Size || a.StoredSize >= b.StoredSize {
		t.Errorf("not smaller: size %d → %d, stored %d → %d", b.Size, a.Size, b.StoredSize, a.StoredSize)
	}
	// The original had compilers and headers; the result has none.
	before, after := categoryBytes(v.Before), categoryBytes(v.After)
	for _, c := range []string{"compilers", "headers"} {
		if before[c] == 0 {
			t.Errorf("the original has no %s finding: the test app is not what it should be", c)
		}
		if _, ok := after[c]; ok {
			t.Errorf("the result still has %s findings (%d bytes)", c, after[c])
		}
	}

	// It runs the app, the C extension included, from the venv.
	for _, o := range []verifyOutcome{v.Before, v.After} {
		out := strings.Join(o.Smoke.Tail, "\n")
		if o.Smoke.ExitCode != 0 || !strings.Contains(out, "hello from fastsum: sum of squares below 1000 is 332833500") {
			t.Errorf("smoke %v: exit %d\n%s", o.Smoke.Command, o.Smoke.ExitCode, out)
		}
	}
	if out := strings.Join(v.After.Smoke.Tail, "\n"); !strings.Contains(out, "extension: /opt/venv/lib/python3.11/site-packages/fastsum/_speedups.cpython-311-") {
		t.Errorf("the extension is not the venv's:\n%s", out)
	}

	// Nothing of the run is left in the engine: no image built on the
	// python bases appeared (the builds' results, the builder stages'
	// intermediate images), no tag, no container.
	for _, id := range []string{v.Before.Build.ImageID, v.After.Build.ImageID} {
		if id != "" && exec.Command("docker", "image", "inspect", id).Run() == nil {
			t.Errorf("image %s was left in the engine", id)
		}
	}
	if left := imagesLeft(t, imagesBefore, v.Images, fullPython, slimPython); len(left) > 0 {
		t.Errorf("images built on the python bases were left: %v", left)
	}
	verifyLeftovers(t, v.Run)
}

// verifyLeftovers fails the test for each tag or container the verify runs
// named left in the engine (slimpy-verify:RUN-N, slimpy-verify-RUN-N).
// Only theirs: other runs on a shared engine have theirs while they run
// (a matrix once failed on another run's slimpy-verify:0372cb9a-1).
func verifyLeftovers(t *testing.T, runs ...string) {
	t.Helper()
	if len(runs) == 0 {
		return
	}
	out, _ := exec.Command("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "slimpy-verify").Output()
	names, _ := exec.Command("docker", "ps", "-a", "--filter", "name=slimpy-verify-", "--format", "{{.Names}}").Output()
	for _, run := range runs {
		if run == "" {
			t.Error("a verify run reported no run ID: its leftovers cannot be told apart")
			continue
		}
		for _, l := range strings.Fields(string(out)) {
			if strings.HasPrefix(l, "slimpy-verify:"+run+"-") {
				t.Errorf("tag left: %s", l)
			}
		}
		for _, l := range strings.Fields(string(names)) {
			if strings.HasPrefix(l, "slimpy-verify-"+run+"-") {
				t.Errorf("container left: %s", l)
			}
		}
	}
}

// engineImages are the IDs of every image in the engine.
func engineImages(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command("docker", "image", "ls", "--all", "--quiet", "--no-trunc").Output()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, id := range strings.Fields(string(out)) {
		m[id] = true
	}
	return m
}

// imagesLeft are the images the verify runs left: those not in before
// whose parent chain starts at one of bases and holds an image the runs
// reported (made, the classic builder's intermediates included), or is
// one. Other runs on a shared engine build on the same bases meanwhile
// (a matrix once failed on two intermediates of another run's build).
func imagesLeft(t *testing.T, before map[string]bool, made []string, bases ...string) []string {
	t.Helper()
	ours := map[string]bool{}
	for _, id := range made {
		// the classic builder's step IDs are short: the engine's full ID
		if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", id).Output(); err == nil {
			ours[strings.TrimSpace(string(out))] = true
		}
	}
	var left []string
	for _, id := range newImagesOn(t, before, bases...) {
		for p := id; p != "" && !slices.Contains(left, id); {
			if ours[p] {
				left = append(left, id)
			}
			out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Parent}}", p).Output()
			if err != nil {
				break
			}
			p = strings.TrimSpace(string(out))
		}
	}
	return left
}

// newImagesOn are the images not in before whose parent chain starts at
// one of bases (other work on the same engine builds on other images).
func newImagesOn(t *testing.T, before map[string]bool, bases ...string) []string {
	t.Helper()
	ours := map[string]bool{}
	for _, b := range bases {
		out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", b).Output()
		if err != nil {
			t.Fatal(err)
		}
		ours[strings.TrimSpace(string(out))] = true
	}
	parent := map[string]string{}
	for id := range engineImages(t) {
		if before[id] {
			continue
		}
		out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Parent}}", id).Output()
		if err == nil {
			parent[id] = strings.TrimSpace(string(out))
		}
	}
	var left []string
	for changed := true; changed; {
		changed = false
		for id, p := range parent {
			if ours[p] && !ours[id] {
				ours[id] = true
				left = append(left, id)
				changed = true
			}
		}
	}
	return left
}
