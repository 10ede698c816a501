package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// --cache-repo shares the layer analyses through a registry: a second
// machine (an empty local cache) reads no layer the first one analysed,
// and its report is the first's; a damaged artifact is one warning and
// the layer is read, with the same figures; an unreachable cache is one
// warning line and the analysis goes on.
func TestCacheRepo(t *testing.T) {
	reg, ref, img := registryWithApp(t)
	layers, _ := img.Layers()
	var layerDigests []string
	for _, l := range layers {
		d, _ := l.Digest()
		layerDigests = append(layerDigests, d.String())
	}
	inspectWith := func(cacheRepo string) (string, string) {
		t.Helper()
		code, out, stderr := slimpy(t, "inspect", ref, "--insecure", "--format", "json", "--no-rules",
			"--cache-dir", t.TempDir(), "--cache-repo", cacheRepo)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return out, stderr
	}
	layerReads := func() int {
		n := 0
		for _, r := range reg.Take("GET", "/v2/app/one/blobs/") {
			for _, d := range layerDigests {
				if strings.HasSuffix(r, d) {
					n++
				}
			}
		}
		return n
	}
	cached := regexp.MustCompile(`"cached": (true|false)`)
	same := func(a, b string) bool { return cached.ReplaceAllString(a, "") == cached.ReplaceAllString(b, "") }

	reg.Take()
	cold, stderr := inspectWith(reg.Host + "/slimpy-cache")
	if n := layerReads(); n != 3 || stderr != "" {
		t.Fatalf("first machine: %d layer reads (want 3), stderr %q", n, stderr)
	}
	warm, stderr := inspectWith(reg.Host + "/slimpy-cache")
	if n := layerReads(); n != 0 || stderr != "" {
		t.Errorf("second machine: %d layer reads (want 0), stderr %q", n, stderr)
	}
	if !same(cold, warm) || strings.Count(warm, `"cached": true`) != 3 {
		t.Errorf("the second machine's report differs:\n%s\nfirst:\n%s", warm, cold)
	}

	// Damaged artifacts: every cache blob served with a flipped byte.
	reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/slimpy-cache/blobs/") {
			return false
		}
		w.WriteHeader(http.StatusOK)
		w.Write([]byte("not a layer analysis"))
		return true
	})
	reg.Take()
	damaged, stderr := inspectWith(reg.Host + "/slimpy-cache")
	if n := layerReads(); n != 3 || !strings.Contains(stderr, "warning") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("damaged cache: %d layer reads (want 3), stderr %q (want one warning line)", n, stderr)
	}
	if !same(cold, damaged) {
		t.Errorf("the report with a damaged cache differs")
	}
	reg.SetHook(nil)

	// A cache repository nobody answers for.
	down, stderr := inspectWith("127.0.0.1:1/slimpy-cache")
	if !same(cold, down) || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "warning") {
		t.Errorf("unreachable cache: stderr %q (want one warning line)", stderr)
	}
}

// registryWithApp is a registry holding app/one:1, a random image of
// three layers; ref names it.
func registryWithApp(t *testing.T) (reg *registrytest.Registry, ref string, img v1.Image) {
	reg = registrytest.New(t)
	img, err := random.Image(4096, 3)
	if err != nil {
		t.Fatal(err)
	}
	return reg, push(t, reg.Host, "app/one:1", img), img
}

// A fleet scanned by two machines that share only the registry: the second
// (an empty local cache, --cache-repo) reads no image layer, and its
// report is the first's byte for byte.
func TestScanSharesLayersThroughCacheRepo(t *testing.T) {
	f := newScanFleet(t)
	list := listFile(t, f.refs)
	cacheRepo := f.Reg.Host + "/slimpy-cache"
	scan := func() string {
		t.Helper()
		code, out, stderr := slimpy(t, scanArgs(t, "--file", list, "--format", "json", "--cache-repo", cacheRepo)...)
		if code != 0 || stderr != "" {
			t.Fatalf("scan: exit %d: %s", code, stderr)
		}
		return out
	}
	first := scan()
	if n := len(f.LayerGets()); n != len(f.LayerBlobs) {
		t.Fatalf("the first machine read %d of %d layer blobs", n, len(f.LayerBlobs))
	}
	second := scan()
	if gets := f.LayerGets(); len(gets) != 0 {
		t.Errorf("the second machine read %d layer blobs: %v", len(gets), gets)
	}
	if first != second {
		t.Errorf("the second machine's report differs")
	}
}

