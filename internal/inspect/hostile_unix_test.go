//go:build unix

package inspect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// A FIFO where a layer cache entry, an image cache entry or the config
// file should be never blocks: opening it does not wait for a writer, and
// it is refused (a cache miss, a config error). (An image that is a FIFO:
// internal/inspect/source's TestHostileFIFOsAreNotImages.)
func TestHostileFIFOsNeverBlock(t *testing.T) {
	tb := tartest.Tar(t, tartest.File("a", "content"))
	img := tartest.Image(t, nil, tb)
	src := &source.Source{Reference: "fifo", Transport: "test", Image: img, RawCompressed: true}
	cacheDir := t.TempDir()
	c := layer.NewCache(cacheDir, theCaptures())
	p := c.Path(tartest.DiffID(tb))
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	a, err := Analyze(context.Background(), src, Options{CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	if a.Layers[0].Cached {
		t.Error("a FIFO was taken as a cache entry")
	}
	if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("the entry was not rewritten as a file: %v %v", fi, err)
	}

	fifo := filepath.Join(t.TempDir(), "config.yaml")
	syscall.Mkfifo(fifo, 0o644)
	if _, err := LoadConfig(fifo, false); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("config from a FIFO: %v", err)
	}
}
