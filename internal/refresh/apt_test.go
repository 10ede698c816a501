package refresh

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

func clock() time.Time { return testNow }

// debianImage is a bookworm image as debootstrap and the tests' build
// leave it: one-line sources for the main archive, a deb822 file for the
// security archive with its own Signed-By keyring.
func debianImage(archiveKey, securityKey []byte) Image {
	return Image{
		Files: map[string][]byte{
			"/etc/apt/sources.list": []byte("# the archive\ndeb http://archive.example/debian bookworm main\n" +
				"deb [arch=amd64] http://archive.example/debian bookworm-updates main # comment\n" +
				"deb-src http://archive.example/debian bookworm main\n"),
			"/etc/apt/sources.list.d/security.sources": []byte("Types: deb\nURIs: http://security.example/debian-security\n" +
				"Suites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/security.gpg\n"),
			"/etc/apt/trusted.gpg.d/archive.asc": archiveKey,
			"/usr/share/keyrings/security.gpg":   securityKey,
		},
		Dpkg: []InstalledPackage{
			{"apt", "2.6.1", "amd64"},
			{"libapt-pkg6.0", "2.6.1", "amd64"},
			{"tzdata", "2026b-0+deb12u1", "all"},
			{"libc6", "2.36-9+deb12u14", "amd64"},
			{"libzstd1", "1.5.4+dfsg2-5", "amd64"},
			{"base-files", "12.4+deb12u15", "amd64"},
			{"slimpy-local", "1.0", "amd64"},
		},
	}
}

// stanza is the stanza of a package in a Packages text.
func stanza(t *testing.T, packages []byte, name string) []byte {
	t.Helper()
	for _, st := range bytes.Split(packages, []byte("\n\n")) {
		if bytes.HasPrefix(st, []byte("Package: "+name+"\n")) {
			return append(st, "\n\n"...)
		}
	}
	t.Fatalf("no %s stanza", name)
	return nil
}

// debianArchive publishes bookworm (Packages.gz), bookworm-updates
// (Packages.gz, tzdata only) and bookworm-security (Packages.xz only, by
// hash), signed by their keys.
func debianArchive(t *testing.T, s *server, archive, security *openpgp.Entity) {
	t.Helper()
	main := readTestdata(t, "bookworm_main_Packages")
	sec := readTestdata(t, "bookworm-security_main_Packages")
	s.publish(t, "/debian", suite{name: "bookworm", codename: "bookworm", label: "Debian",
		files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, main)}}, archive)
	s.publish(t, "/debian", suite{name: "bookworm-updates", codename: "bookworm-updates", label: "Debian",
		files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, stanza(t, sec, "tzdata"))}}, archive)
	s.publish(t, "/debian-security", suite{name: "bookworm-security", codename: "bookworm-security", label: "Debian-Security",
		files: map[string][]byte{"main/binary-amd64/Packages.xz": xzc(t, sec)}, byHash: true}, security)
}

