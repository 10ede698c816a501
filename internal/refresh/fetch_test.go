package refresh

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fullImage is the Debian image of the apt tests with Python
// distributions, a server with its archive and one with its index.
func fullImage(t *testing.T) (archive, index *server, img Image, opt Options) {
	t.Helper()
	s, py := newServer(t), pypiServer(t)
	archiveKey, securityKey := newKey(t, "test archive"), newKey(t, "test security")
	debianArchive(t, s, archiveKey, securityKey)
	img = debianImage(publicKey(t, archiveKey, true), publicKey(t, securityKey, false))
	img.Python = []Distribution{{"requests", "2.25.1"}, {"PyYAML", "6.0.2"}}
	return s, py, img, Options{AptMirror: s.URL, PythonIndex: py.URL + "/simple", Now: clock, CacheDir: t.TempDir()}
}

func requests(servers ...*server) int {
	n := 0
	for _, s := range servers {
		n += s.requests()
	}
	return n
}

// summary is a result without its dates and cache flags.
func summary(res *Result) []string {
	var out []string
	for _, p := range append(res.OS, res.Python...) {
		out = append(out, p.Name+" "+p.Installed+" "+p.Candidate+" "+p.Suite)
	}
	return out
}

func TestCache(t *testing.T) {
	s, py, img, opt := fullImage(t)
	first := Check(context.Background(), img, opt)
	n := requests(s, py)
	if n == 0 || len(first.Warnings) != 0 || len(first.OS) != 4 || len(first.Python) != 1 {
		t.Fatalf("%d requests, result %v, warnings %q", n, summary(first), first.Warnings)
	}
	want := summary(first)

	// Within the TTL: nothing is asked again.
	again := Check(context.Background(), img, opt)
	if requests(s, py) != n || !reflect.DeepEqual(summary(again), want) || !again.OS[0].Sources[0].Fetched.Equal(testNow) {
		t.Errorf("cache hit: %d more requests, %v", requests(s, py)-n, summary(again))
	}
	for _, ix := range again.Indices {
		if !ix.Cached {
			t.Errorf("%s not from the cache", ix.URL)
		}
	}

	// Past the TTL: the InRelease files and JSON answers are asked again,
	// the Packages files (by their signed hash) are not.
	later := opt
	later.Now = func() time.Time { return testNow.Add(25 * time.Hour) }
	inRelease := s.hitsOf("/debian/dists/bookworm/InRelease")
	packages := s.hitsOf("/debian/dists/bookworm/main/binary-amd64/Packages.gz")
	res := Check(context.Background(), img, later)
	if s.hitsOf("/debian/dists/bookworm/InRelease") != inRelease+1 || s.hitsOf("/debian/dists/bookworm/main/binary-amd64/Packages.gz") != packages ||
		py.hitsOf("/pypi/requests/json") != 2 || !reflect.DeepEqual(summary(res), want) {
		t.Errorf("after the TTL: InRelease %d→%d, Packages %d→%d, %v", inRelease, s.hitsOf("/debian/dists/bookworm/InRelease"),
			packages, s.hitsOf("/debian/dists/bookworm/main/binary-amd64/Packages.gz"), summary(res))
	}
	if got := res.OS[0].Sources[0].Fetched; !got.Equal(testNow.Add(25 * time.Hour)) {
		t.Errorf("InRelease fetched %s", got)
	}

	// Offline, a month later: the cache whatever its age, no connection.
	n = requests(s, py)
	offline := opt
	offline.Offline = true
	offline.Now = func() time.Time { return testNow.AddDate(0, 1, 0) }
	res = Check(context.Background(), img, offline)
	if requests(s, py) != n || !reflect.DeepEqual(summary(res), want) || len(res.Warnings) != 0 {
		t.Errorf("offline: %d requests, %v, warnings %q", requests(s, py)-n, summary(res), res.Warnings)
	}

	// Every write went through a rename: no temporary file is left.
	ents, _ := os.ReadDir(filepath.Join(opt.CacheDir, "refresh-v1"))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".tmp-") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestOfflineEmptyCache: offline with nothing cached asks nothing and
