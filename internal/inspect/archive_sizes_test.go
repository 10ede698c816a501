package inspect

import (
	"archive/tar"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/source"
)

// A docker save archive whose layers are gzipped (as the fixtures' are,
// and a newer docker save's): the compressed size of each layer is its
// member's size in the archive, as `tar -tvf` lists it, not the length of
// the uncompressed tar.
func TestArchiveCompressedSizeIsTheMemberSize(t *testing.T) {
	p := filepath.Join(fixtureDir, "python.tar")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	members := map[string]int64{}
	var manifest []struct{ Layers []string }
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		members[h.Name] = h.Size
		if h.Name == "manifest.json" {
			if err := json.NewDecoder(tr).Decode(&manifest); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, cache := range []string{"", t.TempDir()} { // without a cache, then cold and warm
		for run := 0; run < 2; run++ {
			src, err := source.Open(context.Background(), "docker-archive:"+p, source.OpenOptions{})
			if err != nil {
				t.Fatal(err)
			}
			a, err := Analyze(context.Background(), src, Options{CacheDir: cache})
			src.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := a.Report()
			var total int64
			for i, l := range r.Layers {
				want := members[manifest[0].Layers[i]]
				if l.CompressedSize != want || want == 0 {
					t.Errorf("cache %q run %d layer %d: compressedSize %d, the archive member is %d bytes", cache, run, i, l.CompressedSize, want)
				}
				if want >= a.Layers[i].Data.TarBytes {
					t.Errorf("layer %d: the fixture's member (%d) should be gzipped, smaller than its tar (%d)", i, want, a.Layers[i].Data.TarBytes)
				}
				total += want
			}
			if r.Totals.CompressedSize != total {
				t.Errorf("totals.compressedSize %d, want %d", r.Totals.CompressedSize, total)
			}
		}
	}
	// The image-level cache fills the sizes in again from the source.
	cache := t.TempDir()
	var first Report
	for run := 0; run < 2; run++ {
		src, err := source.Open(context.Background(), "docker-archive:"+p, source.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r, err := InspectReport(context.Background(), src, Options{CacheDir: cache}, nil)
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first = r
			continue
		}
		for i, l := range r.Layers {
			if l.CompressedSize != first.Layers[i].CompressedSize || l.CompressedSize != members[manifest[0].Layers[i]] {
				t.Errorf("image cache, layer %d: compressedSize %d, cold %d", i, l.CompressedSize, first.Layers[i].CompressedSize)
			}
		}
	}
}