func TestAptRefresh(t *testing.T) {
	s := newServer(t)
	archive, security := newKey(t, "test archive"), newKey(t, "test security")
	debianArchive(t, s, archive, security)
	img := debianImage(publicKey(t, archive, true), publicKey(t, security, false))

	res := Check(context.Background(), img, Options{AptMirror: s.URL, Now: clock})
	if len(res.Warnings) != 0 {
		t.Fatalf("warnings: %q", res.Warnings)
	}
	type row struct {
		name, installed, candidate, suite string
		security                          bool
	}
	var got []row
	for _, p := range res.OS {
		got = append(got, row{p.Name, p.Installed, p.Candidate, p.Suite, p.Security})
		if p.Manager != "dpkg" || len(p.Sources) != 2 || !p.Sources[0].Verified || !p.Sources[1].Verified ||
			!strings.HasSuffix(p.Sources[0].URL, "/InRelease") || !p.Sources[1].Fetched.Equal(testNow) {
			t.Errorf("%s: sources %+v", p.Name, p.Sources)
		}
	}
	want := []row{
		{"apt", "2.6.1", "2.6.2", "bookworm-security", true},
		{"libapt-pkg6.0", "2.6.1", "2.6.2", "bookworm-security", true},
		{"libzstd1", "1.5.4+dfsg2-5", "1.5.4+dfsg2-5+deb12u1", "bookworm-security", true},
		{"tzdata", "2026b-0+deb12u1", "2026f-0+deb12u1", "bookworm-security,bookworm-updates", true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("upgradable:\n got %v\nwant %v", got, want)
	}
	// The security suite's index came by hash, as xz (its InRelease is
	// verified); the others as gz.
	var urls []string
	for _, ix := range res.Indices {
		if ix.Error != "" || !ix.Verified || ix.Date.IsZero() || ix.ValidUntil.IsZero() {
			t.Errorf("index %+v", ix)
		}
		urls = append(urls, strings.TrimPrefix(ix.URL, s.URL))
	}
	want2 := []string{
		"/debian-security/dists/bookworm-security/main/binary-amd64/Packages.xz",
		"/debian/dists/bookworm-updates/main/binary-amd64/Packages.gz",
		"/debian/dists/bookworm/main/binary-amd64/Packages.gz",
	}
	if !reflect.DeepEqual(urls, want2) {
		t.Errorf("indices read:\n%s", strings.Join(urls, "\n"))
	}
	if u := find(t, res, "apt").Sources[1].URL; !strings.HasPrefix(u, s.URL+"/debian-security/dists/bookworm-security/main/binary-amd64/by-hash/SHA256/") {
		t.Errorf("apt's Packages file came from %s, not by hash", u)
	}
}

// TestAptSignatures: an InRelease whose signature fails is not read; one
// without a signature, or signed by a key the image does not hold, is
// read and marked unverified with the reason; a Packages file that is not
// the one the InRelease names is not read.
func TestAptSignatures(t *testing.T) {
	archive, security, stranger := newKey(t, "test archive"), newKey(t, "test security"), newKey(t, "someone else")
	main := readTestdata(t, "bookworm_main_Packages")
	sec := readTestdata(t, "bookworm-security_main_Packages")
	img := debianImage(publicKey(t, archive, true), publicKey(t, security, false))
	img.Files["/etc/apt/sources.list"] = []byte("deb http://archive.example/debian bookworm main\n")

	for _, c := range []struct {
		name    string
		publish func(s *server)
		check   func(t *testing.T, res *Result)
	}{
		{"bad signature", func(s *server) {
			text := releaseText(suite{name: "bookworm-security", label: "Debian-Security", files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, sec)}})
			signed := clearsigned(t, security, text)
			// A mirror changed the Date after the archive signed it.
			signed = bytes.Replace(signed, []byte("Date: "), []byte("Date: Fri, "), 1)
			s.put("/debian-security/dists/bookworm-security/InRelease", signed)
			s.put("/debian-security/dists/bookworm-security/main/binary-amd64/Packages.gz", gz(t, sec))
		}, func(t *testing.T, res *Result) {
			if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "bad signature") || !strings.Contains(res.Warnings[0], "not read") {
				t.Errorf("warnings %q", res.Warnings)
			}
			for _, p := range res.OS {
				if p.Security {
					t.Errorf("%s from the suite with a bad signature", p.Name)
				}
			}
		}},
		{"unsigned", func(s *server) {
			s.publish(t, "/debian-security", suite{name: "bookworm-security", label: "Debian-Security",
				files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, sec)}}, nil)
		}, func(t *testing.T, res *Result) {
			p := find(t, res, "apt")
			if p.Candidate != "2.6.2" || p.Sources[0].Verified || p.Sources[0].NotVerified != "InRelease is not signed" || p.Sources[1].Verified {
				t.Errorf("apt: %+v", p)
			}
		}},
		{"signed by a key the image does not have", func(s *server) {
			s.publish(t, "/debian-security", suite{name: "bookworm-security", label: "Debian-Security",
				files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, sec)}}, stranger)
		}, func(t *testing.T, res *Result) {
			p := find(t, res, "apt")
			if p.Candidate != "2.6.2" || p.Sources[0].Verified || !strings.Contains(p.Sources[0].NotVerified, "no key the image trusts") {
				t.Errorf("apt: %+v", p.Sources)
			}
		}},
		{"unsigned, xz only", func(s *server) {
			s.publish(t, "/debian-security", suite{name: "bookworm-security", label: "Debian-Security",
				files: map[string][]byte{"main/binary-amd64/Packages.xz": xzc(t, sec)}}, nil)
		}, func(t *testing.T, res *Result) {
			if p := find(t, res, ""); p.Name != "" {
				t.Errorf("found %+v in an xz index of an unverified suite", p)
			}
			if ix := indexOf(res, "bookworm-security"); !strings.Contains(ix.Error, "only from a verified InRelease") {
				t.Errorf("index %+v", ix)
			}
		}},
		{"Packages not the one the InRelease names", func(s *server) {
			s.publish(t, "/debian-security", suite{name: "bookworm-security", label: "Debian-Security",
				files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, sec)}}, security)
			s.put("/debian-security/dists/bookworm-security/main/binary-amd64/Packages.gz", gz(t, main))
		}, func(t *testing.T, res *Result) {
			if p := find(t, res, ""); p.Name != "" {
				t.Errorf("found %+v", p)
			}
			if ix := indexOf(res, "bookworm-security"); !strings.Contains(ix.Error, "the signed index") {
				t.Errorf("index %+v", ix)
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t)
			s.publish(t, "/debian", suite{name: "bookworm", label: "Debian", files: map[string][]byte{"main/binary-amd64/Packages.gz": gz(t, main)}}, archive)
			c.publish(s)
			c.check(t, Check(context.Background(), img, Options{AptMirror: s.URL, Now: clock}))
		})
	}
}

