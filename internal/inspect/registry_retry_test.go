package inspect

import (
	"bytes"
	"context"
	"errors"
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
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// faultyRegistry is a real in-process registry whose layer blob answers
// can be replaced: fault sees every GET of the layer blob (its 1-based
// count) and returns true when it answered itself.
type faultyRegistry struct {
	ref    string
	digest string // the layer blob's
	gets   atomic.Int32
	mu     sync.Mutex
	fault  func(n int, w http.ResponseWriter, r *http.Request, blob []byte) bool
	blob   []byte
}

func (f *faultyRegistry) setFault(fn func(n int, w http.ResponseWriter, r *http.Request, blob []byte) bool) {
	f.mu.Lock()
	f.fault = fn
	f.mu.Unlock()
}

// startFaultyRegistry pushes a one-layer image of ~1 MB and serves it.
func startFaultyRegistry(t *testing.T) *faultyRegistry {
	t.Helper()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	fastRegistryRetries(t)
	f := &faultyRegistry{}
	inner := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && f.digest != "" && strings.HasSuffix(r.URL.Path, "/blobs/"+f.digest) {
			n := int(f.gets.Add(1))
			f.mu.Lock()
			fault := f.fault
			f.mu.Unlock()
			if fault != nil && fault(n, w, r, f.blob) {
				return
			}
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	var content bytes.Buffer
	for i := 0; content.Len() < 1<<20; i++ {
		content.WriteString("line " + strconv.Itoa(i*7919%100003) + " of a file that is not too compressible\n")
	}
	img := tartest.Image(t, nil, tartest.Tar(t, tartest.File("app/big.txt", content.String())))
	f.ref = host + "/test/img:1"
	r, err := name.ParseReference(f.ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuth(authn.Anonymous)); err != nil {
		t.Fatal(err)
	}
	ls, _ := img.Layers()
	d, _ := ls[0].Digest()
	rc, _ := ls[0].Compressed()
	f.blob, _ = io.ReadAll(rc)
	rc.Close()
	f.digest = d.String()
	return f
}

// fastRegistryRetries shortens the waits between retries for a test.
func fastRegistryRetries(t *testing.T) {
	t.Cleanup(source.SetRegistryWaits(5*time.Millisecond, nil))
	oldL := layerRetryBackoff
	layerRetryBackoff = []time.Duration{5 * time.Millisecond, 10 * time.Millisecond}
	t.Cleanup(func() { layerRetryBackoff = oldL })
}

func (f *faultyRegistry) analyze(ctx context.Context, t *testing.T) (*Analysis, error) {
	t.Helper()
	src, err := source.Open(ctx, "docker://"+f.ref, source.OpenOptions{Insecure: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	defer src.Close()
	return Analyze(ctx, src, Options{})
}

func TestRegistryRetriesWhatIsWorthRetrying(t *testing.T) {
	f := startFaultyRegistry(t)
	for _, tc := range []struct {
		name   string
		status int
		times  int
	}{
		{"503 twice", http.StatusServiceUnavailable, 2},
		{"429 once", http.StatusTooManyRequests, 1},
		{"500 once", http.StatusInternalServerError, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.gets.Store(0)
			f.setFault(func(n int, w http.ResponseWriter, _ *http.Request, _ []byte) bool {
				if n <= tc.times {
					http.Error(w, `{"errors":[{"code":"UNAVAILABLE","message":"try later"}]}`, tc.status)
					return true
				}
				return false
			})
			a, err := f.analyze(context.Background(), t)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if a.Layers[0].Data.StoredBytes < 1<<20 {
				t.Errorf("stored %d", a.Layers[0].Data.StoredBytes)
			}
			if got := int(f.gets.Load()); got != tc.times+1 {
				t.Errorf("%d GETs of the blob, want %d", got, tc.times+1)
			}
		})
	}
}

func TestRegistryRefusalsAreOneLineErrors(t *testing.T) {
	f := startFaultyRegistry(t)
	for _, tc := range []struct {
		status int
		want   string
		gets   int // 4xx answers are final; 5xx are retried (3 tries)
	}{
		{http.StatusUnauthorized, "authentication required (401)", 1},
		{http.StatusForbidden, "access denied (403)", 1},
		{http.StatusNotFound, "not found (404)", 1},
		{http.StatusTooManyRequests, "rate limited by the registry (429)", 3},
		{http.StatusBadGateway, "registry error (502)", 3},
	} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			f.gets.Store(0)
			f.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, _ []byte) bool {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				io.WriteString(w, `{"errors":[{"code":"DENIED","message":"no\nway"}]}`)
				return true
			})
			_, err := f.analyze(context.Background(), t)
			if err == nil {
				t.Fatal("analysis succeeded")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || strings.ContainsAny(msg, "\r\n") || !strings.Contains(msg, "layer 0") {
				t.Errorf("error %q: want one line naming layer 0 and %q", msg, tc.want)
			}
			if got := int(f.gets.Load()); got != tc.gets {
				t.Errorf("%d GETs, want %d", got, tc.gets)
			}
		})
	}
}

