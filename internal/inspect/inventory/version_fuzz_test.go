package inventory

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/slimpy/slimpy/internal/debversion"
)

// The version comparators and the end-of-life lookups are fuzzed for the
// properties an order must have (reflexive, antisymmetric, transitive over
// triples), against a small reference for what each must get exactly
// right, and, for the committed seeds, against the real tools: dpkg
// --compare-versions and pip's own packaging.version, when installed.
//
//	go test ./internal/inspect/inventory -run '^$' -fuzz '^FuzzDebVersion$' -parallel 2
//	(FuzzPythonVersion, FuzzEOLLookup likewise)

// checkOrder checks that cmp is an order on a, b and c.
func checkOrder(t *testing.T, cmp func(a, b string) int, a, b, c string) {
	t.Helper()
	for _, x := range []string{a, b, c} {
		if r := cmp(x, x); r != 0 {
			t.Fatalf("compare(%q, %q) = %d, want 0", x, x, r)
		}
	}
	pairs := [][2]string{{a, b}, {b, c}, {a, c}}
	for _, p := range pairs {
		x, y := cmp(p[0], p[1]), cmp(p[1], p[0])
		if x < -1 || x > 1 || x != -y {
			t.Fatalf("compare(%q, %q) = %d but compare(%q, %q) = %d", p[0], p[1], x, p[1], p[0], y)
		}
	}
	// Every order of the three: x ≤ y ≤ z implies x ≤ z, strictly when
	// either step is strict.
	for _, o := range [][3]string{{a, b, c}, {a, c, b}, {b, a, c}, {b, c, a}, {c, a, b}, {c, b, a}} {
		xy, yz, xz := cmp(o[0], o[1]), cmp(o[1], o[2]), cmp(o[0], o[2])
		if xy <= 0 && yz <= 0 && (xz > 0 || (xy < 0 || yz < 0) && xz == 0) {
			t.Fatalf("not transitive: %q %d %q, %q %d %q, but %q %d %q", o[0], xy, o[1], o[1], yz, o[2], o[0], xz, o[2])
		}
	}
}

// FuzzDebVersion: debversion.Compare is an order, and a parsed version
// (without embedded spaces, which dpkg refuses) printed with String parses
// back to itself and compares equal to what it was read from.
func FuzzDebVersion(f *testing.F) {
	f.Add("1.0~rc1", "1.0", "1.0+b1")
	f.Add("1:2.3-4", "2.3-4", "1.2-3-4")
	f.Add("2.36-9+deb12u4", "2.36-9+deb12u10", "2.36-9")
	f.Add("~~", "~~a", "")
	f.Add("1.01", "1.1", "1.0001")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, debversion.Compare, a, b, c)
		for _, s := range []string{a, b, c} {
			if strings.IndexFunc(strings.TrimSpace(s), unicode.IsSpace) >= 0 {
				continue // dpkg refuses embedded spaces; no round trip to keep
			}
			v := debversion.Parse(s)
			back := debversion.Parse(v.String())
			if back != v {
				t.Fatalf("%q parses as %+v, printed %q, which parses as %+v", s, v, v.String(), back)
			}
			if debversion.Compare(s, v.String()) != 0 {
				t.Fatalf("%q and its String %q differ", s, v.String())
			}
		}
	})
}

// pep440 is the subset of PEP 440 the reference below orders exactly:
// an epoch, the release, one pre-release.
var pep440 = regexp.MustCompile(`^v?(?:([0-9]+)!)?([0-9]+(?:\.[0-9]+)*)((?:a|b|rc)[0-9]+)?$`)

// cmpDigits compares two runs of digits as numbers of any size.
func cmpDigits(x, y string) int {
	x, y = strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
	if len(x) != len(y) {
		if len(x) < len(y) {
			return -1
		}
		return 1
	}
	return strings.Compare(x, y)
}