// find is the package of the result named name ("": the first one, or
// none).
func find(t *testing.T, res *Result, name string) Package {
	t.Helper()
	for _, p := range append(res.OS, res.Python...) {
		if name == "" || p.Name == name {
			return p
		}
	}
	if name != "" {
		t.Fatalf("no %s in %+v (warnings %q)", name, res.OS, res.Warnings)
	}
	return Package{}
}

func indexOf(res *Result, suite string) Index {
	for _, ix := range res.Indices {
		if ix.Suite == suite {
			return ix
		}
	}
	return Index{}
}

// TestAptCandidatePolicy: apt's choice without pins. A backports version
// (NotAutomatic, ButAutomaticUpgrades: priority 100) is not taken over the
// installed one from stable, but an installed backport follows backports;
// experimental (priority 1) never; nothing is ever downgraded.
func TestAptCandidatePolicy(t *testing.T) {
	suiteOf := func(name string, prio int, versions ...string) *aptSuite {
		s := &aptSuite{name: name, priority: prio, security: isSecuritySuite(name), versions: map[pkgKey][]aptVersion{}}
		for _, v := range versions {
			s.versions[pkgKey{"curl", "amd64"}] = append(s.versions[pkgKey{"curl", "amd64"}], aptVersion{version: v})
		}
		return s
	}
	stable := suiteOf("bookworm", 500, "7.88.1-10+deb12u5")
	security := suiteOf("bookworm-security", 500, "7.88.1-10+deb12u8")
	backports := suiteOf("bookworm-backports", 100, "8.11.1-1~bpo12+1")
	experimental := suiteOf("experimental", 1, "8.12.0-1")
	for _, c := range []struct {
		installed string
		suites    []*aptSuite
		want      string
	}{
		{"7.88.1-10+deb12u5", []*aptSuite{stable, security, backports, experimental}, "7.88.1-10+deb12u8"},
		{"7.88.1-10+deb12u5", []*aptSuite{stable, backports, experimental}, ""},
		{"8.10.0-1~bpo12+1", []*aptSuite{stable, security, backports}, "8.11.1-1~bpo12+1"},
		{"8.11.1-1~bpo12+1", []*aptSuite{stable, security, backports, experimental}, ""},
		{"7.88.1-10+deb12u9", []*aptSuite{stable, security}, ""},
		{"7.88.1-10+deb12u5", []*aptSuite{nil, security}, "7.88.1-10+deb12u8"},
	} {
		p, ok := aptCandidate(InstalledPackage{"curl", c.installed, "amd64"}, c.suites)
		if ok != (c.want != "") || p.Candidate != c.want {
			t.Errorf("installed %s: %v %q, want %q", c.installed, ok, p.Candidate, c.want)
		}
	}
	// Another architecture is another package.
	if _, ok := aptCandidate(InstalledPackage{"curl", "7.88.1-10+deb12u5", "arm64"}, []*aptSuite{security}); ok {
		t.Errorf("an amd64 candidate for an arm64 package")
	}
}

