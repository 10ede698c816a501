package refresh

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// The fetcher gets one URL at a time: from the cache while its copy is
// younger than the TTL (or, for a content-addressed file, whenever it is
// there), else over HTTP with every bound applied, into the cache through
// a temporary file renamed into place. Offline, it only reads the cache.
// After a network failure it asks that host nothing more and falls back
// on cached copies of any age.
type fetcher struct {
	client  *http.Client
	dir     string // "" keeps nothing: bodies go to temporary files
	ttl     time.Duration
	offline bool
	now     func() time.Time
	timeout time.Duration

	mu   sync.Mutex
	down map[string]error // host → the network error that took it down
}

// request is one URL to get.
type request struct {
	url string
	max int64 // bytes; more is an error
	// sha256 and size, when the signed index names them: the cache keeps
	// the file under its hash, for good, and a body that differs is an
	// error.
	sha256 string
	size   int64
}

// body is a fetched response, on disk. Close it.
type body struct {
	*os.File
	url     string
	fetched time.Time
	cached  bool  // read from the cache
	stale   error // the copy is past the TTL: why a fresh one could not be had
	temp    string
}

func (b *body) Close() error {
	err := b.File.Close()
	if b.temp != "" {
		os.Remove(b.temp)
	}
	return err
}

// errNotFound is a 404 or 410: the index does not have it.
var errNotFound = errors.New("not found")

// errTooLarge: the answer is longer than the request allows.
var errTooLarge = errors.New("response is over the limit")

// errOffline: offline mode, and no copy in the cache.
var errOffline = errors.New("offline, and not in the cache")

// netError is a failure to talk to a host (connection, TLS, time-out,
// a server error): it takes the whole host down for this run.
type netError struct {
	host string
	err  error
}

