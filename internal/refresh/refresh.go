// Package refresh asks an image's own package sources what is newer than
// what the image holds: the apt suites of its sources.list and .sources
// files (InRelease checked against the image's own keyrings, then the
// Packages index), the Alpine repositories of /etc/apk/repositories
// (APKINDEX.tar.gz), and the Python index of its pip configuration (the
// JSON API: the newest release and the known vulnerabilities of the
// installed one).
//
// Responses are cached on disk with a TTL; offline, only the cache is
// read. A network failure becomes one warning in the Result and the rest
// goes on. Every string in a Result comes from the image or from a server:
// show it through internal/textsafe. docs/refresh.md describes what is
// fetched, from where, and how it is checked and bounded.
package refresh

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Image is what Check reads of an image.
type Image struct {
	// Files holds the image's files that Wanted accepts, by absolute path:
	// apt sources and keyrings, /etc/apk/repositories and keys, pip.conf.
	Files map[string][]byte
	// Dpkg and Apk are the installed OS packages; Python the installed
	// distributions that pip manages (not those of the OS packages, which
	// apt or apk update).
	Dpkg   []InstalledPackage
	Apk    []InstalledPackage
	Python []Distribution
	// Env is the image config's environment (KEY=value): PIP_INDEX_URL.
	Env []string
}

// InstalledPackage is an installed dpkg or apk package.
type InstalledPackage struct {
	Name    string
	Version string
	Arch    string // dpkg: amd64, all...; apk: x86_64, noarch...
}

// Distribution is an installed Python distribution.
type Distribution struct {
	Name    string
	Version string
}

// MaxFileBytes is the largest file of Image.Files that Check reads; a
// bigger one (no sources list or keyring is near it) is left out.
const MaxFileBytes = 4 << 20

// Wanted reports whether Check reads the image's file at p (absolute).
func Wanted(p string) bool {
	dir, name := path.Split(path.Clean(p))
	switch dir {
	case "/etc/apt/":
		return name == "sources.list" || name == "trusted.gpg"
	case "/etc/apt/sources.list.d/":
		return strings.HasSuffix(name, ".list") || strings.HasSuffix(name, ".sources")
	case "/etc/apt/trusted.gpg.d/", "/usr/share/keyrings/", "/etc/apt/keyrings/", "/etc/apk/keys/", "/usr/share/apk/keys/":
		return true
	case "/etc/apk/":
		return name == "repositories" || name == "arch"
	case "/etc/":
		return name == "pip.conf"
	}
	return false
}

// Options steer Check.
type Options struct {
	// CacheDir is slimpy's cache root (the layer cache's); responses go
	// to its refresh-v1 subdirectory. "" keeps nothing on disk.
	CacheDir string
	// TTL is how long a cached response is used without asking again;
	// 0 means DefaultTTL. Content-addressed indices (by their hash in a
	// signed InRelease) are kept regardless.
	TTL time.Duration
	// Offline never opens a connection: only cached responses are read,
	// whatever their age.
	Offline bool
	// AptMirror and ApkMirror, when set, replace the scheme and host of
	// every apt source and Alpine repository (a path of theirs goes in
	// front of the source's own path).
	AptMirror string
	ApkMirror string
	// PythonIndex replaces the image's index URL (PIP_INDEX_URL,
	// pip.conf's index-url): a PEP 503 simple index URL such as
	// DefaultPythonIndex, whose JSON API is asked.
	PythonIndex string
	// Now is the clock for the TTL, signatures and dates (time.Now).
	Now func() time.Time
	// HTTPClient supplies the transport (a test server's TLS client);
	// redirects and deadlines are Check's own.
	HTTPClient *http.Client
	// Parallel bounds the Python index requests in flight, and the apt
	// sources and apk repositories asked at once (8 each).
	Parallel int
	Limits   Limits
}

