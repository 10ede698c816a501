package fleet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/remotecache"
)

// remoteBacked is, for these tests, what the integration will do inside
// inspect (local cache first, then the remote one, then the layer), done
// from outside through the files of inspect's local layer cache: before
// the analysis it fetches the layers the local cache lacks from the
// remote cache into it, after the analysis it uploads the layers the
// remote cache lacked. A remote failure is a warning; inspect's own decode
// of the local entry is the caller's decode (a damaged entry is a miss
// there, the layer is read and the entry rewritten, which is how a
// damaged remote entry shows here).
type remoteBacked struct {
	cache    *remotecache.Cache
	dir      string // the local cache directory (inspect.Options.CacheDir)
	layerDir string // inspect's layer cache under dir, e.g. "layers-v2.3"
	version  string
	flight   LayerFlight

	mu       sync.Mutex
	warnings []error
	fetched  map[string][]byte // diffID → what the remote cache gave
	missing  map[string]bool   // diffIDs to upload after their analysis
	asked    map[string]bool   // diffIDs asked of the remote cache in this run
}

// layerCacheLayout runs one analysis into an empty cache directory and
// returns the directory inspect keeps its layer entries in, relative to
// it, and the analysis version it stands for ("layers-v2.3", "2.3").
func layerCacheLayout(t testing.TB, ref string) (dir, version string) {
	t.Helper()
	root := t.TempDir()
	if _, err := analyzer(root)(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".layer") && dir == "" {
			dir, _ = filepath.Rel(root, filepath.Dir(filepath.Dir(p))) // …/ALGO/HEX.layer
		}
		return nil
	})
	if !strings.HasPrefix(dir, "layers-v") {
		t.Fatalf("no layer cache entry (layers-vN.M/ALGO/HEX.layer) under %s: inspect's cache layout changed, update this test", root)
	}
	return dir, strings.TrimPrefix(dir, "layers-v")
}

func newRemoteBacked(t testing.TB, cache *remotecache.Cache, layerDir, version string) *remoteBacked {
	return &remoteBacked{cache: cache, dir: t.TempDir(), layerDir: layerDir, version: version,
		fetched: map[string][]byte{}, missing: map[string]bool{}, asked: map[string]bool{}}
}

func (rb *remoteBacked) warn(err error) {
	rb.mu.Lock()
	rb.warnings = append(rb.warnings, err)
	rb.mu.Unlock()
}

func (rb *remoteBacked) entry(diffID string) string {
	algo, hex, _ := strings.Cut(diffID, ":")
	return filepath.Join(rb.dir, rb.layerDir, algo, hex+".layer")
}

func (rb *remoteBacked) analyze(ctx context.Context, ref string) (*inspect.Report, error) {
	src, err := source.Open(ctx, "docker://"+ref, source.OpenOptions{Insecure: true, Keychain: authn.NewMultiKeychain()})
	if err != nil {
		return nil, err
	}
	cfg, err := src.Image.ConfigFile()
	src.Close()
	if err != nil {
		return nil, err
	}
	var diffIDs []string
	for _, d := range cfg.RootFS.DiffIDs {
		id := d.String()
		diffIDs = append(diffIDs, id)
		if _, err := os.Stat(rb.entry(id)); err == nil {
			continue
		}
		_, err := rb.flight.Do(ctx, id, func() ([]byte, error) {
			if b, err := os.ReadFile(rb.entry(id)); err == nil {
				return b, nil
			}
			rb.mu.Lock()
			asked := rb.asked[id]
			rb.asked[id] = true
			rb.mu.Unlock()
			if asked {
				return nil, nil // it failed or missed: once a run is enough
			}
			b, err := rb.cache.Get(ctx, id, rb.version)
			if err != nil {
				if ctx.Err() != nil {
					return nil, err
				}
				if !errors.Is(err, remotecache.ErrNotFound) {
					rb.warn(err)
				}
				rb.mu.Lock()
				rb.missing[id] = true
				rb.mu.Unlock()
				return nil, nil // the analysis reads the layer
			}
			rb.mu.Lock()
			rb.fetched[id] = b
			rb.mu.Unlock()
			return b, writeEntry(rb.entry(id), b)
		})
		if err != nil {
			return nil, err
		}
	}
	r, err := analyzer(rb.dir)(ctx, ref)
	if err != nil {
		return nil, err
	}
	for _, id := range diffIDs {
		b, err := os.ReadFile(rb.entry(id))
		if err != nil {
			continue
		}
		rb.mu.Lock()
		put := rb.missing[id]
		if got, ok := rb.fetched[id]; ok && !bytes.Equal(got, b) {
			// inspect did not accept what the remote cache gave: it read
			// the layer and rewrote the entry.
			rb.warnings = append(rb.warnings, rb.cache.Undecodable(id, errors.New("damaged layer cache entry")))
			delete(rb.fetched, id)
			put = true
		}
		delete(rb.missing, id)
		rb.mu.Unlock()
		if put {
			if err := rb.cache.Put(ctx, id, rb.version, b); err != nil {
				rb.warn(err)
			}
		}
	}
	return r, nil
}

