// Package registrytest runs go-containerregistry's registry on 127.0.0.1
// for tests, counting every request (and the bytes of every blob it
// serves) and letting a test answer some requests itself: a damaged blob,
// a refusal, pagination as a distribution registry writes it.
package registrytest

import (
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// Registry is a registry serving on Host ("127.0.0.1:PORT").
type Registry struct {
	Host string

	mu        sync.Mutex
	reqs      []string // "METHOD PATH"
	blobBytes int64
	hook      func(w http.ResponseWriter, r *http.Request) bool
	linkTags  bool
}

// New starts a registry that stops when the test ends.
func New(t testing.TB) *Registry {
	t.Helper()
	reg := &Registry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reg.mu.Lock()
		reg.reqs = append(reg.reqs, r.Method+" "+r.URL.Path)
		hook := reg.hook
		reg.mu.Unlock()
		if hook != nil && hook(w, r) {
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			w = &countingWriter{ResponseWriter: w, reg: reg}
		}
		if reg.paginates() && r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/tags/list") {
			linkNextPage(w, r, inner)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	reg.Host = strings.TrimPrefix(srv.URL, "http://")
	return reg
}

// SetHook makes hook see every request first; it answers the ones it
// returns true for. nil removes it.
func (reg *Registry) SetHook(hook func(w http.ResponseWriter, r *http.Request) bool) {
	reg.mu.Lock()
	reg.hook = hook
	reg.mu.Unlock()
}

// LinkTags makes the tag list answer as a distribution registry does:
// with a Link header to the next page when a page is full.
// (go-containerregistry's registry cuts a page at n but links none.)
func (reg *Registry) LinkTags() {
	reg.mu.Lock()
	reg.linkTags = true
	reg.mu.Unlock()
}

func (reg *Registry) paginates() bool {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return reg.linkTags
}

// linkNextPage serves a tag list page with the Link header of the
// distribution spec: </v2/NAME/tags/list?n=N&last=LAST>; rel="next".
func linkNextPage(w http.ResponseWriter, r *http.Request, inner http.Handler) {
	rec := httptest.NewRecorder()
	inner.ServeHTTP(rec, r)
	var page struct {
		Tags []string `json:"tags"`
	}
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if rec.Code == http.StatusOK && err == nil && json.Unmarshal(rec.Body.Bytes(), &page) == nil && len(page.Tags) == n && n > 0 {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page.Tags[n-1]}}
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, next.Encode()))
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

// Take returns the requests since the last Take whose "METHOD PATH"
// contains every one of parts, and forgets all requests.
func (reg *Registry) Take(parts ...string) []string {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	var out []string
	for _, r := range reg.reqs {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(r, p)
		}
		if ok {
			out = append(out, r)
		}
	}
	reg.reqs = nil
	return out
}

// BlobBytes returns the bytes of blobs the registry served since the last
// call, and starts counting again.
func (reg *Registry) BlobBytes() int64 {
	reg.mu.Lock()
	defer reg.mu.Unlock()
	n := reg.blobBytes
	reg.blobBytes = 0
	return n
}

type countingWriter struct {
	http.ResponseWriter
	reg *Registry
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.ResponseWriter.Write(b)
	c.reg.mu.Lock()
	c.reg.blobBytes += int64(n)
	c.reg.mu.Unlock()
	return n, err
}