// Limits bound every response; zero fields take the defaults.
type Limits struct {
	Request      time.Duration // one request, body included (2 minutes)
	Document     int64         // an InRelease or a JSON answer (32 MiB)
	Index        int64         // a compressed Packages or APKINDEX file (256 MiB)
	Uncompressed int64         // a Packages index decompressed (1 GiB)
	Cache        int64         // the cache directory (1 GiB)
}

// DefaultTTL is how long a cached response is used by default.
const DefaultTTL = 24 * time.Hour

// DefaultPythonIndex is pip's default index, asked when the image names
// none.
const DefaultPythonIndex = "https://pypi.org/simple"

// Result is what Check found. Its lists are sorted; a rule turns each
// list into a finding with packages[] as they are.
type Result struct {
	// OS holds the installed dpkg and apk packages for which the image's
	// own sources offer a newer version.
	OS []Package `json:"os"`
	// Python holds the distributions with a newer release on the index or
	// known vulnerabilities in the installed version.
	Python []Package `json:"python"`
	// Indices lists every index asked, read or not.
	Indices []Index `json:"indices"`
	// Warnings are the problems met (an unreachable host is one line),
	// one line each; the rest of the Result stands.
	Warnings []string `json:"warnings,omitempty"`
}

// Package is one installed package or distribution with something newer.
type Package struct {
	Name    string `json:"name"`
	Arch    string `json:"arch,omitempty"`
	Manager string `json:"manager"` // dpkg, apk or python
	// Installed is the image's version, Candidate the newer one its
	// sources offer ("" for a distribution listed for its
	// vulnerabilities only).
	Installed string `json:"installed"`
	Candidate string `json:"candidate,omitempty"`
	// Suite is where the candidate is: the apt suites that offer it, as
	// the image's sources name them ("bookworm-security,bookworm-updates"),
	// or the Alpine repository ("v3.19/main").
	Suite string `json:"suite,omitempty"`
	// Security: a security suite offers the candidate (apt only: Alpine
	// and the Python index do not tell).
	Security bool `json:"security"`
	// Vulnerabilities are the index's known vulnerabilities of the
	// installed version (Python).
	Vulnerabilities []Vulnerability `json:"vulnerabilities,omitempty"`
	// Sources are the documents the answer comes from: the index that
	// offers the candidate, then (Python) the installed release's.
	Sources []Source `json:"sources"`
}

// Vulnerability is a known vulnerability of an installed version.
type Vulnerability struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"`
	FixedIn []string `json:"fixedIn,omitempty"`
	Link    string   `json:"link,omitempty"`
}

// Source is one fetched document.
type Source struct {
	URL     string    `json:"url"`
	Fetched time.Time `json:"fetched"`
	// Verified: the document is covered by a signature that a key of the
	// image's own checks. NotVerified says why not.
	Verified    bool   `json:"verified"`
	NotVerified string `json:"notVerified,omitempty"`
}

