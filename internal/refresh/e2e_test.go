package refresh

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/debversion"
)

// TestE2EDebianImages runs Check on the real Debian-built test images
// (scripts/debian-images.sh) against the Debian archive this machine's
// own apt sources name, and compares its answer with what apt itself says
// in a container of the image after apt-get update, at the same time. It
// also checks every package the build recorded as upgradable
// (upgradable-final.txt) is found, at that version or a later one.
//
// It skips where Docker, the images or the archive cannot be had
// (SLIMPY_REQUIRE_DOCKER=1 and SLIMPY_REQUIRE_REALIMAGES=1 turn the
// first two into failures; an unreachable archive always skips).
func TestE2EDebianImages(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the end-to-end refresh needs Docker and the Debian archive")
	}
	requireDocker(t)
	mirror, suite := hostMirror(t)
	for _, image := range []string{"local/slimpy-test:full", "local/slimpy-test:slim"} {
		t.Run(path.Base(image), func(t *testing.T) {
			requireImage(t, image)
			img := imageInputs(t, image)
			if !hasSuite(img, suite) {
				t.Skipf("%s has no %s suite in its apt sources", image, suite)
			}
			var got, want []string
			for attempt := 0; attempt < 2; attempt++ {
				res := Check(context.Background(), img, Options{AptMirror: mirror, CacheDir: t.TempDir(), Limits: Limits{Request: 5 * time.Minute}})
				if len(res.Warnings) != 0 {
					t.Fatalf("warnings: %q", res.Warnings)
				}
				for _, ix := range res.Indices {
					if ix.Error != "" || !ix.Verified {
						t.Errorf("index %s: error %q, not verified: %q", ix.URL, ix.Error, ix.NotVerified)
					}
				}
				got = nil
				for _, p := range res.OS {
					got = append(got, fmt.Sprintf("%s:%s %s -> %s", p.Name, p.Arch, p.Installed, p.Candidate))
					if p.Security != strings.Contains(p.Suite, "-security") {
						t.Errorf("%s: suite %s, security %v", p.Name, p.Suite, p.Security)
					}
				}
				want = aptListUpgradable(t, image)
				if equal(got, want) {
					break // else the archive moved between the two: once more
				}
			}
			if !equal(got, want) {
				t.Errorf("refresh found:\n  %s\napt list --upgradable in a container says:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			t.Logf("%s: %d upgradable packages, as apt says:\n  %s", image, len(got), strings.Join(got, "\n  "))
			if strings.HasSuffix(image, ":full") {
				checkRecorded(t, got)
			}
		})
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func requireDocker(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no usable Docker engine (docker info: %v: %s)", err, firstLine(string(out)))
	if os.Getenv("SLIMPY_REQUIRE_DOCKER") == "1" {
		t.Fatal(msg + "; SLIMPY_REQUIRE_DOCKER=1 demands one")
	}
	t.Skip(msg + "; set SLIMPY_REQUIRE_DOCKER=1 to make this a failure")
}

func requireImage(t *testing.T, image string) {
	t.Helper()
	if err := exec.Command("docker", "image", "inspect", image).Run(); err == nil {
		return
	}
	msg := image + " is not in the engine: build it with scripts/debian-images.sh"
	if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
		t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands it")
	}
	t.Skip(msg + "; set SLIMPY_REQUIRE_REALIMAGES=1 to make this a failure")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// hostMirror is the scheme and host of the Debian archive this machine's
// apt sources name for bookworm, which the test images are built from,
// checked to answer; the test skips when none does.
func hostMirror(t *testing.T) (mirror, suite string) {
	t.Helper()
	const want = "bookworm"
	files := map[string][]byte{}
	for _, pattern := range []string{"/etc/apt/sources.list", "/etc/apt/sources.list.d/*"} {
		matches, _ := filepath.Glob(pattern)
		for _, p := range matches {
			if b, err := os.ReadFile(p); err == nil {
				files[p] = b
			}
		}
	}
	for _, src := range parseAptSources(files) {
		if src.suite != want {
			continue
		}
		u, _, err := cleanURL(src.uri)
		if err != nil {
			continue
		}
		probe := strings.TrimSuffix(u.String(), "/") + "/dists/" + want + "/InRelease"
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodHead, probe, nil)
		resp, err := http.DefaultClient.Do(req)
		cancel()
		if err != nil {
			t.Skipf("the Debian archive of this machine's apt sources does not answer (%v): skipping the end-to-end refresh", err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Skipf("the Debian archive of this machine's apt sources answers %s for %s: skipping the end-to-end refresh", resp.Status, probe)
		}
		return u.Scheme + "://" + u.Host, want
	}
	t.Skipf("this machine's apt sources name no %s suite: no Debian archive to refresh from", want)
	return "", ""
}

func hasSuite(img Image, suite string) bool {
	for _, s := range parseAptSources(img.Files) {
		if s.suite == suite {
			return true
		}
	}
	return false
}

// imageInputs reads what Check needs from the image with docker cp (the
// integration will take it from slimpy's own inventories): the wanted
// files and the dpkg database.
func imageInputs(t *testing.T, image string) Image {
	t.Helper()
	name := fmt.Sprintf("h16-refresh-e2e-%d-%d", os.Getpid(), time.Now().UnixNano())
	if out, err := exec.Command("docker", "create", "--name", name, image, "true").CombinedOutput(); err != nil {
		t.Fatalf("docker create: %v: %s", err, out)
	}
	defer exec.Command("docker", "rm", "-f", name).Run()
	img := Image{Files: map[string][]byte{}}
	var status []byte
	for _, dir := range []string{"/etc/apt", "/usr/share/keyrings", "/etc/apk", "/etc/pip.conf", "/var/lib/dpkg/status"} {
		out, err := exec.Command("docker", "cp", name+":"+dir, "-").Output()
		if err != nil {
			continue // the image has no such path
		}
		tr := tar.NewReader(bytes.NewReader(out))
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			if h.Typeflag != tar.TypeReg || h.Size > MaxFileBytes {
				continue
			}
			// docker cp names entries after the last element of the path.
			p := path.Join(path.Dir(dir), h.Name)
			data, _ := io.ReadAll(tr)
			switch {
			case p == "/var/lib/dpkg/status":
				status = data
			case Wanted(p):
				img.Files[p] = data
			}
		}
	}
	if status == nil {
		t.Fatalf("%s has no /var/lib/dpkg/status", image)
	}
	img.Dpkg = dpkgStatus(status)
	return img
}

// dpkgStatus reads the installed packages of a dpkg status file.
func dpkgStatus(data []byte) []InstalledPackage {
	var out []InstalledPackage
	for _, st := range deb822Stanzas(string(data)) {
		if strings.HasSuffix(st["status"], " installed") {
			out = append(out, InstalledPackage{Name: st["package"], Version: st["version"], Arch: st["architecture"]})
		}
	}
	return out
}

// aptListUpgradable runs apt-get update and apt list --upgradable in a
// container of the image: "name:arch installed -> candidate" lines.
func aptListUpgradable(t *testing.T, image string) []string {
	t.Helper()
	name := fmt.Sprintf("h16-refresh-e2e-apt-%d-%d", os.Getpid(), time.Now().UnixNano())
	cmd := exec.Command("docker", "run", "--rm", "--name", name, "--network", "host", image,
		"sh", "-c", "apt-get update -qq >/dev/null && apt list --upgradable 2>/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("apt-get update in a container of %s: %v: %s", image, err, stderr.String())
	}
	lines, err := parseUpgradable(out)
	if err != nil {
		t.Fatal(err)
	}
	var list []string
	for _, l := range lines {
		list = append(list, fmt.Sprintf("%s:%s %s -> %s", l.name, l.arch, l.from, l.candidate))
	}
	return list
}

type upgradable struct{ name, suites, candidate, arch, from string }

// parseUpgradable reads apt list --upgradable:
// "apt/oldstable-security 2.6.2 amd64 [upgradable from: 2.6.1]".
func parseUpgradable(out []byte) ([]upgradable, error) {
	var list []upgradable
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "Listing") {
			continue
		}
		f := strings.Fields(line)
		name, suites, ok := strings.Cut(f[0], "/")
		if len(f) != 6 || !ok || f[3] != "[upgradable" {
			return nil, errors.New("not an apt list line: " + line)
		}
		list = append(list, upgradable{name, suites, f[1], f[2], strings.TrimSuffix(f[5], "]")})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].name < list[j].name })
	return list, nil
}

// checkRecorded: what apt list --upgradable printed in the final image when
// it was built (scripts/debian-images.sh) is still found, each at the
// recorded candidate or a newer one (an archive only moves forward).
func checkRecorded(t *testing.T, got []string) {
	dir := os.Getenv("SLIMPY_TESTIMAGES")
	if dir == "" {
		dir = "/var/cache/slimpy-testimages"
	}
	data, err := os.ReadFile(filepath.Join(dir, "upgradable-final.txt"))
	if err != nil {
		t.Logf("no record of the build's upgradable packages: %v", err)
		return
	}
	recorded, err := parseUpgradable(data)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{} // name:arch → candidate
	for _, g := range got {
		key, rest, _ := strings.Cut(g, " ")
		_, cand, _ := strings.Cut(rest, " -> ")
		found[key] = cand
	}
	for _, r := range recorded {
		cand, ok := found[r.name+":"+r.arch]
		if !ok || debversion.Compare(cand, r.candidate) < 0 {
			t.Errorf("%s was upgradable to %s when the image was built (upgradable-final.txt); the refresh finds %q", r.name, r.candidate, cand)
		}
	}
	t.Logf("the %d packages recorded upgradable at build time are all found", len(recorded))
}
