package remotecache

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// A hostile cache registry: every case is bounded in time, memory and
// requests, fails as one kind of *Error (so one warning line), and a
// failure that repeats switches the cache off instead of costing it again
// for every layer.
func TestHostileCacheRegistry(t *testing.T) {
	data := layerData(5)
	endless := func(w http.ResponseWriter, r *http.Request, first string, sent *atomic.Int64) {
		w.WriteHeader(http.StatusOK)
		n, _ := w.Write([]byte(first))
		sent.Add(int64(n))
		chunk := []byte(strings.Repeat(" ", 1<<20))
		for range 1024 { // 1 GiB unless the client stops
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil || r.Context().Err() != nil {
				return
			}
		}
	}
	defer source.SetRegistryWaits(10*time.Millisecond, nil)()
	for _, c := range []struct {
		name  string
		path  string // the requests (GET) the hostile registry answers itself: manifests or blobs
		serve func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64)
		kind  Kind
		want  string // in the error
		// at most: requests to the registry, bytes it sent, seconds
		requests int64
		sent     int64
		seconds  float64
	}{
		{"a manifest of endless size", "/manifests/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			endless(w, r, `{"schemaVersion": 2, "annotations": {"x": "`, sent)
		}, Oversized, "the registry's manifest is more than the 4.0 MiB limit", 3, 16 << 20, 5},
		{"a manifest declaring 1 TiB", "/manifests/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", "1099511627776")
			w.WriteHeader(http.StatusOK)
		}, Oversized, "the registry's manifest is 1.0 TiB, more than the 4.0 MiB limit", 3, 1 << 20, 5},
		{"a blob larger than declared", "/blobs/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			endless(w, r, string(data), sent)
		}, Corrupt, "longer than the", 3, 16 << 20, 5},
		{"a stalled manifest", "/manifests/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte(`{"schemaVersion": `))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, Timeout, "", 3, 1 << 20, 5},
		{"a stalled blob", "/blobs/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			w.WriteHeader(http.StatusOK)
			w.Write(data[:10])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, Timeout, "", 3, 1 << 20, 5},
		{"503 to every request", "/manifests/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			w.WriteHeader(http.StatusServiceUnavailable)
		}, Failed, "503 Service Unavailable", 3, 1 << 20, 5},
		{"a redirect loop", "/manifests/", func(w http.ResponseWriter, r *http.Request, sent *atomic.Int64) {
			http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
		}, Unreachable, "stopped after 10 redirects", 3 * 11, 1 << 20, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg := registrytest.New(t)
			cache := newCache(t, reg.Host+"/ci/slimpy-cache", Options{Timeout: 3 * time.Second})
			ctx := context.Background()
			diffID := diffIDOf("hostile")
			if err := cache.Put(ctx, diffID, "2.3", data); err != nil {
				t.Fatal(err)
			}
			var asked, sent atomic.Int64
			reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
				asked.Add(1) // every request to the registry from here on
				if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, c.path) {
					return false
				}
				c.serve(w, r, &sent)
				return true
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			got, err := cache.Get(ctx, diffID, "2.3")
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%d requests, %d bytes sent, %d bytes allocated, %s: %v", asked.Load(), sent.Load(), alloc, took, err)
			if got != nil {
				t.Fatal("the hostile registry's data was returned")
			}
			e := kindOf(t, err)
			if e.Kind != c.kind || !strings.Contains(e.Error(), c.want) {
				t.Errorf("got %v, want kind %v with %q", err, c.kind, c.want)
			}
			if n := asked.Load(); n > c.requests {
				t.Errorf("%d requests, want at most %d", n, c.requests)
			}
			if n := sent.Load(); n > c.sent {
				t.Errorf("%d bytes sent, want at most %d", n, c.sent)
			}
			if alloc > 64<<20 {
				t.Errorf("%d bytes allocated, want at most 64 MiB", alloc)
			}
			if took.Seconds() > c.seconds {
				t.Errorf("took %s, want at most %gs", took, c.seconds)
			}
			// What takes the registry down is asked no more in the run.
			if c.kind == Timeout || c.kind == Unreachable || c.kind == Failed {
				asked.Store(0)
				_, err := cache.Get(ctx, diffIDOf("next layer"), "2.3")
				if e := kindOf(t, err); !e.Repeat || asked.Load() != 0 {
					t.Errorf("the next layer asked again (%d requests): %v", asked.Load(), err)
				}
			}
			if errors.Is(err, context.Canceled) {
				t.Error("a hostile registry became a cancellation")
			}
		})
	}
}