// says so in one line.
func TestOfflineEmptyCache(t *testing.T) {
	s, py, img, opt := fullImage(t)
	opt.Offline = true
	res := Check(context.Background(), img, opt)
	if requests(s, py) != 0 || len(res.OS)+len(res.Python) != 0 || len(res.Warnings) != 1 ||
		!strings.HasPrefix(res.Warnings[0], "offline: not in the cache (") {
		t.Errorf("%d requests, %v, warnings %q", requests(s, py), summary(res), res.Warnings)
	}
}

// TestNetworkFailure: a host that cannot be reached is one warning, asked
// once; the other hosts' answers stand. With a cached copy, the copy is
// used and the warning says from when.
func TestNetworkFailure(t *testing.T) {
	s, _, img, opt := fullImage(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close() // its port now refuses connections
	opt.PythonIndex = down.URL + "/simple"
	img.Python = append(img.Python, Distribution{"numpy", "1.24.2"}, Distribution{"scipy", "1.10.1"})
	res := Check(context.Background(), img, opt)
	host := strings.TrimPrefix(down.URL, "http://")
	if len(res.OS) != 4 || len(res.Warnings) != 1 || !strings.HasPrefix(res.Warnings[0], host+": ") || !strings.Contains(res.Warnings[0], "(4 requests)") {
		t.Errorf("%v, warnings %q", summary(res), res.Warnings)
	}
	for _, ix := range res.Indices {
		if ix.Kind == "python" && !strings.Contains(ix.Error, "connection refused") {
			t.Errorf("python index %+v", ix)
		}
	}

	// The archive goes down after a first run; two days later its cached
	// copies are used.
	Check(context.Background(), img, opt)
	s.Close()
	opt.Now = func() time.Time { return testNow.AddDate(0, 0, 2) }
	res = Check(context.Background(), img, opt)
	archiveHost := strings.TrimPrefix(s.URL, "http://")
	var archiveWarning string
	for _, w := range res.Warnings {
		if strings.HasPrefix(w, archiveHost) {
			archiveWarning = w
		}
	}
	if len(res.OS) != 4 || len(res.Warnings) != 2 || !strings.Contains(archiveWarning, "used the cached copies, the oldest fetched 2026-12-04T12:00:00Z") {
		t.Errorf("%v, warnings %q", summary(res), res.Warnings)
	}
}

// TestBounds: slow servers, oversized bodies and redirects end in a
// warning or an index error, never a hang; what else there is still works.
func TestBounds(t *testing.T) {
	for _, c := range []struct {
		name    string
		path    string
		handler http.HandlerFunc
		want    string // in the warning, or in the apt index error when warning is false
		warning bool
	}{
		{"no answer", "/debian/dists/bookworm/InRelease", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}, "deadline exceeded", true},
		{"a body that stalls", "/debian/dists/bookworm/InRelease", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("Origin: Debian\n"))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "deadline exceeded", true},
		{"oversized, with Content-Length", "/debian/dists/bookworm/InRelease", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(strings.Repeat("x", 5000)))
		}, "over the limit", false},
		{"oversized, chunked", "/debian/dists/bookworm/InRelease", func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i < 5; i++ {
				w.Write([]byte(strings.Repeat("x", 1000)))
				w.(http.Flusher).Flush()
			}
		}, "over the limit", false},
		{"redirect loop", "/debian/dists/bookworm/InRelease", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusFound)
		}, "more than 5 redirects", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, _, img, opt := fullImage(t)
			img.Files["/etc/apt/sources.list"] = []byte("deb http://archive.example/debian bookworm main\n")
			img.Files["/etc/apt/sources.list.d/security.sources"] = nil
			s.handle(c.path, c.handler)
			opt.Limits = Limits{Request: 300 * time.Millisecond, Document: 4000}
			res := Check(context.Background(), img, opt)
			if len(res.Python) != 1 {
				t.Errorf("python: %v (warnings %q)", summary(res), res.Warnings)
			}
			if c.warning {
				if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], c.want) {
					t.Errorf("warnings %q, want one with %q", res.Warnings, c.want)
				}
				return
			}
			if ix := indexOf(res, "bookworm"); !strings.Contains(ix.Error, c.want) {
				t.Errorf("index %+v, want an error with %q", ix, c.want)
			}
		})
	}
}

