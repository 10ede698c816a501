package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// A hostile registry on 127.0.0.1: a real in-process registry holding one
// image, behind a hook that answers some requests itself. No test waits on
// a clock beyond the short timeouts it sets; bounds are asserted by
// limits hit and errors returned.

type hostileRegistry struct {
	ref      string // host/test/img:1
	host     string
	manifest string // the image's manifest digest
	config   string // its config digest
	layer    string // its layer's digest
	blob     []byte // and its bytes
	hook     atomic.Pointer[func(w http.ResponseWriter, r *http.Request) bool]
	requests atomic.Int32
	release  chan struct{}
}

func startHostileRegistry(t *testing.T) *hostileRegistry {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	fastRegistryRetries(t)
	h := &hostileRegistry{release: make(chan struct{})}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		if fn := h.hook.Load(); fn != nil && (*fn)(w, r) {
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { close(h.release); srv.Close() })
	h.host = strings.TrimPrefix(srv.URL, "http://")
	h.ref = h.host + "/test/img:1"
	img := tartest.Image(t, nil, tartest.Tar(t, tartest.File("app/a.txt", strings.Repeat("slimpy ", 20000))))
	img, _ = mutate.ConfigFile(img, mustConfig(t, img))
	r, _ := name.ParseReference(h.ref, name.Insecure)
	if err := remote.Write(r, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	d, _ := img.Digest()
	c, _ := img.ConfigName()
	ls, _ := img.Layers()
	l, _ := ls[0].Digest()
	h.manifest, h.config, h.layer = d.String(), c.String(), l.String()
	rc, _ := ls[0].Compressed()
	h.blob, _ = io.ReadAll(rc)
	rc.Close()
	return h
}

func (h *hostileRegistry) setHook(fn func(w http.ResponseWriter, r *http.Request) bool) {
	h.hook.Store(&fn)
}

// stall blocks a handler until the test ends or the client goes.
func (h *hostileRegistry) stall(r *http.Request) {
	select {
	case <-h.release:
	case <-r.Context().Done():
	case <-time.After(10 * time.Minute):
	}
}

func (h *hostileRegistry) analyze(t *testing.T, o source.RegistryOptions) error {
	t.Helper()
	ctx := context.Background()
	src, err := source.Open(ctx, "docker://"+h.ref, source.OpenOptions{Insecure: true, Registry: o, Platform: "linux/amd64"})
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = Analyze(ctx, src, Options{})
	return err
}

var shortTimeouts = source.RegistryOptions{ConnectTimeout: time.Second, ResponseHeaderTimeout: 300 * time.Millisecond, IdleTimeout: 300 * time.Millisecond}

// A redirect loop stops after 10 hops, as net/http's own check does
// (go-containerregistry's has no limit: 659k requests in 60 s).
func TestHostileRegistryRedirectLoop(t *testing.T) {
	h := startHostileRegistry(t)
	h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/manifests/") {
			http.Redirect(w, r, r.URL.Path+"?again", http.StatusFound)
			return true
		}
		return false
	})
	h.requests.Store(0)
	err := h.analyze(t, source.RegistryOptions{})
	wantOneLineError(t, err, "stopped after 10 redirects")
	if n := h.requests.Load(); n > 3*12 {
		t.Errorf("%d requests", n)
	}
}

