package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/inventory"
)

// evalNow is the date the EOL tables are read at.
var evalNow = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func TestIgnoreGlobs(t *testing.T) {
	m := newIgnoreMatcher([]string{"/app/tests", "*.pem", "/srv/**/cache", "/opt/x?/*.log"})
	for p, want := range map[string]bool{
		"/app/tests":             true,
		"/app/tests/test_a.py":   true,
		"/app/testsuite/a":       false,
		"/etc/ssl/x.pem":         true,
		"/srv/cache/a":           true,
		"/srv/a/b/cache/c":       true,
		"/opt/x1/a.log":          true,
		"/opt/x12/a.log":         false,
		"/opt/x1/sub/a.log":      false,
		"/usr/share/doc/a.pem/b": true,
	} {
		if got := m.ignored(p); got != want {
			t.Errorf("ignored(%s) = %v, want %v", p, got, want)
		}
	}
}

func TestEOLTables(t *testing.T) {
	for _, c := range []struct {
		os      map[string]string
		debVer  string
		name    string
		wantSev Severity
	}{
		{map[string]string{"ID": "debian", "VERSION_ID": "11"}, "", "Debian 11 (bullseye)", SeverityHigh},
		{map[string]string{"ID": "debian"}, "12.4", "Debian 12 (bookworm)", SeverityMedium},
		{map[string]string{"ID": "debian", "VERSION_ID": "13"}, "", "Debian 13 (trixie)", ""},
		{map[string]string{"ID": "ubuntu", "VERSION_ID": "20.04"}, "", "Ubuntu 20.04 LTS", SeverityHigh},
		{map[string]string{"ID": "alpine", "VERSION_ID": "3.21.2"}, "", "Alpine 3.21", SeverityHigh},
		{map[string]string{"ID": "alpine", "VERSION_ID": "3.22.0"}, "", "Alpine 3.22", ""},
		{map[string]string{"ID": "alpine", "VERSION_ID": "3.18.4"}, "", "Alpine 3.18", SeverityHigh},
	} {
		r, ok := inventory.OSRelease(c.os, c.debVer)
		if !ok || r.Name != c.name {
			t.Errorf("%v: %+v %v", c.os, r, ok)
			continue
		}
		p := &Pass{Now: evalNow, Settings: DefaultConfig()}
		f, found := eolFinding(p, r, r.Name, 0)
		if (c.wantSev == "") == found || (found && f.Severity != c.wantSev) {
			t.Errorf("%s at %s: %v %+v, want severity %q", r.Name, evalNow.Format("2006-01-02"), found, f, c.wantSev)
		}
	}
	// Within eol-warning-days of the end: info.
	r, _ := inventory.OSRelease(map[string]string{"ID": "alpine", "VERSION_ID": "3.22.0"}, "")
	p := &Pass{Now: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), Settings: DefaultConfig()}
	if f, ok := eolFinding(p, r, r.Name, 0); !ok || f.Severity != SeverityInfo || !strings.Contains(f.Title, "in 61 days") {
		t.Errorf("Alpine 3.22 on 2027-03-01: %+v", f)
	}
	if _, ok := inventory.OSRelease(map[string]string{"ID": "ubuntu", "VERSION_ID": "23.10"}, ""); ok {
		t.Errorf("interim Ubuntu releases are not in the table")
	}
	if r, ok := inventory.PythonRelease("3.8.18"); !ok || r.EOL.Format("2006-01-02") != "2024-10-07" {
		t.Errorf("Python 3.8: %+v", r)
	}
}