func writeEntry(p string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// blobGets counts the GETs of the cache repository's blobs and the
// image layer blobs since the last Take.
func blobGets(f *fleettest.Fleet, cacheRepo string) (cache, layers map[string]int) {
	cache, layers = map[string]int{}, map[string]int{}
	for _, r := range f.Reg.Take("GET ", "/blobs/") {
		d := r[strings.LastIndex(r, "/")+1:]
		switch {
		case strings.Contains(r, "/"+cacheRepo+"/blobs/"):
			cache[d]++
		case f.LayerBlobs[d]:
			layers[d]++
		}
	}
	return cache, layers
}

func fleetJSON(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteJSON(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestASecondMachineReadsNoLayerTheFirstAnalysed(t *testing.T) {
	f := fleettest.New(t)
	ctx := context.Background()
	layerDir, version := layerCacheLayout(t, f.Refs[0])
	const cacheRepo = "ci/slimpy-cache"
	newCache := func(host string) *remotecache.Cache {
		c, err := remotecache.New(host+"/"+cacheRepo, remotecache.Options{Insecure: true, Keychain: authn.NewMultiKeychain()})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	run := func(rb *remoteBacked, concurrency int) []byte {
		t.Helper()
		f.Reg.Take()
		r, err := Run(ctx, f.Refs, rb.analyze, RunOptions{Concurrency: concurrency})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Failed) != 0 {
			t.Fatalf("failed: %+v", r.Failed)
		}
		return fleetJSON(t, &r)
	}

	// The first machine: cold, the remote cache empty; one image at a time
	// so that its own reads are counted once (see TestEachLayerIsReadOncePerRun).
	first := newRemoteBacked(t, newCache(f.Reg.Host), layerDir, version)
	cold := run(first, 1)
	if len(first.warnings) != 0 {
		t.Fatalf("warnings: %v", first.warnings)
	}
	_, layers := blobGets(f, cacheRepo)
	if len(layers) != len(f.LayerBlobs) {
		t.Fatalf("the cold run read %d of %d layers", len(layers), len(f.LayerBlobs))
	}

	// A second machine: an empty local cache, the same remote one, several
	// images at a time. No image layer is read; each cache blob once.
	second := newRemoteBacked(t, newCache(f.Reg.Host), layerDir, version)
	if got := run(second, 4); !bytes.Equal(got, cold) {
		t.Fatalf("figures differ from the cold run:\n%s", firstDifference(got, cold))
	}
	cacheGets, layers := blobGets(f, cacheRepo)
	if len(layers) != 0 || len(second.warnings) != 0 {
		t.Errorf("the second machine read layers %v (warnings %v)", layers, second.warnings)
	}
	if len(cacheGets) != len(f.LayerBlobs) {
		t.Errorf("%d cache blobs read, want one per distinct layer (%d)", len(cacheGets), len(f.LayerBlobs))
	}
	for d, n := range cacheGets {
		if n != 1 {
			t.Errorf("cache blob %s read %d times", d, n)
		}
	}

	// Damage two entries: one whose blob no longer matches its digest,
	// one whose blob is intact but does not decode. A third machine reads
	// those two layers, warns, gets the same figures, and repairs the
	// undecodable entry (a digest mismatch is the registry's to repair).
	diffIDs := distinctDiffIDs(t, cold)
	flipped, garbage := diffIDs[0], diffIDs[1]
	good, err := newCache(f.Reg.Host).Get(ctx, flipped, version)
	if err != nil {
		t.Fatal(err)
	}
	flippedBlob := dataBlobDigest(good)
	f.Reg.SetHook(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/blobs/"+flippedBlob) {
			bad := bytes.Clone(good)
			bad[len(bad)/2] ^= 0x40
			w.Write(bad)
			return true
		}
		return false
	})
	if err := newCache(f.Reg.Host).Put(ctx, garbage, version, []byte("slimpy-layer\x02 not what inspect wrote")); err != nil {
		t.Fatal(err)
	}
	third := newRemoteBacked(t, newCache(f.Reg.Host), layerDir, version)
	if got := run(third, 4); !bytes.Equal(got, cold) {
		t.Fatalf("figures differ from the cold run:\n%s", firstDifference(got, cold))
	}
	_, layers = blobGets(f, cacheRepo)
	if len(layers) != 2 {
		t.Errorf("the third machine read %d layers, want the 2 damaged ones: %v", len(layers), layers)
	}
	kinds := map[string]remotecache.Kind{}
	for _, w := range third.warnings {
		var e *remotecache.Error
		if errors.As(w, &e) {
			kinds[e.DiffID] = e.Kind
		}
	}
	if len(third.warnings) != 2 || kinds[flipped] != remotecache.Corrupt || kinds[garbage] != remotecache.Corrupt {
		t.Errorf("warnings %v", third.warnings)
	}
	f.Reg.SetHook(nil)
	fourth := newRemoteBacked(t, newCache(f.Reg.Host), layerDir, version)
	run(fourth, 4)
	if _, layers = blobGets(f, cacheRepo); len(layers) != 0 || len(fourth.warnings) != 0 {
		t.Errorf("after the repair: layers read %v, warnings %v", layers, fourth.warnings)
	}

	// A remote cache that cannot be reached: one warning, then it is off;
	// every layer is read, the figures are the same.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := l.Addr().String()
	l.Close()
	offline := newRemoteBacked(t, newCache(dead), layerDir, version)
	if got := run(offline, 1); !bytes.Equal(got, cold) {
		t.Fatalf("figures differ from the cold run:\n%s", firstDifference(got, cold))
	}
	var firstWarnings int
	for _, w := range offline.warnings {
		var e *remotecache.Error
		if !errors.As(w, &e) || e.Kind != remotecache.Unreachable {
			t.Errorf("warning %v", w)
		} else if !e.Repeat {
			firstWarnings++
		}
	}
	if firstWarnings != 1 {
		t.Errorf("%d first warnings, want 1: %v", firstWarnings, offline.warnings)
	}
}

// distinctDiffIDs lists the layers of a fleet report, sorted.
func distinctDiffIDs(t *testing.T, report []byte) []string {
	r, err := Decode(report)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, im := range r.Images {
		for _, l := range im.Layers {
			seen[l.DiffID] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// dataBlobDigest is the digest of data stored as a blob.
func dataBlobDigest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}
