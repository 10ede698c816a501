// Package debversion parses and orders Debian package versions as dpkg does.
package debversion

import (
	"strconv"
	"strings"
)

// Version is a Debian package version, [epoch:]upstream[-revision], as
// Debian Policy §5.6.12 defines it.
type Version struct {
	Epoch    int
	Upstream string
	Revision string
}

// Parse splits a version string. It is lenient, as dpkg is when it
// reads a database: a missing or non-numeric epoch is 0, and the revision is
// what follows the last hyphen.
func Parse(s string) Version {
	s = strings.TrimSpace(s)
	var v Version
	if i := strings.IndexByte(s, ':'); i >= 0 {
		if e, err := strconv.Atoi(s[:i]); err == nil && e >= 0 {
			v.Epoch = e
		}
		s = s[i+1:]
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.Upstream, v.Revision = s[:i], s[i+1:]
	} else {
		v.Upstream = s
	}
	return v
}

// String formats the version the way dpkg prints it, so that
// Parse reads it back: the epoch is left out when it is 0 and
// the revision when it is empty, unless a ':' or '-' in the rest would
// then be read as theirs ("0:1:2", "1.0-2-").
func (v Version) String() string {
	s := v.Upstream
	if v.Revision != "" || strings.IndexByte(s, '-') >= 0 {
		s += "-" + v.Revision
	}
	if v.Epoch != 0 || strings.IndexByte(s, ':') >= 0 {
		s = strconv.Itoa(v.Epoch) + ":" + s
	}
	return s
}

// Compare compares two version strings as dpkg does (dpkg
// --compare-versions): negative when a < b, zero when equal, positive when
// a > b.
func Compare(a, b string) int {
	return Parse(a).Compare(Parse(b))
}

// Compare orders versions by epoch, then upstream version, then revision,
// the last two with the Policy's algorithm (see verrevcmp).
func (v Version) Compare(w Version) int {
	if v.Epoch != w.Epoch {
		if v.Epoch < w.Epoch {
			return -1
		}
		return 1
	}
	if c := verrevcmp(v.Upstream, w.Upstream); c != 0 {
		return sign(c)
	}
	return sign(verrevcmp(v.Revision, w.Revision))
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// verrevcmp is dpkg's comparison of upstream versions and revisions: the
// strings are compared from the left in alternating runs of non-digits and
// digits. Non-digit runs compare character by character where letters sort
// before non-letters and '~' before everything, even the end of the string
// ("1.0~rc1" < "1.0" < "1.0a" < "1.0+b1"); digit runs compare numerically
// (leading zeros do not count). An absent run counts as empty or 0.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(a, i), order(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

// order is the weight of the character at s[i] in a non-digit run; the end
// of the string (and a digit, which ends the run) weighs 0.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
		return int(c)
	case c == '~':
		return -1
	}
	return int(c) + 256
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
