package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The bases scripts/python-bases.sh builds from Debian packages, named like
// the official images.
const (
	fullPython = "local/python:3.11"
	slimPython = "local/python:3.11-slim"
)

// requirePythonBases skips when the local python bases are not in the
// engine (failing under SLIMPY_REQUIRE_REALIMAGES=1, as scripts/test sets).
func requirePythonBases(t *testing.T) {
	t.Helper()
	for _, img := range []string{fullPython, slimPython} {
		if err := exec.Command("docker", "image", "inspect", img).Run(); err != nil {
			msg := fmt.Sprintf("%s is not in the engine: build it with scripts/python-bases.sh (after scripts/debian-images.sh; a few minutes, needs the Debian mirror of the apt sources)", img)
			if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
				t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands it")
			}
			t.Skip(msg + "; set SLIMPY_REQUIRE_REALIMAGES=1 to make this a failure")
		}
	}
}

// appContext copies testdata/verify/app to a temporary directory and
// builds the sdists of its packages (src/NAME-VERSION) into dist/, as
// `python -m build --sdist` lays them out: NAME-VERSION/ with PKG-INFO.
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
	if err := os.Mkdir(filepath.Join(dir, "dist"), 0o755); err != nil {
		t.Fatal(err)
	}
	pkgs, err := os.ReadDir(filepath.Join(dir, "src"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkgs {
		if err := writeSdist(filepath.Join(dir, "src", p.Name()), filepath.Join(dir, "dist", p.Name()+".tar.gz")); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func writeSdist(srcDir, dst string) error {
	base := filepath.Base(srcDir)
	name, version, _ := strings.Cut(base, "-")
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	mtime := time.Unix(1700000000, 0)
	add := func(name string, mode int64, body []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(body)), ModTime: mtime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(body)
		return err
	}
	pkgInfo := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", name, version)
	if err := add(base+"/PKG-INFO", 0o644, []byte(pkgInfo)); err != nil {
		return err
	}
	err := filepath.WalkDir(srcDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(srcDir, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return add(base+"/"+filepath.ToSlash(rel), 0o644, b)
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	return os.WriteFile(dst, buf.Bytes(), 0o644)
}

// fixReport is the part of `slimpy fix --verify --format json` read here.
type fixReport struct {
	Applied      []string `json:"applied"`
	Written      []string `json:"written"`
	Backup       string   `json:"backup"`
	Verification struct {
		OK       bool   `json:"ok"`
		Failure  string `json:"failure"`
		Measured bool   `json:"measured"`
		Before   verifyOutcome
		After    verifyOutcome
		Removed  []struct{ Rule string } `json:"findingsRemoved"`
	} `json:"verification"`
}

type verifyOutcome struct {
	Build struct {
		OK      bool   `json:"ok"`
		ImageID string `json:"imageID"`
	} `json:"build"`
	Smoke struct {
		Command  []string `json:"command"`
		ExitCode int      `json:"exitCode"`
		Tail     []string `json:"tail"`
	} `json:"smoke"`
	Measure struct {
		Totals struct {
			Size       int64 `json:"size"`
			StoredSize int64 `json:"storedSize"`
		} `json:"totals"`
		Findings []struct {
			Rule     string `json:"rule"`
			Category string `json:"category"`
			Bytes    int64  `json:"bytes"`
		} `json:"findings"`
	} `json:"measure"`
}

// TestFixVerifyOfflineMultistage: a naive single-stage Dockerfile on the
// full local/python:3.11 installs a package with a C extension and its
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
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, slimpyCLI(t), "fix", "--dockerfile", dockerfile, "--all", "--verify", "--format", "json", "--cache-dir", t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("slimpy fix --all --verify: %s\n%s", time.Since(start).Round(time.Second), stderr.String())
	if err != nil {
		t.Fatalf("slimpy fix --all --verify: %v\n%s", err, stdout.String())
	}
	var r fixReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	v := r.Verification
	if !v.OK || !v.Measured || v.Failure != "" {
		t.Fatalf("verification: ok %v measured %v failure %q", v.OK, v.Measured, v.Failure)
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
	cats := func(o verifyOutcome) map[string]int64 {
		m := map[string]int64{}
		for _, f := range o.Measure.Findings {
			m[f.Category] += f.Bytes
		}
		return m
	}
	before, after := cats(v.Before), cats(v.After)
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
	if left := newImagesOn(t, imagesBefore, fullPython, slimPython); len(left) > 0 {
		t.Errorf("images built on the python bases were left: %v", left)
	}
	if out, _ := exec.Command("docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "slimpy-verify").Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("tags left: %s", out)
	}
	if out, _ := exec.Command("docker", "ps", "-a", "--filter", "name=slimpy-verify-", "--format", "{{.Names}}").Output(); len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("containers left: %s", out)
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
