// Package registrytest runs go-containerregistry's registry on 127.0.0.1
// for tests, counting every request (and the bytes of every blob it
// serves) and letting a test answer some requests itself: a damaged blob,
// a refusal, pagination as a distribution registry writes it.
package registrytest

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
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
