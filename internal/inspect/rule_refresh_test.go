package inspect

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/refresh"
)

// TestRefreshedRules: SP407-SP409 turn a refresh's answers into findings
// on the layer that installed each package, high where a security suite or
// a known vulnerability is involved, saying where and when the answers
// were fetched and when a signature was not checked; without a refresh
// they find nothing.
func TestRefreshedRules(t *testing.T) {
	a := analyzeFixture(t, "docker-archive:"+filepath.Join(fixtureDir, "demo.tar"))
	var gcc OSPackage
	for _, p := range a.Inventory.OS {
		if p.Name == "gcc-12" {
			gcc = p
		}
	}
	var dist PythonDist
	for _, d := range a.Inventory.Python {
		if d.Installer == "pip" {
			dist = d
			break
		}
	}
	if gcc.Name == "" || dist.Name == "" {
		t.Fatalf("the demo image lacks gcc-12 or a pip distribution: %+v / %+v", gcc, dist)
	}
	fetched := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	src := func(url string, verified bool) []refresh.Source {
		s := refresh.Source{URL: url, Fetched: fetched, Verified: verified}
		if !verified {
			s.NotVerified = "no key of the image signs it"
		}
		return []refresh.Source{s}
	}
	res := &refresh.Result{
		OS: []refresh.Package{{Name: "gcc-12", Arch: gcc.Arch, Manager: "dpkg", Installed: gcc.Version, Candidate: gcc.Version + "+deb12u1",
			Suite: "bookworm-security", Security: true, Sources: src("http://deb.example/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz", true)}},
		Python: []refresh.Package{
			{Name: dist.Name, Manager: "python", Installed: dist.Version, Candidate: "99.0",
				Vulnerabilities: []refresh.Vulnerability{{ID: "PYSEC-2099-1", Aliases: []string{"CVE-2099-1"}, FixedIn: []string{"99.0"}}},
				Sources:         src("https://index.example/pypi/x/json", false)},
			{Name: "not-installed", Manager: "python", Installed: "1.0", Candidate: "2.0", Sources: src("https://index.example/pypi/y/json", false)},
		},
	}
	for _, f := range RunRules(a, Config{Now: fetched}) {
		if strings.HasPrefix(f.Rule, "SP40") && f.Rule >= "SP407" {
			t.Errorf("without a refresh: %s %s", f.Rule, f.Title)
		}
	}
	got := map[string]Finding{}
	for _, f := range RunRules(a, Config{Now: fetched, Refresh: res}) {
		if f.Rule == "SP407" || f.Rule == "SP408" || f.Rule == "SP409" {
			got[f.Rule] = f
		}
	}
	os := got["SP407"]
	if os.Severity != SeverityHigh || os.Layer != gcc.Layer || len(os.Packages) != 1 || !os.Packages[0].Security || os.Packages[0].Suite != "bookworm-security" ||
		!strings.Contains(os.Title, "from deb.example (fetched 2026-12-05)") {
		t.Errorf("SP407: %+v", os)
	}
	vuln := got["SP408"]
	if vuln.Severity != SeverityHigh || vuln.Layer != dist.Layer || len(vuln.Packages) != 1 || vuln.Packages[0].Note != "PYSEC-2099-1" ||
		len(vuln.Packages[0].Vulnerabilities) != 1 || !strings.Contains(vuln.Title, "not verified: no key of the image signs it") {
		t.Errorf("SP408: %+v", vuln)
	}
	old := got["SP409"]
	if old.Severity != SeverityLow || old.Layer != -1 || len(old.Packages) != 1 || old.Packages[0].Name != "not-installed" || old.Packages[0].Available != "2.0" {
		t.Errorf("SP409: %+v", old)
	}
}
