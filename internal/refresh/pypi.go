package refresh

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pep440 "github.com/aquasecurity/go-pep440-version"
)

// pythonIndex finds the index pip would install from: the option, else
// the image's PIP_INDEX_URL, else index-url in /etc/pip.conf ([install],
// then [global]), else DefaultPythonIndex.
func pythonIndex(img Image, override string) string {
	if override != "" {
		return override
	}
	for i := len(img.Env) - 1; i >= 0; i-- { // the last definition wins
		if v, ok := strings.CutPrefix(img.Env[i], "PIP_INDEX_URL="); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	if v := pipConfIndex(string(img.Files["/etc/pip.conf"])); v != "" {
		return v
	}
	return DefaultPythonIndex
}

// pipConfIndex reads index-url from pip.conf's [install] or [global].
func pipConfIndex(text string) string {
	values := map[string]string{}
	section := ""
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			section = strings.ToLower(strings.Trim(line, "[]"))
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(k)), "_", "-")
			if k == "index-url" && (section == "install" || section == "global") {
				if _, set := values[section]; !set {
					values[section] = strings.TrimSpace(v)
				}
			}
		}
	}
	if v := values["install"]; v != "" {
		return v
	}
	return values["global"]
}

// jsonAPIBase is the JSON API of a simple index: ".../simple" becomes
// ".../pypi/" (PyPI, and the mirrors and proxies that follow it).
func jsonAPIBase(index *url.URL) string {
	u := *index
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/simple")
	u.RawPath = ""
	return strings.TrimSuffix(u.String(), "/") + "/pypi/"
}

var nameRun = regexp.MustCompile(`[-_.]+`)

// normalizeName is a distribution's PEP 503 name.
func normalizeName(n string) string { return strings.ToLower(nameRun.ReplaceAllString(n, "-")) }

// pypiDoc is the part of the JSON API's answers read here.
type pypiDoc struct {
	Info struct {
		Version string `json:"version"`
	} `json:"info"`
	Vulnerabilities []struct {
		ID        string   `json:"id"`
		Aliases   []string `json:"aliases"`
		FixedIn   []string `json:"fixed_in"`
		Link      string   `json:"link"`
		Withdrawn *string  `json:"withdrawn"`
	} `json:"vulnerabilities"`
}

// python asks the index about every distribution, Parallel at a time,
// at most maxPythonDists.
func (r *run) python(ctx context.Context, img Image) {
	if len(img.Python) == 0 {
		return
	}
	raw := pythonIndex(img, r.opt.PythonIndex)
	ix := Index{Kind: "python", URL: redact(raw)}
	u, hadUser, err := cleanURL(raw)
	if err != nil {
		ix.Error = "index " + err.Error()
		r.addIndex(ix)
		return
	}
	base := jsonAPIBase(u)
	ix.URL = base
	ix.NotVerified = "the index's answers are not signed"
	if u.Scheme != "https" {
		ix.NotVerified += ", and came over plain HTTP"
	}
	if hadUser {
		ix.NotVerified += "; the credentials in the index URL were not used"
	}

	var mu sync.Mutex
	var missing []string
	var latest time.Time
	var cachedAll = true
	var firstErr error
	// An index that answers more than a JSON answer's limit is asked
	// nothing more: each such answer is up to 32 MiB of traffic.
	var tooLarge atomic.Bool
	var skipped atomic.Int64
	r.eachSource(len(img.Python), maxPythonDists, "Python distributions", func(i int) {
		if tooLarge.Load() {
			skipped.Add(1)
			return
		}
		d := img.Python[i]
		pkg, found, srcs, err := r.pythonDist(ctx, base, d, ix.NotVerified)
		if errors.Is(err, errTooLarge) {
			tooLarge.Store(true)
		}
		mu.Lock()
		defer mu.Unlock()
		if err != nil && firstErr == nil {
			firstErr = err
		}
		for _, s := range srcs {
			if s.Fetched.After(latest) {
				latest = s.Fetched
			}
		}
		if len(srcs) == 0 || !srcs[0].cached {
			cachedAll = false
		}
		if !found {
			missing = append(missing, d.Name)
		}
		if pkg != nil {
			r.addPackages(true, *pkg)
		}
	})
	if n := skipped.Load(); n > 0 {
		r.problem("python skipped", fmt.Sprintf("%s answered more than the %d-byte limit of a JSON answer: %d distributions were not asked", base, r.opt.Limits.Document, n), time.Time{})
	}
	sort.Strings(missing)
	ix.Missing, ix.Fetched, ix.Cached = missing, latest, cachedAll && !latest.IsZero()
	if latest.IsZero() && firstErr != nil {
		ix.Error = firstErr.Error()
	}
	r.addIndex(ix)
}

