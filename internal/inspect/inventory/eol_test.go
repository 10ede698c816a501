package inventory

import (
	"strings"
	"testing"
	"time"
)

// TestEOLTablesCurrent fails once today (the default --now) is more than a
// year past the day the end-of-life tables were last brought up to date:
// releases have come out since that no table holds. Check every table
// against endoflife.date, add the new releases, and move EOLSnapshot.
func TestEOLTablesCurrent(t *testing.T) {
	if EOLTablesStale(time.Now()) {
		t.Fatalf("the end-of-life tables of %s are more than a year old: add the releases since (internal/inspect/inventory/eol.go) and move EOLSnapshot", EOLSnapshot)
	}
	snap := day(EOLSnapshot)
	if EOLTablesStale(snap.AddDate(1, 0, 0)) || !EOLTablesStale(snap.AddDate(1, 0, 1)) {
		t.Errorf("EOLTablesStale turns on the day after %s plus a year", EOLSnapshot)
	}
}

// TestEOLTablesOrder: every release a table holds has a name that says which one
// it is, and a newer release never ends before an older one of the same
// table (a typo in a date would break that).
func TestEOLTablesOrder(t *testing.T) {
	tables := []struct {
		name  string
		table map[string]Release
		word  string
	}{
		{"debian", debianEOL, "Debian "},
		{"ubuntu", ubuntuEOL, "Ubuntu "},
		{"alpine", alpineEOL, "Alpine "},
		{"python", pythonEOL, "Python "},
	}
	for _, tb := range tables {
		keys := make([]string, 0, len(tb.table))
		for k, r := range tb.table {
			if !strings.HasPrefix(r.Name, tb.word+k) || r.EOL.IsZero() {
				t.Errorf("%s[%q] = %+v", tb.name, k, r)
			}
			if !r.LTS.IsZero() && r.LTS.Before(r.EOL) {
				t.Errorf("%s: LTS ends before regular support", r.Name)
			}
			keys = append(keys, k)
		}
		for _, a := range keys {
			for _, b := range keys {
				if CompareReleases(a, b) < 0 && tb.table[a].EOL.After(tb.table[b].EOL) {
					t.Errorf("%s ends after the newer %s", tb.table[a].Name, tb.table[b].Name)
				}
			}
		}
	}
}

// TestEOLReleasesOfDecember2026: the releases added when the tables were
// brought up to date (endoflife.date; python/peps release_management).
func TestEOLReleasesOfDecember2026(t *testing.T) {
	for _, c := range []struct {
		os      map[string]string
		python  string
		name    string
		eol     string
		lts     string
		pastEOL bool // on 2026-12-04
	}{
		{python: "3.15.0", name: "Python 3.15", eol: "2031-10-31"},
		{python: "3.14.2", name: "Python 3.14", eol: "2030-10-31"},
		{os: map[string]string{"ID": "alpine", "VERSION_ID": "3.16.9"}, name: "Alpine 3.16", eol: "2024-05-23", pastEOL: true},
		{os: map[string]string{"ID": "alpine", "VERSION_ID": "3.12.0"}, name: "Alpine 3.12", eol: "2022-05-01", pastEOL: true},
		{os: map[string]string{"ID": "alpine", "VERSION_ID": "3.0.6"}, name: "Alpine 3.0", eol: "2016-05-01", pastEOL: true},
		{os: map[string]string{"ID": "debian", "VERSION_ID": "8"}, name: "Debian 8 (jessie)", eol: "2018-06-17", lts: "2020-06-30", pastEOL: true},
		{os: map[string]string{"ID": "ubuntu", "VERSION_ID": "14.04"}, name: "Ubuntu 14.04 LTS", eol: "2019-04-02", pastEOL: true},
	} {
		var r Release
		var ok bool
		if c.python != "" {
			r, ok = PythonRelease(c.python)
		} else {
			r, ok = OSRelease(c.os, "")
		}
		if !ok || r.Name != c.name || r.EOL.Format(time.DateOnly) != c.eol ||
			(c.lts != "" && r.LTS.Format(time.DateOnly) != c.lts) {
			t.Errorf("%s: %+v, %v; want EOL %s LTS %q", c.name, r, ok, c.eol, c.lts)
			continue
		}
		// Past the end of support, extended support (LTS) included: what
		// SP401 and SP402 flag as high.
		end := r.EOL
		if !r.LTS.IsZero() {
			end = r.LTS
		}
		if past := !day("2026-12-04").Before(end); past != c.pastEOL {
			t.Errorf("%s on 2026-12-04: past its end of life %v, want %v", r.Name, past, c.pastEOL)
		}
	}
	if _, ok := OSRelease(map[string]string{"ID": "alpine", "VERSION_ID": "2.7.0"}, ""); ok {
		t.Errorf("Alpine 2.x is not in the table")
	}
}
