package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// rulesExpected is OUT/NAME.rules.json as scripts/rules-figures.sh writes it:
// per rule and per category, the bytes computed with find, stat, dpkg -L and
// awk inside a container of the image, following docs/rules.md.
type rulesExpected struct {
	ImageID string `json:"imageID"`
	Rules   map[string]struct {
		Bytes int64 `json:"bytes"`
		Files int   `json:"files"`
	} `json:"rules"`
	Categories map[string]int64 `json:"categories"`
}

// findingsReport is the rules' part of `slimpy inspect --format json`.
type findingsReport struct {
	Image struct {
		ConfigID string `json:"configDigest"`
	} `json:"image"`
	Totals struct {
		WastedBytes int64 `json:"wastedBytes"`
	} `json:"totals"`
	MetadataOnlyCopies struct {
		Bytes int64 `json:"bytes"`
	} `json:"metadataOnlyCopies"`
	Findings []struct {
		Rule     string `json:"rule"`
		Title    string `json:"title"`
		Category string `json:"category"`
		Bytes    int64  `json:"bytes"`
		Files    int    `json:"files"`
		Packages []struct {
			Name      string `json:"name"`
			Version   string `json:"version"`
			Available string `json:"available"`
		} `json:"packages"`
	} `json:"findings"`
	Categories map[string]int64 `json:"categories"`
}

func loadRulesExpected(t *testing.T, name string) *rulesExpected {
	t.Helper()
	p := filepath.Join(imagesDir(), name+".rules.json")
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		msg := fmt.Sprintf("the rules' figures are not computed (%s is missing): %s", p, howToBuild)
		if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
			t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands them")
		}
		t.Skip(msg + "; set SLIMPY_REQUIRE_REALIMAGES=1 to make this a failure")
	}
	if err != nil {
		t.Fatal(err)
	}
	var e rulesExpected
	if err := json.Unmarshal(b, &e); err != nil || len(e.Rules) == 0 {
		t.Fatalf("%s: %v (%d rules)", p, err, len(e.Rules))
	}
	return &e
}

// inspectFindings runs `slimpy inspect REF --format json` with the rules'
// defaults (an empty config, so that a .slimpy.yaml in the test's directory
// cannot change them).
func inspectFindings(t *testing.T, ref string) *findingsReport {
	t.Helper()
	bin := slimpyCLI(t)
	cfg := filepath.Join(t.TempDir(), "empty.yaml")
	if err := os.WriteFile(cfg, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "inspect", ref, "--format", "json", "--config", cfg)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("slimpy inspect %s: %v\n%s", ref, err, stderr.String())
	}
	var r findingsReport
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil {
		t.Fatalf("slimpy inspect %s: %v", ref, err)
	}
	if r.Categories == nil {
		t.Fatalf("slimpy inspect %s: no categories in the report", ref)
	}
	return &r
}