func (e *netError) Error() string { return e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

const cacheMagic = "slimpy-refresh 1"

// cacheMeta is the first line of a cache entry; the body follows it.
type cacheMeta struct {
	URL     string    `json:"url"`
	Fetched time.Time `json:"fetched"`
}

func (f *fetcher) key(r request) string {
	if r.sha256 != "" {
		return "sha256-" + r.sha256
	}
	h := sha256.Sum256([]byte(r.url))
	return "url-" + hex.EncodeToString(h[:])
}

func (f *fetcher) get(ctx context.Context, r request) (*body, error) {
	var cached *body
	if f.dir != "" {
		cached = f.fromCache(r)
	}
	if cached != nil && (r.sha256 != "" || f.offline || f.now().Sub(cached.fetched) < f.ttl) {
		return cached, nil
	}
	if f.offline {
		return nil, errOffline
	}
	b, err := f.fetch(ctx, r)
	if err != nil {
		var ne *netError
		if cached != nil && errors.As(err, &ne) {
			cached.stale = err
			return cached, nil
		}
		if cached != nil {
			cached.Close()
		}
		return nil, err
	}
	if cached != nil {
		cached.Close()
	}
	return b, nil
}

// fromCache opens the cache entry of r, positioned at its body, or returns
// nil. A content-addressed entry is checked against its hash.
func (f *fetcher) fromCache(r request) *body {
	p := filepath.Join(f.dir, f.key(r))
	file, err := os.Open(p)
	if err != nil {
		return nil
	}
	br := bufio.NewReaderSize(file, 4096)
	magic, err1 := br.ReadString('\n')
	line, err2 := br.ReadSlice('\n')
	var m cacheMeta
	// A content-addressed entry serves whichever URL has that content
	// (by-hash/ or the plain name); another entry only its own URL.
	if err1 != nil || err2 != nil || strings.TrimSuffix(magic, "\n") != cacheMagic || json.Unmarshal(line, &m) != nil || (r.sha256 == "" && m.URL != r.url) {
		file.Close()
		return nil
	}
	off := int64(len(magic) + len(line))
	if r.sha256 != "" {
		if _, err := file.Seek(off, io.SeekStart); err != nil || !hashMatches(file, r) {
			file.Close()
			os.Remove(p)
			return nil
		}
	}
	if _, err := file.Seek(off, io.SeekStart); err != nil {
		file.Close()
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // the least recently used go first when the cache is pruned
	return &body{File: file, url: m.URL, fetched: m.Fetched, cached: true}
}

func hashMatches(rd io.Reader, r request) bool {
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(rd, r.size+1))
	return err == nil && n == r.size && hex.EncodeToString(h.Sum(nil)) == r.sha256
}

// fetch gets r over HTTP into a new cache entry (or a temporary file).
func (f *fetcher) fetch(ctx context.Context, r request) (*body, error) {
	u, err := url.Parse(r.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("not an http(s) URL")
	}
	host := u.Host
	f.mu.Lock()
	downErr := f.down[host]
	f.mu.Unlock()
	if downErr != nil {
		return nil, &netError{host, downErr}
	}

	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "slimpy-refresh")
	fetched := f.now()
	resp, err := f.client.Do(req)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled) {
			return nil, ctx.Err()
		}
		return nil, f.hostDown(host, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
		return nil, errNotFound
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, f.hostDown(host, fmt.Errorf("HTTP %d", resp.StatusCode))
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > r.max {
		return nil, fmt.Errorf("%w: it declares %d bytes, the limit is %d", errTooLarge, resp.ContentLength, r.max)
	}

	dir := f.dir
	if dir == "" {
		dir = os.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	var off int64
	if f.dir != "" {
		meta, _ := json.Marshal(cacheMeta{URL: r.url, Fetched: fetched})
		n, err := fmt.Fprintf(tmp, "%s\n%s\n", cacheMagic, meta)
		if err != nil {
			return nil, err
		}
		off = int64(n)
	}
	// A file the signed index names is read no further than its size.
	limit := r.max
	if r.sha256 != "" && r.size < limit {
		limit = r.size
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil && ctx.Err() != nil && errors.Is(ctx.Err(), context.Canceled):
		return nil, ctx.Err()
	case err != nil:
		return nil, f.hostDown(host, err)
	case n > limit && limit < r.max:
		return nil, fmt.Errorf("more than the %d bytes the signed index gives it", limit)
	case n > limit:
		return nil, fmt.Errorf("%w of %d bytes", errTooLarge, r.max)
	case r.sha256 != "" && (n != r.size || hex.EncodeToString(h.Sum(nil)) != r.sha256):
		return nil, fmt.Errorf("%d bytes with SHA256 %s; the signed index says %d bytes, %s", n, hex.EncodeToString(h.Sum(nil)), r.size, r.sha256)
	}
	if _, err := tmp.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	b := &body{File: tmp, url: r.url, fetched: fetched}
	if f.dir == "" {
		b.temp = tmp.Name()
	} else if err := os.Rename(tmp.Name(), filepath.Join(f.dir, f.key(r))); err != nil {
		return nil, err
	}
	keep = true
	return b, nil
}

// hostDown records the first network error of a host: later requests to
// it fail at once with it, so that an unreachable index costs one time-out
// and gives one warning.
func (f *fetcher) hostDown(host string, err error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down == nil {
		f.down = map[string]error{}
	}
	if first := f.down[host]; first != nil {
		return &netError{host, first}
	}
	f.down[host] = err
	return &netError{host, err}
}

// prune keeps the cache under max bytes, dropping the least recently used
// entries first, and removes temporary files older than an hour (left by a
// run that was killed).
func prune(dir string, max int64, now time.Time) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type entry struct {
		path  string
		size  int64
		mtime time.Time
	}
	var all []entry
	var total int64
	for _, e := range ents {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if strings.HasPrefix(e.Name(), ".tmp-") {
			if now.Sub(info.ModTime()) > time.Hour {
				os.Remove(p)
			}
			continue
		}
		all = append(all, entry{p, info.Size(), info.ModTime()})
		total += info.Size()
	}
	if total <= max {
		return
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mtime.Before(all[j].mtime) })
	for _, e := range all {
		if total <= max*8/10 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
}

// newClient is the HTTP client of a run: the environment's proxy, bounded
// dials, handshakes and header waits, at most 5 redirects and none from
// https to http. base, when given, brings its transport (a test server's
// TLS client).
func newClient(base *http.Client) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	} else {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSHandshakeTimeout = 15 * time.Second
		t.ResponseHeaderTimeout = 30 * time.Second
		t.MaxResponseHeaderBytes = 64 << 10
		c.Transport = t
	}
	c.Timeout = 0 // each request has its own deadline
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("more than 5 redirects")
		}
		if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("redirect from https to " + req.URL.Scheme)
		}
		return nil
	}
	return c
}