// A server that accepts and never answers, or answers and then stalls,
// is given up on after the timeouts (then retried, as network errors are).
func TestHostileRegistryStalls(t *testing.T) {
	h := startHostileRegistry(t)
	for _, tc := range []struct {
		name  string
		path  string
		hook  func(w http.ResponseWriter, r *http.Request)
		wants []string
	}{
		{"never answers", "/manifests/", func(w http.ResponseWriter, r *http.Request) { h.stall(r) },
			[]string{"did not answer in time (registry.response-header-timeout)"}},
		{"stalls after the headers", "/manifests/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
			w.Header().Set("Content-Length", "1000")
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			h.stall(r)
		}, []string{"nothing from the registry for 300ms (registry.idle-timeout)"}},
		{"stalls mid-blob", "/blobs/" + h.layer, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(len(h.blob)))
			w.WriteHeader(http.StatusOK)
			w.Write(h.blob[:len(h.blob)/2])
			w.(http.Flusher).Flush()
			h.stall(r)
		}, []string{"layer 0", "failed 3 times", "nothing from the registry for 300ms"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method == http.MethodGet && strings.Contains(r.URL.Path, tc.path) {
					tc.hook(w, r)
					return true
				}
				return false
			})
			wantOneLineError(t, h.analyze(t, shortTimeouts), tc.wants...)
		})
	}
}

// Retry-After is honoured up to registry.max-retry-after; a longer wait
// asked for is an error at once.
func TestHostileRegistryRetryAfter(t *testing.T) {
	h := startHostileRegistry(t)
	var mu sync.Mutex
	var waits []time.Duration
	t.Cleanup(source.SetRegistryWaits(0, func(_ context.Context, d time.Duration) error {
		mu.Lock()
		waits = append(waits, d)
		mu.Unlock()
		return nil
	}))
	var gets atomic.Int32
	after := "7"
	h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+h.layer) && gets.Add(1) == 1 {
			w.Header().Set("Retry-After", after)
			http.Error(w, `{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}`, http.StatusTooManyRequests)
			return true
		}
		return false
	})
	if err := h.analyze(t, source.RegistryOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(waits) != 1 || waits[0] != 7*time.Second || gets.Load() != 2 {
		t.Errorf("waited %v over %d GETs; want 7s, 2 GETs", waits, gets.Load())
	}

	waits, after = nil, "3600"
	gets.Store(0)
	err := h.analyze(t, source.RegistryOptions{})
	wantOneLineError(t, err, "layer 0", "rate limited by the registry", "try again in 1h0m0s", "registry.max-retry-after")
	if len(waits) != 0 || gets.Load() != 1 {
		t.Errorf("waited %v over %d GETs; want no wait, 1 GET", waits, gets.Load())
	}
}

// A manifest is bounded at 4 MiB however it comes (go-containerregistry
// reads up to 100 MiB); a manifest that declares a 3 GiB config is refused
// before the config is asked for; a manifest that is not JSON is named.
func TestHostileRegistryMetadata(t *testing.T) {
	h := startHostileRegistry(t)
	serveManifest := func(body []byte, chunked bool) {
		h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.Contains(r.URL.Path, "/manifests/") {
				return false
			}
			w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
			if !chunked {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			}
			if r.Method == http.MethodGet {
				w.Write(body)
			}
			return true
		})
	}
	big := []byte(`{"schemaVersion":2}` + strings.Repeat(" ", 5<<20))
	for _, chunked := range []bool{false, true} {
		serveManifest(big, chunked)
		wantOneLineError(t, h.analyze(t, source.RegistryOptions{}), "the registry's manifest is", "more than the 4.0 MiB limit")
	}

	var configGets atomic.Int32
	m, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: fakeDigest(3), Size: 3 << 30}})
	serveManifest(m, false)
	inner := *h.hook.Load()
	h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/blobs/") {
			configGets.Add(1)
		}
		return inner(w, r)
	})
	wantOneLineError(t, h.analyze(t, source.RegistryOptions{}), "declares a config of 3.0 GiB, more than the 4.0 MiB limit")
	if n := configGets.Load(); n != 0 {
		t.Errorf("%d blob requests", n)
	}

	serveManifest([]byte("{not json"), false)
	err := h.analyze(t, source.RegistryOptions{})
	wantOneLineError(t, err, "manifest")
	if strings.Contains(err.Error(), "config") {
		t.Errorf("the error blames the config: %v", err)
	}
}

// fakeDigest is a digest of no blob.
func fakeDigest(i int) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%064x", i)}
}