func TestParseAptSources(t *testing.T) {
	files := map[string][]byte{
		"/etc/apt/sources.list": []byte(`# comment
deb http://archive.example/debian bookworm main contrib
deb [ arch=amd64,arm64 signed-by=/etc/apt/keyrings/a.asc ] https://user:secret@apt.example/repo stable main # tail
deb [trusted=yes] http://flat.example/repo ./
deb-src http://archive.example/debian bookworm main
deb cdrom:[Debian]/ bookworm main
`),
		"/etc/apt/sources.list.d/debian.sources": []byte(`Types: deb deb-src
URIs: http://archive.example/debian http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

# disabled
Types: deb
URIs: http://disabled.example/debian
Suites: trixie
Components: main
Enabled: no

Types: deb
URIs: http://inline.example/repo
Suites: noble
Components: main universe
Architectures: amd64
Signed-By:
 -----BEGIN PGP PUBLIC KEY BLOCK-----
 .
 mQINBF...
 -----END PGP PUBLIC KEY BLOCK-----
`),
		"/etc/apt/sources.list.d/ignored.list.save": []byte("deb http://ignored.example/ x main\n"),
	}
	got := parseAptSources(files)
	var lines []string
	for _, s := range got {
		lines = append(lines, strings.Join([]string{s.uri, s.suite, strings.Join(s.components, ","), strings.Join(s.arches, ","), strings.ReplaceAll(s.signedBy, "\n", "|"), map[bool]string{true: "trusted"}[s.trusted]}, " "))
	}
	want := []string{
		"http://archive.example/debian bookworm main,contrib   ",
		"https://user:secret@apt.example/repo stable main amd64,arm64 /etc/apt/keyrings/a.asc ",
		"http://flat.example/repo ./    trusted",
		"cdrom:[Debian]/ bookworm main   ",
		"http://archive.example/debian bookworm main  /usr/share/keyrings/debian-archive-keyring.gpg ",
		"http://archive.example/debian bookworm-updates main  /usr/share/keyrings/debian-archive-keyring.gpg ",
		"http://mirror.example/debian bookworm main  /usr/share/keyrings/debian-archive-keyring.gpg ",
		"http://mirror.example/debian bookworm-updates main  /usr/share/keyrings/debian-archive-keyring.gpg ",
		"http://inline.example/repo noble main,universe amd64 -----BEGIN PGP PUBLIC KEY BLOCK-----||mQINBF...|-----END PGP PUBLIC KEY BLOCK----- ",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("sources:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

// TestParsePackagesLongLines: a field line longer than the reader's buffer
// is skipped over, and the fields after it are still read.
func TestParsePackagesLongLines(t *testing.T) {
	text := "Package: a\nDescription: " + strings.Repeat("x", 300<<10) + "\nVersion: 1.0\nArchitecture: all\n\n" +
		"Package: b\nVersion: 2:3.4-5\nArchitecture: amd64\nDepends: " + strings.Repeat("y, ", 50<<10) + "\n\n" +
		"Package: c\nVersion: 1 bad\nArchitecture: amd64\n\nPackage: d\nVersion: 9\nArchitecture: amd64"
	var got []string
	err := parsePackages(strings.NewReader(text), 1<<30, map[string]bool{"a": true, "b": true, "c": true, "d": true}, func(n, v, a string) {
		got = append(got, n+" "+v+" "+a)
	})
	want := []string{"a 1.0 all", "b 2:3.4-5 amd64", "d 9 amd64"}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	if err := parsePackages(strings.NewReader(text), 1000, map[string]bool{}, func(string, string, string) {}); err == nil {
		t.Errorf("no error past the decompressed limit")
	}
}

// TestAptFlatRepository: a third-party flat repository ("deb URI ./"),
// its InRelease and Packages next to each other, signed by a key the
// source's Signed-By names.
func TestAptFlatRepository(t *testing.T) {
	key := newKey(t, "vendor")
	s := newServer(t)
	packages := []byte("Package: vendor-agent\nVersion: 2.1.0\nArchitecture: amd64\nFilename: ./vendor-agent_2.1.0_amd64.deb\n\n")
	text := releaseText(suite{name: "stable", label: "Vendor", files: map[string][]byte{"Packages.gz": gz(t, packages)}})
	s.put("/repo/InRelease", clearsigned(t, key, text))
	s.put("/repo/Packages.gz", gz(t, packages))
	img := Image{
		Files: map[string][]byte{
			"/etc/apt/sources.list.d/vendor.list": []byte("deb [signed-by=/etc/apt/keyrings/vendor.asc] http://vendor.example/repo ./\n"),
			"/etc/apt/keyrings/vendor.asc":        publicKey(t, key, true),
		},
		Dpkg: []InstalledPackage{{"vendor-agent", "2.0.3", "amd64"}},
	}
	res := Check(context.Background(), img, Options{AptMirror: s.URL, Now: clock})
	p := find(t, res, "vendor-agent")
	if p.Candidate != "2.1.0" || p.Suite != "./" || p.Security || !p.Sources[0].Verified || p.Sources[1].URL != s.URL+"/repo/Packages.gz" {
		t.Errorf("%+v", p)
	}
}

// An image listing 500 apt sources (and 500 apk repositories): each was
// asked at once, each InRelease read whole, up to 32 MiB. Now the first
// 32 are asked, 8 at a time, and a warning says the rest were not.
func TestHostileManySources(t *testing.T) {
	srv := countedServer(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
		http.NotFound(w, r)
	})
	asked, most := &srv.asked, &srv.most
	var list, repos strings.Builder
	for i := range 500 {
		fmt.Fprintf(&list, "deb http://archive.example/debian suite%d main\n", i)
		fmt.Fprintf(&repos, "http://dl.example/alpine/v3.%d/main\n", i)
	}
	img := Image{
		Files: map[string][]byte{"/etc/apt/sources.list": []byte(list.String()), "/etc/apk/repositories": []byte(repos.String())},
		Dpkg:  []InstalledPackage{{"apt", "2.6.1", "amd64"}},
		Apk:   []InstalledPackage{{"musl", "1.2.4-r2", "x86_64"}},
	}
	res := Check(context.Background(), img, Options{AptMirror: srv.URL, ApkMirror: srv.URL, Now: clock})
	if n := asked.Load(); n > 2*maxSources || n < maxSources {
		t.Errorf("%d requests for 2 x 500 sources", n)
	}
	if m := most.Load(); m > 16 {
		t.Errorf("%d requests at once", m)
	}
	for _, want := range []string{"the image lists 500 apt sources: the first 32 were asked, 468 not", "the image lists 500 apk repositories: the first 32 were asked"} {
		if !slices.ContainsFunc(res.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("no warning %q in %q", want, res.Warnings)
		}
	}
}
