// Package e2e runs the slimpy CLI on real images built from Debian packages
// and compares every figure with the ones scripts/debian-images.sh computed
// independently with tar, find and sha256sum.
//
// The images are not built here: run
//
//	scripts/debian-images.sh      # a few minutes the first time, then "cached"
//
// (scripts/test and .ci/run do it before the tests). The output directory is
// $SLIMPY_TESTIMAGES, /var/cache/slimpy-testimages by default.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// expected is OUT/NAME.expected.json as scripts/debian-images.sh writes it.
type expected struct {
	ScriptVersion int    `json:"scriptVersion"`
	Image         string `json:"image"`
	ImageID       string `json:"imageID"`
	Archive       string `json:"archive"`
	Totals        struct {
		Size        int64 `json:"size"`
		StoredSize  int64 `json:"storedSize"`
		Files       int   `json:"files"`
		WastedBytes int64 `json:"wastedBytes"`
	} `json:"totals"`
	Layers []struct {
		Index            int    `json:"index"`
		DiffID           string `json:"diffID"`
		Size             int64  `json:"size"`
		Files            int    `json:"files"`
		StoredCumulative int64  `json:"storedCumulative"`
		Visible          int64  `json:"visible"`
		VisibleFiles     int    `json:"visibleFiles"`
		Waste            int64  `json:"waste"`
		WastedBytes      int64  `json:"wastedBytes"`
		CreatedBy        string `json:"createdBy"`
	} `json:"layers"`
	Duplicates struct {
		WastedBytes int64 `json:"wastedBytes"`
		Groups      int   `json:"groups"`
	} `json:"duplicates"`
}

// report is the part of `slimpy inspect --format json` (schema version 1,
// docs/json-schema.md) that is compared here. A local type rather than
// inspect.Report: only these fields are decoded, so a field this test does
// not read cannot break it.
type report struct {
	SchemaVersion int `json:"schemaVersion"`
	Image         struct {
		ConfigID string `json:"configDigest"`
	} `json:"image"`
	Totals struct {
		Size        int64 `json:"size"`
		StoredSize  int64 `json:"storedSize"`
		Files       int   `json:"files"`
		WastedBytes int64 `json:"wastedBytes"`
	} `json:"totals"`
	Layers []struct {
		DiffID      string `json:"diffID"`
		Size        int64  `json:"size"`
		Files       int    `json:"files"`
		WastedBytes int64  `json:"wastedBytes"`
	} `json:"layers"`
	Duplicates struct {
		Groups      []json.RawMessage `json:"groups"`
		WastedBytes int64             `json:"wastedBytes"`
	} `json:"duplicates"`
}

const howToBuild = "build them with scripts/debian-images.sh (a few minutes; needs root, Docker and the Debian mirror of the apt sources)"

func imagesDir() string {
	if d := os.Getenv("SLIMPY_TESTIMAGES"); d != "" {
		return d
	}
	return "/var/cache/slimpy-testimages"
}

func requireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no usable Docker engine (docker info: %v: %s)", err, errorLine(string(out)))
	if os.Getenv("SLIMPY_REQUIRE_DOCKER") == "1" {
		t.Fatal(msg + "; SLIMPY_REQUIRE_DOCKER=1 demands one")
	}
	t.Skip(msg + "; set SLIMPY_REQUIRE_DOCKER=1 to make this a failure")
}

// loadExpected reads OUT/NAME.expected.json, skipping the test when the
// images were not built (failing under SLIMPY_REQUIRE_REALIMAGES=1).
func loadExpected(t *testing.T, name string) (*expected, string) {
	t.Helper()
	dir := imagesDir()
	p := filepath.Join(dir, name+".expected.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		msg := fmt.Sprintf("the real Debian test images are not built (%s is missing): %s", p, howToBuild)
		if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
			t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands them")
		}
		t.Skip(msg + "; set SLIMPY_REQUIRE_REALIMAGES=1 to make this a failure")
	}
	if err != nil {
		t.Fatal(err)
	}
	var e expected
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if len(e.Layers) == 0 {
		t.Fatalf("%s has no layers", p)
	}
	return &e, filepath.Join(dir, e.Archive)
}

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
	cliDir  string
)

// slimpyCLI builds ./cmd/slimpy once per test binary.
func slimpyCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			cliErr = fmt.Errorf("go env GOMOD: %v", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			cliErr = fmt.Errorf("go env GOMOD: not inside the module")
			return
		}
		cliDir, err = os.MkdirTemp("", "slimpy-e2e-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(cliDir, "slimpy")
		cmd := exec.Command("go", "build", "-o", cliPath, "./cmd/slimpy")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build ./cmd/slimpy: %v\n%s", err, out)
		}
		statSources(filepath.Dir(gomod))
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

