package inventory

import (
	"strings"
	"time"
)

// EOLSnapshot is the day the end-of-life tables below were last checked
// against endoflife.date and the projects' own release pages. A release
// missing from a table is not judged, so the tables must follow every
// release: EOLTablesStale says when they have not for too long.
const EOLSnapshot = "2026-12-04"

// EOLTablesStale reports whether now is more than a year past
// EOLSnapshot, the newest date the tables know of. By then a release
// they do not hold has certainly come out (CPython every October, Alpine
// every six months), and images on it would silently go unjudged.
func EOLTablesStale(now time.Time) bool {
	return now.After(day(EOLSnapshot).AddDate(1, 0, 0))
}

// Release is one release of an OS or of CPython with its support dates.
type Release struct {
	Name string // "Debian 12 (bookworm)", "Python 3.11"
	// EOL is the end of regular security support.
	EOL time.Time
	// LTS is the end of extended support where there is one (Debian LTS);
	// zero otherwise.
	LTS time.Time
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// debianEOL is keyed by major version (VERSION_ID).
var debianEOL = map[string]Release{
	"8":  {"Debian 8 (jessie)", day("2018-06-17"), day("2020-06-30")},
	"9":  {"Debian 9 (stretch)", day("2020-07-18"), day("2022-07-01")},
	"10": {"Debian 10 (buster)", day("2022-09-10"), day("2024-06-30")},
	"11": {"Debian 11 (bullseye)", day("2024-08-14"), day("2026-08-31")},
	"12": {"Debian 12 (bookworm)", day("2026-07-11"), day("2028-06-30")},
	"13": {"Debian 13 (trixie)", day("2028-08-09"), day("2030-06-30")},
}

// ubuntuEOL holds the LTS releases' end of standard support.
var ubuntuEOL = map[string]Release{
	"14.04": {"Ubuntu 14.04 LTS", day("2019-04-02"), time.Time{}},
	"16.04": {"Ubuntu 16.04 LTS", day("2021-04-02"), time.Time{}},
	"18.04": {"Ubuntu 18.04 LTS", day("2023-05-31"), time.Time{}},
	"20.04": {"Ubuntu 20.04 LTS", day("2025-05-31"), time.Time{}},
	"22.04": {"Ubuntu 22.04 LTS", day("2027-04-01"), time.Time{}},
	"24.04": {"Ubuntu 24.04 LTS", day("2029-05-31"), time.Time{}},
	"26.04": {"Ubuntu 26.04 LTS", day("2031-04-30"), time.Time{}},
}

// alpineEOL is keyed by "3.N".
var alpineEOL = map[string]Release{
	"3.0":  {"Alpine 3.0", day("2016-05-01"), time.Time{}},
	"3.1":  {"Alpine 3.1", day("2016-11-01"), time.Time{}},
	"3.2":  {"Alpine 3.2", day("2017-05-01"), time.Time{}},
	"3.3":  {"Alpine 3.3", day("2017-11-01"), time.Time{}},
	"3.4":  {"Alpine 3.4", day("2018-05-01"), time.Time{}},
	"3.5":  {"Alpine 3.5", day("2018-11-01"), time.Time{}},
	"3.6":  {"Alpine 3.6", day("2019-05-01"), time.Time{}},
	"3.7":  {"Alpine 3.7", day("2019-11-01"), time.Time{}},
	"3.8":  {"Alpine 3.8", day("2020-05-01"), time.Time{}},
	"3.9":  {"Alpine 3.9", day("2020-11-01"), time.Time{}},
	"3.10": {"Alpine 3.10", day("2021-05-01"), time.Time{}},
	"3.11": {"Alpine 3.11", day("2021-11-01"), time.Time{}},
	"3.12": {"Alpine 3.12", day("2022-05-01"), time.Time{}},
	"3.13": {"Alpine 3.13", day("2022-11-01"), time.Time{}},
	"3.14": {"Alpine 3.14", day("2023-05-01"), time.Time{}},
	"3.15": {"Alpine 3.15", day("2023-11-01"), time.Time{}},
	"3.16": {"Alpine 3.16", day("2024-05-23"), time.Time{}},
	"3.17": {"Alpine 3.17", day("2024-11-22"), time.Time{}},
	"3.18": {"Alpine 3.18", day("2025-05-09"), time.Time{}},
	"3.19": {"Alpine 3.19", day("2025-11-01"), time.Time{}},
	"3.20": {"Alpine 3.20", day("2026-04-01"), time.Time{}},
	"3.21": {"Alpine 3.21", day("2026-11-01"), time.Time{}},
	"3.22": {"Alpine 3.22", day("2027-05-01"), time.Time{}},
	"3.23": {"Alpine 3.23", day("2027-11-01"), time.Time{}},
	"3.24": {"Alpine 3.24", day("2028-06-01"), time.Time{}},
}

// pythonEOL is CPython's end of security support, keyed by "3.N". The
// release PEPs give a month; endoflife.date, like this table, its last
// day. 3.0–3.5 are left out: 2.7 outlived them, and an older interpreter
// never ends after a newer one here (FuzzPythonVersion).
var pythonEOL = map[string]Release{
	"2.7":  {"Python 2.7", day("2020-01-01"), time.Time{}},
	"3.6":  {"Python 3.6", day("2021-12-23"), time.Time{}},
	"3.7":  {"Python 3.7", day("2023-06-27"), time.Time{}},
	"3.8":  {"Python 3.8", day("2024-10-07"), time.Time{}},
	"3.9":  {"Python 3.9", day("2025-10-31"), time.Time{}},
	"3.10": {"Python 3.10", day("2026-10-31"), time.Time{}},
	"3.11": {"Python 3.11", day("2027-10-31"), time.Time{}},
	"3.12": {"Python 3.12", day("2028-10-31"), time.Time{}},
	"3.13": {"Python 3.13", day("2029-10-31"), time.Time{}},
	"3.14": {"Python 3.14", day("2030-10-31"), time.Time{}},
	"3.15": {"Python 3.15", day("2031-10-31"), time.Time{}},
}

// OSRelease finds the release of the image's OS from os-release fields
// (ID, ID_LIKE, VERSION_ID) and, for Debian without a VERSION_ID, the
// content of /etc/debian_version ("12.4"). ok is false for an OS or a
// release the tables do not hold (testing, sid, interim Ubuntu releases).
func OSRelease(osRelease map[string]string, debianVersion string) (Release, bool) {
	id := strings.ToLower(osRelease["ID"])
	ver := osRelease["VERSION_ID"]
	switch id {
	case "debian":
		if ver == "" {
			ver = strings.TrimSpace(debianVersion)
		}
		major, _, _ := strings.Cut(ver, ".")
		r, ok := debianEOL[major]
		return r, ok
	case "ubuntu":
		r, ok := ubuntuEOL[ver]
		return r, ok
	case "alpine":
		parts := strings.SplitN(ver, ".", 3)
		if len(parts) < 2 {
			return Release{}, false
		}
		r, ok := alpineEOL[parts[0]+"."+parts[1]]
		return r, ok
	case "":
		// No os-release: a bare /etc/debian_version still names Debian.
		if debianVersion != "" {
			major, _, _ := strings.Cut(strings.TrimSpace(debianVersion), ".")
			r, ok := debianEOL[major]
			return r, ok
		}
	}
	return Release{}, false
}

// PythonRelease returns the release of an interpreter version ("3.11" or
// "3.11.7").
func PythonRelease(version string) (Release, bool) {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return Release{}, false
	}
	r, ok := pythonEOL[parts[0]+"."+parts[1]]
	return r, ok
}