func testRules(t *testing.T, name string) {
	e, archive := loadExpected(t, name)
	re := loadRulesExpected(t, name)
	if re.ImageID != e.ImageID {
		t.Fatalf("%s.rules.json is for image %s, %s.expected.json for %s: rerun scripts/debian-images.sh", name, re.ImageID, name, e.ImageID)
	}
	ref := "docker-archive:" + archive
	r := inspectFindings(t, ref)
	if r.Image.ConfigID != re.ImageID {
		t.Fatalf("%s is image %s but the rules' figures are for %s: rerun scripts/debian-images.sh --force", ref, r.Image.ConfigID, re.ImageID)
	}
	type sum struct {
		bytes int64
		files int
	}
	got := map[string]sum{}
	for _, f := range r.Findings {
		s := got[f.Rule]
		s.bytes += f.Bytes
		s.files += f.Files
		got[f.Rule] = s
	}
	var bad []string
	rules := make([]string, 0, len(re.Rules))
	for id := range re.Rules {
		rules = append(rules, id)
	}
	sort.Strings(rules)
	for _, id := range rules {
		w := re.Rules[id]
		g := got[id]
		if g.bytes != w.Bytes || g.files != w.Files {
			bad = append(bad, fmt.Sprintf("%s: slimpy %d bytes in %d files, find/dpkg %d in %d (diff %+d)", id, g.bytes, g.files, w.Bytes, w.Files, g.bytes-w.Bytes))
		}
	}
	// Categories whose every rule the script computes (compilers, caches:
	// provided SP202, SP302 and SP305 find nothing in these images, checked
	// below; bytecode also has SP112, not computed).
	for _, c := range []string{"python-tests", "compilers", "headers", "caches", "docs"} {
		if g, w := r.Categories[c], re.Categories[c]; g != w {
			bad = append(bad, fmt.Sprintf("category %s: slimpy %d, find/dpkg %d (diff %+d)", c, g, w, g-w))
		}
	}
	for _, id := range []string{"SP202", "SP302", "SP305"} {
		if g := got[id]; g.bytes != 0 {
			bad = append(bad, fmt.Sprintf("%s: slimpy %d bytes where these images have none", id, g.bytes))
		}
	}
	// Layer waste and metadata-only rewrites are the core's figures, which
	// debian_test.go checks against tar/find: the rules split them exactly.
	if g := got["SP502"].bytes + got["SP503"].bytes; g != r.Totals.WastedBytes {
		bad = append(bad, fmt.Sprintf("SP502+SP503: %d bytes, totals.wastedBytes %d", g, r.Totals.WastedBytes))
	}
	if g := got["SP503"].bytes; g != r.MetadataOnlyCopies.Bytes {
		bad = append(bad, fmt.Sprintf("SP503: %d bytes, metadataOnlyCopies.bytes %d", g, r.MetadataOnlyCopies.Bytes))
	}
	t.Logf("%s: %d rules and 5 categories compared", ref, len(rules))
	if len(bad) > 0 {
		t.Errorf("slimpy's findings on %s differ from %s.rules.json:\n  %s", ref, name, strings.Join(bad, "\n  "))
	}
}

// TestDebianFullRules compares every rule the script computes on the full
// image, and the stale rule with `apt list --upgradable` in that image.
func TestDebianFullRules(t *testing.T) {
	testRules(t, "full")
	_, archive := loadExpected(t, "full")
	want := readUpgradable(t, filepath.Join(imagesDir(), "upgradable-final.txt"))
	got, _ := upgradableOf(inspectFindings(t, "docker-archive:"+archive))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("SP403 upgradable packages:\n  %s\napt list --upgradable in the image:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	t.Logf("SP403: %d upgradable packages, as apt list --upgradable", len(got))
}

// upgradableOf is SP403's packages as readUpgradable writes them, sorted,
// and its findings' titles.
func upgradableOf(r *findingsReport) (pkgs, titles []string) {
	for _, f := range r.Findings {
		if f.Rule != "SP403" {
			continue
		}
		titles = append(titles, f.Title)
		for _, p := range f.Packages {
			pkgs = append(pkgs, p.Name+" "+p.Version+" -> "+p.Available)
		}
	}
	sort.Strings(pkgs)
	return pkgs, titles
}

// TestDebianSlimRules: the slim image has no compilers, tests or caches.
func TestDebianSlimRules(t *testing.T) { testRules(t, "slim") }

// readUpgradable parses `apt list --upgradable` lines:
// "apt/oldstable-security 2.6.2 amd64 [upgradable from: 2.6.1]".
func readUpgradable(t *testing.T, p string) []string {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Skipf("%v: %s", err, howToBuild)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, "[upgradable from: ")
		if i < 0 {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		name, _, _ := strings.Cut(fields[0], "/")
		from := strings.TrimSuffix(line[i+len("[upgradable from: "):], "]")
		out = append(out, name+" "+from+" -> "+fields[1])
	}
	sort.Strings(out)
	return out
}
