package inspect

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

func TestAnalyzeAccountsAndCaches(t *testing.T) {
	big := strings.Repeat("p", 4000)
	img := tartest.Image(t,
		[]string{"/bin/sh -c #(nop) ADD file:base in / ", "/bin/sh -c pip install app", "/bin/sh -c chown -R app /app && rm -rf /root/.cache"},
		tartest.Tar(t, tartest.Dir("app"), tartest.File("app/main.py", big), tartest.File("etc/os-release", "PRETTY_NAME=\"Test OS\"\n")),
		tartest.Tar(t, tartest.Dir("root"), tartest.File("root/.cache/pip/a", "0123456789"), tartest.File("root/.cache/pip/b", "abc"), tartest.File("app/copy.py", big)),
		tartest.Tar(t, tartest.Entry{Name: "app/main.py", Type: tar.TypeReg, Content: big, UID: 1000}, tartest.File("root/.wh..cache", "")),
	)
	src := &source.Source{Reference: "test", Transport: "test", Image: img, RawCompressed: true}
	cacheDir := t.TempDir()
	var mu sync.Mutex
	finished := map[int]bool{}
	opts := Options{CacheDir: cacheDir, Progress: func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Finished {
			finished[p.Layer] = true
		}
	}}
	a, err := Analyze(context.Background(), src, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := a.Report()
	if len(finished) != 3 {
		t.Errorf("progress finished for %v, want all 3 layers", finished)
	}
	want := Totals{Size: 8000 + int64(len("PRETTY_NAME=\"Test OS\"\n")), Files: 3}
	want.StoredSize = want.Size + 4000 + 13
	want.WastedBytes = 4013
	if r.Totals.Size != want.Size || r.Totals.StoredSize != want.StoredSize || r.Totals.WastedBytes != want.WastedBytes || r.Totals.Files != want.Files {
		t.Errorf("totals %+v, want %+v", r.Totals, want)
	}
	if r.Layers[2].WastedBytes != 4013 || r.Layers[2].RemovedBytes != 13 || r.Layers[2].ModifiedBytes != 4000 {
		t.Errorf("layer 2 %+v", r.Layers[2].LayerChange)
	}
	if r.Layers[1].CreatedBy != "RUN pip install app" {
		t.Errorf("createdBy %q", r.Layers[1].CreatedBy)
	}
	if r.MetadataOnlyCopies.Bytes != 4000 || r.MetadataOnlyCopies.ByLayer[2] != 4000 || !r.MetadataOnlyCopies.Copies[0].OwnerChanged {
		t.Errorf("metadata-only %+v", r.MetadataOnlyCopies)
	}
	if len(r.Duplicates.Groups) != 1 || r.Duplicates.WastedBytes != 4000 {
		t.Errorf("duplicates %+v", r.Duplicates)
	}
	if r.Waste.ByReason["deleted"] != 13 || r.Waste.ByReason["overwritten"] != 4000 {
		t.Errorf("waste by reason %v", r.Waste.ByReason)
	}

	// A second run reads nothing: every layer comes from the cache, and the
	// report is the same.
	src2 := &source.Source{Reference: "test", Transport: "test", Image: img, RawCompressed: true}
	a2, err := Analyze(context.Background(), src2, Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	r2 := a2.Report()
	for i, l := range r2.Layers {
		if !l.Cached {
			t.Errorf("layer %d read again, want it from the cache", i)
		}
		r2.Layers[i].Cached = false
	}
	j1, _ := json.Marshal(r)
	j2, _ := json.Marshal(r2)
	if !bytes.Equal(j1, j2) {
		t.Errorf("cached report differs:\n%s\n%s", j1, j2)
	}
}

func TestAnalyzeCancels(t *testing.T) {
	img := tartest.Image(t, nil, tartest.Tar(t, tartest.File("a", strings.Repeat("x", 1<<20))))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Analyze(ctx, &source.Source{Image: img, RawCompressed: true}, Options{})
	if err == nil {
		t.Fatal("a cancelled analysis succeeded")
	}
}

// walkLayer walks one layer as Analyze does (the driver's captures), with
// a budget of its own.
func walkLayer(r io.Reader, wantDiffID string) (*layer.Data, error) {
	return layer.Walk(context.Background(), r, wantDiffID, theCaptures(), new(layer.ImageBudget).Layer())
}