// TestRedirects: a redirect within the server is followed; one from https
// to http is not.
func TestRedirects(t *testing.T) {
	s := pypiServer(t)
	s.handle("/moved/pypi/requests/json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/pypi/requests/json", http.StatusMovedPermanently)
	})
	s.handle("/moved/pypi/requests/2.25.1/json", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/pypi/requests/2.25.1/json", http.StatusFound)
	})
	img := Image{Python: []Distribution{{"requests", "2.25.1"}}}
	res := Check(context.Background(), img, Options{PythonIndex: s.URL + "/moved/simple", Now: clock})
	if len(res.Python) != 1 || res.Python[0].Candidate != "2.32.5" || len(res.Warnings) != 0 {
		t.Errorf("through a redirect: %v, warnings %q", summary(res), res.Warnings)
	}

	tls := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL+r.URL.Path, http.StatusFound)
	}))
	defer tls.Close()
	res = Check(context.Background(), img, Options{PythonIndex: tls.URL + "/simple", HTTPClient: tls.Client(), Now: clock})
	if len(res.Python) != 0 || len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "redirect from https to http") {
		t.Errorf("https to http: %v, warnings %q", summary(res), res.Warnings)
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int, age time.Duration) {
		p := filepath.Join(dir, name)
		os.WriteFile(p, make([]byte, size), 0o644)
		os.Chtimes(p, testNow.Add(-age), testNow.Add(-age))
	}
	write("url-old", 400, 3*time.Hour)
	write("url-mid", 400, 2*time.Hour)
	write("sha256-new", 400, time.Minute)
	write(".tmp-dead", 10, 2*time.Hour)
	write(".tmp-live", 10, time.Minute)
	prune(dir, 1000, testNow)
	var left []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		left = append(left, e.Name())
	}
	if want := []string{".tmp-live", "sha256-new", "url-mid"}; !reflect.DeepEqual(left, want) {
		t.Errorf("left %q, want %q", left, want)
	}
}

func TestWanted(t *testing.T) {
	for p, want := range map[string]bool{
		"/etc/apt/sources.list":                          true,
		"/etc/apt/sources.list.d/debian.sources":         true,
		"/etc/apt/sources.list.d/x.list":                 true,
		"/etc/apt/sources.list.d/x.list.save":            false,
		"/etc/apt/trusted.gpg":                           true,
		"/etc/apt/trusted.gpg.d/debian-archive.asc":      true,
		"/usr/share/keyrings/debian-archive-keyring.gpg": true,
		"/etc/apt/keyrings/docker.asc":                   true,
		"/etc/apk/repositories":                          true,
		"/etc/apk/keys/alpine-devel.rsa.pub":             true,
		"/etc/pip.conf":                                  true,
		"/etc/passwd":                                    false,
		"/usr/share/keyrings/../../../etc/shadow":        false,
	} {
		if Wanted(p) != want {
			t.Errorf("Wanted(%q) = %v", p, !want)
		}
	}
}

func TestWithMirror(t *testing.T) {
	for _, c := range [][3]string{
		{"http://deb.example/debian", "https://mirror.example", "https://mirror.example/debian"},
		{"http://deb.example/debian-security", "http://proxy.example:3142/deb.example/", "http://proxy.example:3142/deb.example/debian-security"},
		{"https://user:pw@deb.example/debian", "", "https://deb.example/debian"},
	} {
		u, _, err := cleanURL(c[0])
		if err == nil {
			u, err = withMirror(u, c[1])
		}
		if err != nil || u.String() != c[2] {
			t.Errorf("%s with %q: %v %v, want %s", c[0], c[1], u, err, c[2])
		}
	}
	if _, _, err := cleanURL("file:/srv/repo"); err == nil {
		t.Errorf("a file: URI is not fetched")
	}
	// A source that is not read is listed without its credentials.
	img := Image{
		Files: map[string][]byte{"/etc/apt/sources.list": []byte("deb ftp://user:secret@ftp.example/debian bookworm main\n")},
		Dpkg:  []InstalledPackage{{"apt", "2.6.1", "amd64"}},
	}
	res := Check(context.Background(), img, Options{Offline: true})
	if len(res.Indices) != 1 || strings.Contains(res.Indices[0].URL+res.Indices[0].Error, "secret") || !strings.Contains(res.Indices[0].Error, "not an http(s) URL") {
		t.Errorf("%+v", res.Indices)
	}
}