// refCompareReleases is what CompareReleases must answer for versions of
// the pep440 subset: epochs, then releases padded with zeros, then a
// pre-release before its final release (pre-releases of one release are
// not told apart).
func refCompareReleases(a, b string) (int, bool) {
	ma, mb := pep440.FindStringSubmatch(a), pep440.FindStringSubmatch(b)
	if ma == nil || mb == nil {
		return 0, false
	}
	if c := cmpDigits(ma[1], mb[1]); c != 0 {
		return c, true
	}
	ra, rb := strings.Split(ma[2], "."), strings.Split(mb[2], ".")
	for i := 0; i < len(ra) || i < len(rb); i++ {
		x, y := "0", "0"
		if i < len(ra) {
			x = ra[i]
		}
		if i < len(rb) {
			y = rb[i]
		}
		if c := cmpDigits(x, y); c != 0 {
			return c, true
		}
	}
	switch pa, pb := ma[3] != "", mb[3] != ""; {
	case pa && !pb:
		return -1, true
	case !pa && pb:
		return 1, true
	}
	return 0, true
}

// FuzzPythonVersion: CompareReleases (the stale rules' PEP 440
// comparison of pip, setuptools, wheel... versions) is an order, agrees
// with the reference on the versions it covers, and PythonRelease maps
// an older interpreter to a release that ends no later.
func FuzzPythonVersion(f *testing.F) {
	f.Add("23.2.1", "23.3", "24.0rc1")
	f.Add("1!2.0", "2.0", "v2.0.0")
	f.Add("70.0.0", "70.0", "69.5.1+local")
	f.Add("3.11.7", "3.9", "3.12.0b1")
	f.Add("2.0.dev1", "2.0.post1", "2.0-alpha")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		checkOrder(t, CompareReleases, a, b, c)
		for _, p := range [][2]string{{a, b}, {b, c}, {a, c}} {
			if want, ok := refCompareReleases(p[0], p[1]); ok {
				if got := CompareReleases(p[0], p[1]); got != want {
					t.Fatalf("inventory.CompareReleases(%q, %q) = %d, want %d", p[0], p[1], got, want)
				}
			}
			ra, oka := PythonRelease(p[0])
			rb, okb := PythonRelease(p[1])
			if oka && okb && CompareReleases(p[0], p[1]) < 0 && ra.EOL.After(rb.EOL) {
				t.Fatalf("Python %q is older than %q but %s ends after %s", p[0], p[1], ra.Name, rb.Name)
			}
		}
	})
}

// seedStrings reads the string arguments of the committed seeds of a fuzz
// target (testdata/fuzz/NAME/*, "go test fuzz v1" files).
func seedStrings(t *testing.T, name string) [][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", name, "*"))
	var out [][]string
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var args []string
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			l := sc.Text()
			if q, ok := strings.CutPrefix(l, "string("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				args = append(args, s)
			}
		}
		out = append(out, args)
	}
	return out
}

// versionPairs are the seeds' pairs plus the ones of the tests above.
func versionPairs(t *testing.T, target string, extra ...[2]string) [][2]string {
	pairs := append([][2]string(nil), extra...)
	for _, args := range seedStrings(t, target) {
		for i := range args {
			for j := i + 1; j < len(args); j++ {
				pairs = append(pairs, [2]string{args[i], args[j]})
			}
		}
	}
	return pairs
}