// statSources stats every file of the module (not .git). go test caches
// a result until the files a test opened or stat'ed change; the go build
// above and the slimpy it builds read the sources and fixtures in other
// processes, which go test does not see: without this a changed slimpy
// got a cached e2e result.
func statSources(root string) {
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != root && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			os.Stat(p)
		}
		return nil
	})
}

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// inspectJSON runs `slimpy inspect REF --format json --no-cache`.
func inspectJSON(t *testing.T, ref string) *report {
	t.Helper()
	bin := slimpyCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "inspect", ref, "--format", "json", "--no-cache")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("slimpy inspect %s: %v\n%s", ref, err, stderr.String())
	}
	t.Logf("slimpy inspect %s: %s", ref, time.Since(start).Round(time.Millisecond))
	var r report
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("slimpy inspect %s: the JSON does not parse: %v\n%.500s", ref, err, stdout.String())
	}
	return &r
}

// compare reports every figure that differs, not just the first.
func compare(t *testing.T, ref string, e *expected, r *report) {
	t.Helper()
	var bad []string
	check := func(what string, got, want int64) {
		if got != want {
			bad = append(bad, fmt.Sprintf("%s: slimpy %d, expected %d (diff %+d)", what, got, want, got-want))
		}
	}
	check("schemaVersion", int64(r.SchemaVersion), 1)
	check("totals.size", r.Totals.Size, e.Totals.Size)
	check("totals.storedSize", r.Totals.StoredSize, e.Totals.StoredSize)
	check("totals.files", int64(r.Totals.Files), int64(e.Totals.Files))
	check("totals.wastedBytes", r.Totals.WastedBytes, e.Totals.WastedBytes)
	if len(r.Layers) != len(e.Layers) {
		bad = append(bad, fmt.Sprintf("layers: slimpy has %d, expected %d", len(r.Layers), len(e.Layers)))
	}
	for i := 0; i < len(r.Layers) && i < len(e.Layers); i++ {
		g, w := r.Layers[i], e.Layers[i]
		if g.DiffID != w.DiffID {
			bad = append(bad, fmt.Sprintf("layers[%d].diffID: slimpy %s, expected %s", i, g.DiffID, w.DiffID))
		}
		check(fmt.Sprintf("layers[%d].size", i), g.Size, w.Size)
		check(fmt.Sprintf("layers[%d].files", i), int64(g.Files), int64(w.Files))
		check(fmt.Sprintf("layers[%d].wastedBytes", i), g.WastedBytes, w.WastedBytes)
	}
	check("duplicates.wastedBytes", r.Duplicates.WastedBytes, e.Duplicates.WastedBytes)
	check("len(duplicates.groups)", int64(len(r.Duplicates.Groups)), int64(e.Duplicates.Groups))
	t.Logf("%s: size %d, stored %d, files %d, wasted %d, %d layers, duplicates %d B in %d groups",
		ref, r.Totals.Size, r.Totals.StoredSize, r.Totals.Files, r.Totals.WastedBytes, len(r.Layers),
		r.Duplicates.WastedBytes, len(r.Duplicates.Groups))
	if len(bad) > 0 {
		t.Errorf("slimpy inspect %s differs from %s.expected.json in %d figures:\n  %s",
			ref, strings.TrimSuffix(e.Archive, ".tar"), len(bad), strings.Join(bad, "\n  "))
	}
}

// staleCheck fails when the image slimpy read is not the one the expected
// figures were computed for (rebuilt without rerunning the script).
func staleCheck(t *testing.T, ref string, e *expected, r *report) {
	t.Helper()
	if r.Image.ConfigID != e.ImageID {
		t.Fatalf("%s is image %s but the expected figures are for %s: rerun scripts/debian-images.sh --force",
			ref, r.Image.ConfigID, e.ImageID)
	}
}

func testArchive(t *testing.T, name string) {
	e, archive := loadExpected(t, name)
	ref := "docker-archive:" + archive
	r := inspectJSON(t, ref)
	staleCheck(t, ref, e, r)
	compare(t, ref, e, r)
}

// TestDebianFullArchive: python3 + pip, build-essential, numpy/scipy, a
// pip-built C extension with its wheel cache, chown -R and rm -rf layers.
func TestDebianFullArchive(t *testing.T) { testArchive(t, "full") }

// TestDebianSlimArchive: python3 only on the debootstrap base.
func TestDebianSlimArchive(t *testing.T) { testArchive(t, "slim") }

// TestDebianFullDaemon reads the same image from the engine.
func TestDebianFullDaemon(t *testing.T) {
	requireDocker(t)
	e, _ := loadExpected(t, "full")
	ref := "docker-daemon:" + e.Image
	r := inspectJSON(t, ref)
	staleCheck(t, ref, e, r)
	compare(t, ref, e, r)
}

// errorLine picks the line of docker's output that says what is wrong.
func errorLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for _, l := range lines {
		if strings.Contains(strings.ToLower(l), "error") || strings.Contains(l, "Cannot connect") {
			return strings.TrimSpace(l)
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}
