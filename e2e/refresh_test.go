package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestRefreshFindsWhatAptFound runs `slimpy inspect --refresh` on the real
// Debian-built full image, whose build recorded what `apt list
// --upgradable` printed at its end (upgradable-final.txt), against the
// Debian archive its own sources name: SP407 lists every one of those
// packages, at the recorded candidate or a later one (the archive moves on),
// each marked security where the suite is a security suite, and says where
// and when the answer was fetched. It skips where the archive cannot be
// reached (the refresh then warns on stderr, and the rest still prints).
func TestRefreshFindsWhatAptFound(t *testing.T) {
	_, archive := loadExpected(t, "full")
	recorded := map[string]string{} // name → installed version
	for _, l := range readUpgradable(t, filepath.Join(imagesDir(), "upgradable-final.txt")) {
		name, rest, _ := strings.Cut(l, " ")
		from, _, _ := strings.Cut(rest, " -> ")
		recorded[name] = from
	}
	if len(recorded) == 0 {
		t.Skip("the build recorded no upgradable package: nothing to compare")
	}
	bin := slimpyCLI(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "inspect", "docker-archive:"+archive, "--format", "json",
		"--refresh", "--cache-dir", t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("slimpy inspect --refresh: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(stderr.String(), "\n") {
		if strings.Contains(line, "--refresh:") && strings.Contains(line, "deb") {
			t.Skipf("the Debian archive cannot be reached from here: %s", line)
		}
	}
	var r struct {
		Findings []struct {
			Rule     string `json:"rule"`
			Severity string `json:"severity"`
			Title    string `json:"title"`
			Packages []struct {
				Name      string `json:"name"`
				Version   string `json:"version"`
				Available string `json:"available"`
				Suite     string `json:"suite"`
				Security  bool   `json:"security"`
			} `json:"packages"`
		} `json:"findings"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	found := map[string]string{} // name → installed version
	for _, f := range r.Findings {
		if f.Rule != "SP407" {
			continue
		}
		if !strings.Contains(f.Title, "fetched ") {
			t.Errorf("SP407 does not say when its answer was fetched: %q", f.Title)
		}
		for _, p := range f.Packages {
			found[p.Name] = p.Version
			if p.Security != strings.Contains(p.Suite, "-security") {
				t.Errorf("%s: suite %q, security %v", p.Name, p.Suite, p.Security)
			}
			if p.Security && f.Severity != "high" {
				t.Errorf("%s comes from a security suite, the finding is %s", p.Name, f.Severity)
			}
		}
	}
	var missing []string
	for name, installed := range recorded {
		if found[name] != installed {
			missing = append(missing, name+" "+installed)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("SP407 lacks packages apt listed as upgradable at the end of the build: %s\nfound: %v", strings.Join(missing, ", "), found)
	}
	t.Logf("SP407: %d packages (the build recorded %d)", len(found), len(recorded))
}

// TestHiddenAptListsCount: the full image with its apt lists deleted by a
// later RUN (what most naive Dockerfiles do) still gets SP403, from the
// lists the apt-get update layer stored: every package `apt list
// --upgradable` printed in the built image with those lists
// (upgradable-final.txt, recorded by the build; right after the update a
// few more were, which later installs upgraded as dependencies), and the
// title says the lists date from that layer's build.
func TestHiddenAptListsCount(t *testing.T) {
	requireDocker(t)
	loadExpected(t, "full")
	want := readUpgradable(t, filepath.Join(imagesDir(), "upgradable-final.txt"))
	b := make([]byte, 4)
	rand.Read(b)
	tag := "slimpy-e2e/hidden-lists:" + hex.EncodeToString(b)
	build := exec.Command("docker", "build", "-q", "-t", tag, "-")
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	build.Stdin = strings.NewReader("FROM local/slimpy-test:full\nRUN rm -rf /var/lib/apt/lists/*\n")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	got, titles := upgradableOf(inspectFindings(t, "docker-daemon:"+tag))
	for _, title := range titles {
		if !strings.Contains(title, "deleted later: they date from that build") {
			t.Errorf("SP403 does not say its lists were deleted later: %q", title)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SP403 from the hidden lists:\n  %s\napt list --upgradable in the built image:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	t.Logf("SP403 from the hidden lists: %d packages, as apt printed in the built image", len(got))
}