// Index is one package index asked: an apt suite's Packages file, an
// Alpine repository, or the Python index.
type Index struct {
	Kind string `json:"kind"` // apt, apk or python
	// URL is the apt suite's Packages file (or its InRelease when that
	// could not be read), the APKINDEX.tar.gz, or the Python index's JSON
	// API base.
	URL     string    `json:"url"`
	Suite   string    `json:"suite,omitempty"`
	Fetched time.Time `json:"fetched,omitzero"`
	Cached  bool      `json:"cached"`
	// Verified and NotVerified as in Source.
	Verified    bool   `json:"verified"`
	NotVerified string `json:"notVerified,omitempty"`
	// Date and ValidUntil are the archive's own (InRelease).
	Date       time.Time `json:"date,omitzero"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	// Error says why the index was not read ("" when it was).
	Error string `json:"error,omitempty"`
	// Missing names the distributions the Python index does not have.
	Missing []string `json:"missing,omitempty"`
}

// run is one Check: the options filled in, the fetcher, what was found.
type run struct {
	opt   Options
	fetch *fetcher
	now   func() time.Time

	mu       sync.Mutex
	result   Result
	problems map[string]*problem
}

// Check asks the image's sources what is newer than what it holds. It
// always returns a Result; what could not be asked is in its Warnings and
// Indices.
func Check(ctx context.Context, img Image, opt Options) *Result {
	r := newRun(opt)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); r.apt(ctx, img) }()
	go func() { defer wg.Done(); r.apk(ctx, img) }()
	go func() { defer wg.Done(); r.python(ctx, img) }()
	wg.Wait()
	if r.fetch.dir != "" {
		prune(r.fetch.dir, r.opt.Limits.Cache, time.Now())
	}
	return r.finish(ctx)
}

func newRun(opt Options) *run {
	if opt.TTL <= 0 {
		opt.TTL = DefaultTTL
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 8
	}
	l := &opt.Limits
	if l.Request <= 0 {
		l.Request = 2 * time.Minute
	}
	if l.Document <= 0 {
		l.Document = 32 << 20
	}
	if l.Index <= 0 {
		l.Index = 256 << 20
	}
	if l.Uncompressed <= 0 {
		l.Uncompressed = 1 << 30
	}
	if l.Cache <= 0 {
		l.Cache = 1 << 30
	}
	f := &fetcher{
		client:  newClient(opt.HTTPClient),
		ttl:     opt.TTL,
		offline: opt.Offline,
		now:     opt.Now,
		timeout: l.Request,
	}
	if opt.CacheDir != "" {
		f.dir = filepath.Join(opt.CacheDir, "refresh-v1")
	}
	return &run{opt: opt, fetch: f, now: opt.Now, problems: map[string]*problem{}}
}

// maxSources bounds the package sources of one kind asked (apt sources,
// apk repositories): real images list a handful. Each is asked in its own
// request of up to 32 MiB, read whole (an InRelease) or to a temporary
// file (an APKINDEX); a sources.list of thousands of lines made thousands
// of requests at once.
const maxSources = 32

// maxPythonDists bounds the distributions the Python index is asked about
// (two requests each). The largest image measured holds 47 that pip
// installed (python-tools); large data-science and Airflow images hold
// several hundred. An image of 100,000 dist-info directories made 200,000
// requests to the host it names.
const maxPythonDists = 2000

// eachSource runs ask for the first limit of n sources, at most
// Options.Parallel at once; the rest are a warning naming how many were
// not asked.
func (r *run) eachSource(n, limit int, what string, ask func(i int)) {
	if n > limit {
		r.problem("sources "+what, fmt.Sprintf("the image lists %d %s: the first %d were asked, %d not", n, what, limit, n-limit), time.Time{})
		n = limit
	}
	sem := make(chan struct{}, r.opt.Parallel)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			ask(i)
		}()
	}
	wg.Wait()
}

func (r *run) addIndex(ix Index) {
	r.mu.Lock()
	r.result.Indices = append(r.result.Indices, ix)
	r.mu.Unlock()
}

func (r *run) addPackages(python bool, ps ...Package) {
	r.mu.Lock()
	if python {
		r.result.Python = append(r.result.Python, ps...)
	} else {
		r.result.OS = append(r.result.OS, ps...)
	}
	r.mu.Unlock()
}

// finish sorts the lists and writes the warnings.
func (r *run) finish(ctx context.Context) *Result {
	res := &r.result
	byName := func(ps []Package) {
		sort.Slice(ps, func(i, j int) bool {
			a, b := ps[i], ps[j]
			if a.Manager != b.Manager {
				return a.Manager < b.Manager
			}
			if a.Name != b.Name {
				return a.Name < b.Name
			}
			return a.Arch < b.Arch
		})
	}
	byName(res.OS)
	byName(res.Python)
	sort.SliceStable(res.Indices, func(i, j int) bool {
		a, b := res.Indices[i], res.Indices[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.URL < b.URL
	})
	res.Warnings = append(res.Warnings, r.warnings()...)
	if ctx.Err() != nil {
		res.Warnings = append(res.Warnings, "refresh interrupted: "+ctx.Err().Error())
	}
	return res
}