// BenchmarkScanCacheRepo: a fleet of 50 images on the test fleet's
// bases (fleettest.NewSized: 18 on buster, 14 on bookworm, 7 on bookworm +
// gcc, 11 on alpine) scanned cold by a first machine with --cache-repo, then by a second
// machine with an empty local cache and the same --cache-repo: time and
// the bytes of blobs each read from the registry (image layers and cache
// artifacts). docs/performance.md quotes it.
func BenchmarkScanCacheRepo(b *testing.B) {
	for _, phase := range []string{"first machine", "second machine"} {
		b.Run(strings.ReplaceAll(phase, " ", "-"), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				f := fleettest.NewSized(b, fleettest.Sizes{Buster: 18, Bookworm: 14, Gcc: 7, Alpine: 11})
				var refs []string
				for _, r := range f.Refs {
					refs = append(refs, "docker://"+r)
				}
				list := filepath.Join(b.TempDir(), "images.txt")
				os.WriteFile(list, []byte(strings.Join(refs, "\n")+"\n"), 0o644)
				args := []string{"scan", "--insecure", "--now", scanNow, "--file", list, "--format", "json", "--cache-repo", f.Reg.Host + "/slimpy-cache"}
				run := func() {
					var out, errb bytes.Buffer
					if code := run(context.Background(), append(args, "--cache-dir", b.TempDir()), &out, &errb); code != 0 {
						b.Fatalf("scan: exit %d: %s", code, errb.String())
					}
				}
				if phase == "second machine" {
					run()
				}
				f.Reg.BlobBytes()
				b.StartTimer()
				run()
				b.StopTimer()
				b.ReportMetric(float64(f.Reg.BlobBytes()), "blob-bytes/op")
				b.StartTimer()
			}
		})
	}
}

// A hostile cache registry costs the run speed, never its figures: each
// case is one warning line, the report is the one a run without a cache
// makes, and the bounds of the registry: section (here a 1 s idle timeout)
// reach the cache's requests as they reach the images'.
func TestHostileCacheRepo(t *testing.T) {
	reg, ref, _ := registryWithApp(t)
	config := writeConfig(t, t.TempDir(), "registry:\n  idle-timeout: 1s\n")
	inspectWith := func(cacheRepo string) (string, string, time.Duration) {
		t.Helper()
		start := time.Now()
		code, out, stderr := slimpy(t, "inspect", ref, "--insecure", "--format", "json", "--no-rules", "--config", config,
			"--cache-dir", t.TempDir(), "--cache-repo", cacheRepo)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return out, stderr, time.Since(start)
	}
	cached := regexp.MustCompile(`"cached": (true|false)`)
	plain, stderr, _ := inspectWith(reg.Host + "/slimpy-cache")
	plain = cached.ReplaceAllString(plain, "")
	if stderr != "" {
		t.Fatalf("stderr %q", stderr)
	}
	manifests := func(r *http.Request) bool {
		return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/slimpy-cache/manifests/")
	}
	for _, c := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
		want  string
	}{
		{"a manifest of endless size", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			io.WriteString(w, `{"schemaVersion": 2, "annotations": {"x": "`)
			chunk := []byte(strings.Repeat(" ", 1<<20))
			for range 1024 {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, "oversized: the registry's manifest is more than the 4.0 MiB limit"},
		{"a redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
		}, "unreachable: Get"},
		{"a stalled manifest", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			io.WriteString(w, `{"schemaVersion": `)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, "nothing from the registry for 1s (registry.idle-timeout)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
				if manifests(r) {
					c.serve(w, r)
					return true
				}
				return false
			})
			defer reg.SetHook(nil)
			out, stderr, took := inspectWith(reg.Host + "/slimpy-cache")
			t.Logf("%s: %q", took, stderr)
			if cached.ReplaceAllString(out, "") != plain {
				t.Errorf("the report differs from the one without a cache:\n%s", out)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "warning") || !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want one warning line with %q", stderr, c.want)
			}
			if took > 20*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}
