package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/slimpy/slimpy/internal/fixtures"
)

// After a warm run, a layer blob replaced by other bytes of the same size
// passes inspect (the cache answers by diffID, as containerd's snapshots
// do), but never ci: ci checks the blobs of cached layers.
func TestCIChecksCachedBlobs(t *testing.T) {
	img, err := random.Image(50000, 2)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := fixtures.WriteOCILayout(img, "app:1", dir); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	ref := "oci:" + dir
	if code, _, errOut := slimpy(t, "ci", ref, "--cache-dir", cache); code != 0 {
		t.Fatalf("ci: %d %s", code, errOut)
	}
	layers, _ := img.Layers()
	d, _ := layers[1].Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	b, _ := os.ReadFile(blob)
	b[4] ^= 0x40 // the gzip header's mtime: the content is the same, the digest is not
	os.WriteFile(blob, b, 0o644)

	if code, _, errOut := slimpy(t, "inspect", ref, "--format", "json", "--cache-dir", cache); code != 0 {
		t.Errorf("warm inspect: %d %s", code, errOut)
	}
	code, _, errOut := slimpy(t, "ci", ref, "--cache-dir", cache)
	if code != 2 || !strings.Contains(errOut, "does not match its digest") {
		t.Errorf("ci of a replaced blob: exit %d, %q", code, errOut)
	}
}