// fetchedDoc is one JSON answer read.
type fetchedDoc struct {
	Source
	cached bool
}

// pythonDist asks the index for d's newest release (/pypi/NAME/json) and
// the known vulnerabilities of its installed version
// (/pypi/NAME/VERSION/json, without a +local part). found is false when
// the index does not have the project; err says why it could not be
// asked.
func (r *run) pythonDist(ctx context.Context, base string, d Distribution, notVerified string) (pkg *Package, found bool, srcs []fetchedDoc, err error) {
	name := normalizeName(d.Name)
	project, err := r.pypiGet(ctx, base+url.PathEscape(name)+"/json", notVerified)
	if errors.Is(err, errNotFound) {
		return nil, false, nil, nil
	}
	if err != nil {
		return nil, true, nil, err
	}
	srcs = append(srcs, project.fetchedDoc)
	p := Package{Name: d.Name, Manager: "python", Installed: d.Version, Sources: []Source{project.Source}}
	if c := project.doc.Info.Version; validVersion(c, ".!+_-") && newerPEP440(c, d.Version) {
		p.Candidate = c
	}
	public, _, _ := strings.Cut(d.Version, "+")
	if release, err := r.pypiGet(ctx, base+url.PathEscape(name)+"/"+url.PathEscape(public)+"/json", notVerified); err == nil {
		srcs = append(srcs, release.fetchedDoc)
		p.Sources = append(p.Sources, release.Source)
		p.Vulnerabilities = vulnerabilities(release.doc)
	}
	if p.Candidate == "" && len(p.Vulnerabilities) == 0 {
		return nil, true, srcs, nil
	}
	return &p, true, srcs, nil
}

type pypiAnswer struct {
	fetchedDoc
	doc pypiDoc
}

func (r *run) pypiGet(ctx context.Context, u, notVerified string) (pypiAnswer, error) {
	b, err := r.fetch.get(ctx, request{url: u, max: r.opt.Limits.Document})
	if err != nil {
		if !errors.Is(err, errNotFound) {
			r.failed(u, err)
		}
		return pypiAnswer{}, err
	}
	defer b.Close()
	r.used(b)
	var a pypiAnswer
	if err := json.NewDecoder(b).Decode(&a.doc); err != nil {
		r.failed(u, errors.New("not a JSON API answer"))
		return pypiAnswer{}, err
	}
	a.Source = Source{URL: u, Fetched: b.fetched, NotVerified: notVerified}
	a.cached = b.cached
	return a, nil
}

// newerPEP440: candidate is a valid version after installed.
func newerPEP440(candidate, installed string) bool {
	c, err1 := pep440.Parse(candidate)
	i, err2 := pep440.Parse(installed)
	return err1 == nil && err2 == nil && c.GreaterThan(i)
}

// vulnerabilities keeps the ones not withdrawn, bounded in number and
// length: they are the server's words.
func vulnerabilities(d pypiDoc) []Vulnerability {
	var out []Vulnerability
	for _, v := range d.Vulnerabilities {
		if v.Withdrawn != nil || v.ID == "" || len(out) == 100 {
			continue
		}
		out = append(out, Vulnerability{
			ID:      clip(v.ID, 100),
			Aliases: clipAll(v.Aliases, 20, 100),
			FixedIn: clipAll(v.FixedIn, 20, 100),
			Link:    clip(v.Link, 500),
		})
	}
	return out
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func clipAll(list []string, count, n int) []string {
	if len(list) > count {
		list = list[:count]
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		out = append(out, clip(s, n))
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
