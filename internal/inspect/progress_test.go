package inspect

import (
	"archive/tar"
	"context"
	"sync"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// TestProgressKnowsTheImage: every event, the first one included, carries
// the layer count and the sum of the blob sizes (read from the manifest
// before any byte), and the bytes done end at that sum; a report from the
// image cache says the same.
func TestProgressKnowsTheImage(t *testing.T) {
	img := tartest.Image(t, []string{"/bin/sh -c #(nop) ADD file:base in / ", "/bin/sh -c pip install app", "/bin/sh -c rm -rf /app"},
		tartest.Tar(t, tartest.Dir("app"), tartest.File("app/a.py", "print('a')\n")),
		tartest.Tar(t, tartest.File("app/b.py", "print('b')\n")),
		tartest.Tar(t, tartest.Entry{Name: "app/.wh.a.py", Type: tar.TypeReg}),
	)
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, l := range ls {
		n, _ := l.Size()
		want += n
	}
	cacheDir := t.TempDir()
	for _, run := range []string{"read", "cached"} {
		var mu sync.Mutex
		var events []Progress
		done := map[int]int64{}
		opts := Options{CacheDir: cacheDir, Progress: func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, p)
			done[p.Layer] = p.Done
		}}
		src := &source.Source{Reference: "test", Transport: "test", Image: img, RawCompressed: true}
		if _, err := InspectReport(context.Background(), src, opts, nil); err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			t.Fatalf("%s: no progress events", run)
		}
		for _, p := range events {
			if p.Layers != 3 || p.ImageTotal != want {
				t.Fatalf("%s: event %+v, want Layers 3 and ImageTotal %d in every event", run, p, want)
			}
		}
		var sum int64
		for _, d := range done {
			sum += d
		}
		if len(done) != 3 || sum != want {
			t.Errorf("%s: bytes done %v (sum %d), want every layer and %d", run, done, sum, want)
		}
	}
}