// TestDebVersionsAgreeWithDpkg compares the committed seeds (and a few
// pairs) with dpkg --compare-versions wherever dpkg finds both versions
// well formed.
func TestDebVersionsAgreeWithDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed")
	}
	pairs := versionPairs(t, "FuzzDebVersion", [2]string{"1.0~rc1", "1.0"}, [2]string{"0:1:2", "1:2"}, [2]string{"1.2-3-4", "1.2-3-10"})
	checked := 0
	for _, p := range pairs {
		dpkg := func(op string) (bool, bool) {
			var stderr bytes.Buffer
			cmd := exec.Command("dpkg", "--compare-versions", "--", p[0], op, p[1])
			cmd.Stderr = &stderr
			err := cmd.Run()
			if stderr.Len() > 0 {
				return false, false // a warning: not a version dpkg vouches for
			}
			if err == nil {
				return true, true
			}
			if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 1 {
				return false, true
			}
			return false, false
		}
		lt, ok1 := dpkg("lt")
		eq, ok2 := dpkg("eq")
		if !ok1 || !ok2 {
			continue
		}
		want := 1
		switch {
		case lt:
			want = -1
		case eq:
			want = 0
		}
		checked++
		if got := debversion.Compare(p[0], p[1]); got != want {
			t.Errorf("debversion.Compare(%q, %q) = %d; dpkg says %d", p[0], p[1], got, want)
		}
	}
	if checked == 0 {
		t.Fatal("dpkg judged no pair")
	}
}

// TestReleasesAgreeWithPackaging compares the committed seeds of
// FuzzPythonVersion with pip's vendored packaging.version where it finds
// both versions valid: compareReleases may call two versions equal that
// PEP 440 tells apart (a1 and b1 of one release, post and local releases)
// but must never order them the other way, nor tell equal ones apart.
func TestReleasesAgreeWithPackaging(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	const script = `
import sys
try:
    from packaging.version import Version, InvalidVersion
except ImportError:
    try:
        from pip._vendor.packaging.version import Version, InvalidVersion
    except ImportError:
        sys.exit(3)
for line in sys.stdin:
    a, b = line.rstrip("\n").split("\t")
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        print("x"); continue
    print((x > y) - (x < y))
`
	pairs := versionPairs(t, "FuzzPythonVersion", [2]string{"1!1.0", "2.0"}, [2]string{"24.0rc1", "24.0"}, [2]string{"99999999999999999999", "1"})
	var in bytes.Buffer
	var sent [][2]string
	for _, p := range pairs {
		if strings.ContainsAny(p[0]+p[1], "\t\n\r") || !isPrintableASCII(p[0]+p[1]) {
			continue
		}
		in.WriteString(p[0] + "\t" + p[1] + "\n")
		sent = append(sent, p)
	}
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok && ee.ExitCode() == 3 {
		t.Skip("python3 has neither packaging nor pip")
	} else if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(sent) {
		t.Fatalf("%d answers for %d pairs", len(lines), len(sent))
	}
	checked := 0
	for i, l := range lines {
		if l == "x" {
			continue
		}
		want, _ := strconv.Atoi(l)
		got := CompareReleases(sent[i][0], sent[i][1])
		checked++
		if (got != 0 && got != want) || (want == 0 && got != 0) {
			t.Errorf("inventory.CompareReleases(%q, %q) = %d; PEP 440 says %d", sent[i][0], sent[i][1], got, want)
		}
	}
	if checked == 0 {
		t.Fatal("packaging judged no pair")
	}
}

func isPrintableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// String printed versions debversion.Parse read differently: an upstream
// version with a ':' lost its epoch 0 ("0:1:2" printed "1:2", epoch 1),
// one with a '-' lost its empty revision ("-3-" printed "-3", revision 3),
// and a ':' in a revision was read as an epoch's. FuzzDebVersion's seeds
// 10825267f35656dc and 08fac3ee387aaf06 found the last two.
func TestDebVersionStringRoundTrip(t *testing.T) {
	for s, want := range map[string]string{"0:1:2": "0:1:2", "-3-": "-3-", "1.0-2-": "1.0-2-", "0:1.0": "1.0", "1:2.3-4": "1:2.3-4", "1.0-": "1.0", "x:2-3:4": "0:2-3:4", "x:1:2-3": "0:1:2-3"} {
		v := debversion.Parse(s)
		if got := v.String(); got != want || debversion.Parse(got) != v || debversion.Compare(s, got) != 0 {
			t.Errorf("%q: String %q, want %q", s, got, want)
		}
	}
}