// dropAfter sends the headers and half the blob, then cuts the connection.
func dropAfter(w http.ResponseWriter, blob []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(blob)))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	w.Write(blob[:len(blob)/2])
	w.(http.Flusher).Flush()
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

func TestRegistryConnectionDropMidLayerIsReadAgain(t *testing.T) {
	f := startFaultyRegistry(t)
	f.setFault(func(n int, w http.ResponseWriter, _ *http.Request, blob []byte) bool {
		if n == 1 {
			dropAfter(w, blob)
			return true
		}
		return false
	})
	a, err := f.analyze(context.Background(), t)
	if err != nil {
		t.Fatal(err)
	}
	if a.Layers[0].Data.StoredFiles != 1 || f.gets.Load() != 2 {
		t.Errorf("%d files after %d GETs", a.Layers[0].Data.StoredFiles, f.gets.Load())
	}

	f.gets.Store(0)
	f.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, blob []byte) bool {
		dropAfter(w, blob)
		return true
	})
	_, err = f.analyze(context.Background(), t)
	if err == nil || !strings.Contains(err.Error(), "failed 3 times") || strings.ContainsAny(err.Error(), "\r\n") {
		t.Errorf("always dropping: %v", err)
	}
	if n := f.gets.Load(); n != 3 {
		t.Errorf("%d GETs, want 3", n)
	}
}

func TestRegistryStalledReadStopsOnCancel(t *testing.T) {
	f := startFaultyRegistry(t)
	release := make(chan struct{})
	defer close(release)
	f.setFault(func(_ int, w http.ResponseWriter, r *http.Request, blob []byte) bool {
		w.Header().Set("Content-Length", strconv.Itoa(len(blob)))
		w.WriteHeader(http.StatusOK)
		w.Write(blob[:len(blob)/2])
		w.(http.Flusher).Flush()
		select { // stall, as a dead connection does
		case <-release:
		case <-time.After(time.Minute):
		}
		return true
	})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := f.analyze(ctx, t)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("cancel took %v", d)
	}
}

func TestRegistryBlobThatLies(t *testing.T) {
	f := startFaultyRegistry(t)
	t.Run("other content", func(t *testing.T) {
		f.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, blob []byte) bool {
			b := bytes.Clone(blob)
			b[len(b)/2] ^= 0xff
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			return true
		})
		_, err := f.analyze(context.Background(), t)
		if err == nil || strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("got %v, want a one-line error", err)
		}
		t.Log(err)
	})
	t.Run("other size", func(t *testing.T) {
		f.setFault(func(_ int, w http.ResponseWriter, _ *http.Request, blob []byte) bool {
			b := append(bytes.Clone(blob), "trailing"...)
			w.Header().Set("Content-Length", strconv.Itoa(len(b)))
			w.Write(b)
			return true
		})
		_, err := f.analyze(context.Background(), t)
		if err == nil || !strings.Contains(err.Error(), "does not match") || strings.ContainsAny(err.Error(), "\r\n") {
			t.Fatalf("got %v, want a one-line size mismatch", err)
		}
		t.Log(err)
	})
}
