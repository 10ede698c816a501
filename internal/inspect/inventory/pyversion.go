package inventory

import "strings"

// CompareReleases compares two PEP 440 versions by their epochs ("1!")
// and their numeric release parts ("23.2.1" < "23.3", "70.0" = "70.0.0",
// of any size); a pre-release suffix ("24.0rc1", "1.0b2", "2.0.dev1")
// sorts before the release it precedes. Pre-releases of one release are
// not told apart, nor are post and local releases from their release.
func CompareReleases(a, b string) int {
	ea, ra, pa := splitRelease(a)
	eb, rb, pb := splitRelease(b)
	if c := compareNumbers(ea, eb); c != 0 {
		return c
	}
	for i := 0; i < len(ra) || i < len(rb); i++ {
		x, y := "", ""
		if i < len(ra) {
			x = ra[i]
		}
		if i < len(rb) {
			y = rb[i]
		}
		if c := compareNumbers(x, y); c != 0 {
			return c
		}
	}
	switch {
	case pa && !pb:
		return -1
	case !pa && pb:
		return 1
	}
	return 0
}

// compareNumbers compares runs of digits without leading zeros ("" is 0)
// as numbers, whatever their length.
func compareNumbers(x, y string) int {
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// splitRelease reads "[v][N!]N(.N)*" from the start of a version (a local
// "+..." ignored): the epoch and the release's numbers as digits without
// leading zeros, and whether a pre/dev-release suffix follows.
func splitRelease(v string) (epoch string, release []string, pre bool) {
	v = strings.TrimSpace(strings.ToLower(v))
	v, _, _ = strings.Cut(v, "+")
	v = strings.TrimPrefix(v, "v")
	if i := strings.IndexByte(v, '!'); i > 0 && strings.Trim(v[:i], "0123456789") == "" {
		epoch = strings.TrimLeft(v[:i], "0")
		v = strings.TrimPrefix(v[i+1:], "v")
	}
	i := 0
	for i < len(v) {
		j := i
		for j < len(v) && isDigit(v[j]) {
			j++
		}
		if j == i {
			break
		}
		release = append(release, strings.TrimLeft(v[i:j], "0"))
		i = j
		if i < len(v) && v[i] == '.' && i+1 < len(v) && isDigit(v[i+1]) {
			i++
			continue
		}
		break
	}
	rest := v[i:]
	pre = strings.HasPrefix(rest, "a") || strings.HasPrefix(rest, "b") || strings.HasPrefix(rest, "rc") ||
		strings.HasPrefix(rest, "c") || strings.HasPrefix(rest, ".dev") || strings.HasPrefix(rest, "dev") ||
		strings.HasPrefix(rest, "-alpha") || strings.HasPrefix(rest, "-beta") || strings.HasPrefix(rest, ".a") ||
		strings.HasPrefix(rest, ".b") || strings.HasPrefix(rest, ".rc") || strings.HasPrefix(rest, "-rc")
	return epoch, release, pre
}
