package fleet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/remotecache"
	"github.com/slimpy/slimpy/internal/remotecache/registrytest"
)

// BenchmarkFleet50Images: 50 images over 3 bases (an OS layer of ~20 MB
// and a Python layer of ~8 MB each; ~1 MB of application layers per
// image) in a registry on 127.0.0.1, scanned 4 at a time:
//
//	cold            an empty local cache, no remote cache
//	cold+remote     an empty local cache, an empty remote cache filled on the way
//	second-machine  an empty local cache, the remote cache the cold run filled
//
// Each reports its wall time (ns/op) and the blob bytes the registry
// served (layers or cache artifacts), per run. docs/fleet.md has the
// figures. Run with:
//
//	go test -run '^$' -bench Fleet50 -benchtime 3x ./internal/fleet/
func BenchmarkFleet50Images(b *testing.B) {
	reg := registrytest.New(b)
	refs := benchFleet(b, reg)
	layerDir, version := layerCacheLayout(b, refs[0])
	ctx := context.Background()
	cacheN := 0
	newCache := func() *remotecache.Cache {
		cacheN++
		c, err := remotecache.New(fmt.Sprintf("%s/ci/cache-%d", reg.Host, cacheN), remotecache.Options{Insecure: true, Keychain: authn.NewMultiKeychain()})
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	scan := func(b *testing.B, analyze Analyzer) {
		b.Helper()
		r, err := Run(ctx, refs, analyze, RunOptions{Concurrency: 4})
		if err != nil || len(r.Failed) != 0 || len(r.Images) != len(refs) {
			b.Fatalf("%v %+v", err, r.Failed)
		}
	}
	measure := func(b *testing.B, run func(b *testing.B)) {
		var bytes int64
		for b.Loop() {
			reg.BlobBytes()
			run(b)
			bytes += reg.BlobBytes()
		}
		b.ReportMetric(float64(bytes)/float64(b.N)/1e6, "MB-read/op")
	}

	b.Run("cold", func(b *testing.B) {
		measure(b, func(b *testing.B) { scan(b, analyzer(b.TempDir())) })
	})
	b.Run("cold+remote", func(b *testing.B) {
		measure(b, func(b *testing.B) { scan(b, newRemoteBacked(b, newCache(), layerDir, version).analyze) })
	})
	filled := newCache()
	scan(b, newRemoteBacked(b, filled, layerDir, version).analyze)
	b.Run("second-machine", func(b *testing.B) {
		measure(b, func(b *testing.B) {
			rb := newRemoteBacked(b, filled, layerDir, version)
			scan(b, rb.analyze)
			if len(rb.warnings) != 0 {
				b.Fatal(rb.warnings)
			}
		})
	})
}

// benchFleet pushes the benchmark's 50 images and returns their
// references. The three bases are built once and the application layer
// appended to them, as a registry holds them.
func benchFleet(b *testing.B, reg *registrytest.Registry) []string {
	b.Helper()
	start := time.Now()
	var bases [3]v1.Image
	for i, minor := range []string{"3.11", "3.12", "3.13"} {
		img, err := fixtures.BuildImage(fixtures.Image{Steps: []fixtures.Step{
			fixtures.Layer(fmt.Sprintf("/bin/sh -c #(nop) ADD file:os%d in / ", i),
				fixtures.File("/etc/os-release", fixtures.Debian12OSRelease),
				fixtures.Rand(fmt.Sprintf("/usr/lib/x86_64-linux-gnu/libbig%d.so", i), 12<<20),
				fixtures.Text(fmt.Sprintf("/usr/share/doc/os%d.txt", i), 8<<20)),
			fleettest.PythonLayer(minor, 4<<20),
		}}, false)
		if err != nil {
			b.Fatal(err)
		}
		bases[i] = img
	}
	var refs []string
	distinct := map[v1.Hash]int64{}
	for i := 0; i < 50; i++ {
		l, err := fixtures.NewLayer(fixtures.WithParents([]fixtures.Entry{
			fixtures.Rand(fmt.Sprintf("/app/lib%d.so", i), 600<<10),
			fixtures.Text("/app/main.py", 400<<10).WithSeed(fmt.Sprint(i)),
		}), false, false)
		if err != nil {
			b.Fatal(err)
		}
		img, err := mutate.Append(bases[i%3], mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("COPY . /app # %d", i)}})
		if err != nil {
			b.Fatal(err)
		}
		refs = append(refs, fleettest.Push(b, fmt.Sprintf("%s/team/app-%02d:v1", reg.Host, i), img))
		ls, _ := img.Layers()
		for _, l := range ls {
			d, _ := l.Digest()
			distinct[d], _ = l.Size()
		}
	}
	var total int64
	for _, n := range distinct {
		total += n
	}
	b.Logf("50 images pushed in %s; %d distinct layer blobs of %.1f MB in all",
		time.Since(start).Round(time.Millisecond), len(distinct), float64(total)/1e6)
	return refs
}
