package inspect

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// An OCI archive is read in place: a 100 GiB sparse member in a few KB
// (what filled the disk when archives were extracted) is never read,
// whether the layout reaches it or not, and nothing is written to disk.
func TestHostileOCIArchiveIsNotExtracted(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	img := tartest.Image(t, nil, tartest.Tar(t, tartest.File("a", "content")))
	img, _ = mutate.ConfigFile(img, mustConfig(t, img))
	tartest.WriteLayout(t, dir, img)
	ls, _ := img.Layers()
	ld, _ := ls[0].Digest()
	build := func(t *testing.T, sparseName string, skip string) string {
		var raw []byte
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			rel, _ := filepath.Rel(dir, p)
			rel = filepath.ToSlash(rel)
			if d.IsDir() || rel == skip {
				return nil
			}
			b, _ := os.ReadFile(p)
			tb := tartest.Tar(t, tartest.File(rel, string(b)))
			raw = append(raw, tb[:len(tb)-1024]...)
			return nil
		})
		raw = append(raw, sparseMember(sparseName, 100<<30, []sparseSeg{{0, "x"}}, "pax")...)
		raw = append(raw, make([]byte, 1024)...)
		p := filepath.Join(t.TempDir(), "hostile.tar")
		os.WriteFile(p, raw, 0o644)
		return p
	}
	analyze := func(t *testing.T, p string) error {
		src, err := source.Open(context.Background(), "oci-archive:"+p, source.OpenOptions{})
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = Analyze(context.Background(), src, Options{})
		return err
	}
	t.Run("unreached", func(t *testing.T) {
		p := build(t, "blobs/sha256/"+strings.Repeat("e", 64), "")
		if fi, _ := os.Stat(p); fi.Size() > 64<<10 {
			t.Fatalf("the archive is %d bytes", fi.Size())
		}
		if err := analyze(t, p); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("as the layer", func(t *testing.T) {
		layer := "blobs/" + ld.Algorithm + "/" + ld.Hex
		err := analyze(t, build(t, layer, layer))
		wantOneLineError(t, err, "layer 0", "is missing")
	})
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the archive was extracted: %d files in TMPDIR", len(entries))
	}
}
