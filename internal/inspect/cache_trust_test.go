package inspect

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	kgzip "github.com/klauspost/compress/gzip"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// The cache trusts a diffID (verify_blob.go): after a warm run, a blob
// replaced by other bytes passes, unless VerifyBlobs, which `slimpy ci`
// sets, reads the cached layers' blobs and checks them.
func TestCacheTrustAndVerifyBlobs(t *testing.T) {
	tb := tartest.Tar(t, tartest.File("app/a", strings.Repeat("slimpy ", 5000)))
	img := tartest.Image(t, nil, tb)
	img, _ = mutate.ConfigFile(img, mustConfig(t, img))
	analyze := func(t *testing.T, ref, cache string, verify bool) error {
		src, err := source.Open(context.Background(), ref, source.OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_, err = Analyze(context.Background(), src, Options{CacheDir: cache, VerifyBlobs: verify})
		return err
	}
	t.Run("oci layout", func(t *testing.T) {
		dir := t.TempDir()
		tartest.WriteLayout(t, dir, img)
		cache := t.TempDir()
		if err := analyze(t, "oci:"+dir, cache, true); err != nil {
			t.Fatal(err)
		}
		ls, _ := img.Layers()
		d, _ := ls[0].Digest()
		blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
		raw, _ := os.ReadFile(blob)
		// The same tar gzipped otherwise, cut or padded to the same size:
		// another blob with the same diffID would need a sha256 collision.
		var buf bytes.Buffer
		zw, _ := kgzip.NewWriterLevel(&buf, kgzip.BestSpeed)
		zw.Write(tb)
		zw.Close()
		other := append(buf.Bytes(), make([]byte, max(0, len(raw)-buf.Len()))...)[:len(raw)]
		os.WriteFile(blob, other, 0o644)
		if err := analyze(t, "oci:"+dir, cache, false); err != nil {
			t.Errorf("a warm run without VerifyBlobs: %v (the cache answers by diffID)", err)
		}
		wantOneLineError(t, analyze(t, "oci:"+dir, cache, true), "layer 0", "does not match its digest")
	})
	t.Run("docker archive", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "img.tar")
		if err := tarball.WriteToFile(p, name.MustParseReference("app:1"), img); err != nil {
			t.Fatal(err)
		}
		cache := t.TempDir()
		if err := analyze(t, "docker-archive:"+p, cache, true); err != nil {
			t.Fatal(err)
		}
		// The archive again, with another layer under the first one's name.
		other := tartest.Image(t, nil, tartest.Tar(t, tartest.File("app/a", strings.Repeat("hostile", 5000))))
		ols, _ := other.Layers()
		ls, _ := img.Layers()
		swapped, err := mutate.Append(empty.Image, mutate.Addendum{Layer: diffIDLie{ols[0], ls[0]}})
		if err != nil {
			t.Fatal(err)
		}
		swapped, _ = mutate.ConfigFile(swapped, mustConfig(t, img))
		if err := tarball.WriteToFile(p, name.MustParseReference("app:1"), swapped); err != nil {
			t.Fatal(err)
		}
		if err := analyze(t, "docker-archive:"+p, cache, false); err != nil {
			t.Errorf("a warm run without VerifyBlobs: %v", err)
		}
		wantOneLineError(t, analyze(t, "docker-archive:"+p, cache, true), "layer 0", "does not match its diffID")
	})
}

// The cache is bounded: least recently used entries go first, an entry
// read is used, temporary files of interrupted runs go after an hour.
func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	cache := t.TempDir()
	var ids []string
	for i := 0; i < 4; i++ {
		tb := tartest.Tar(t, tartest.File("f", strings.Repeat(string(rune('a'+i)), 20000)))
		img := tartest.Image(t, nil, tb)
		_, err := Analyze(context.Background(), &source.Source{Reference: "t", Transport: "test", Image: img, RawCompressed: true}, Options{CacheDir: cache, CacheMaxBytes: -1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tartest.DiffID(tb))
	}
	c := layer.NewCache(cache, theCaptures())
	// Uses, oldest first: 1, 3, 0, 2 (2 was read last).
	base := time.Now().Add(-time.Hour)
	for age, i := range []int{1, 3, 0} {
		at := base.Add(time.Duration(age) * time.Minute)
		os.Chtimes(c.Path(ids[i]), at, at)
	}
	if c.Get(ids[2]) == nil {
		t.Fatal("entry 2 missing")
	}
	tmp := filepath.Join(filepath.Dir(c.Path(ids[0])), ".tmp-123")
	os.WriteFile(tmp, []byte("half an entry"), 0o644)
	os.Chtimes(tmp, base, base)
	fi, _ := os.Stat(c.Path(ids[0]))
	layer.TrimCache(cache, 2*fi.Size()+fi.Size()/2) // room for two entries
	for i, want := range []bool{true, false, true, false} {
		if got := c.Get(ids[i]) != nil; got != want {
			t.Errorf("entry %d kept: %v, want %v", i, got, want)
		}
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Error("a stale temporary file was left")
	}
	// Files that are not slimpy's entries are never removed.
	mine := filepath.Join(cache, "notes.txt")
	os.WriteFile(mine, bytes.Repeat([]byte("x"), 1<<20), 0o644)
	layer.TrimCache(cache, 0)
	if _, err := os.Stat(mine); err != nil {
		t.Error("a file that is no cache entry was removed")
	}
}

// diffIDLie serves one layer's bytes under another's digests.
type diffIDLie struct{ content, claims v1.Layer }

func (l diffIDLie) Digest() (v1.Hash, error)             { return l.claims.Digest() }
func (l diffIDLie) DiffID() (v1.Hash, error)             { return l.claims.DiffID() }
func (l diffIDLie) Size() (int64, error)                 { return l.content.Size() }
func (l diffIDLie) MediaType() (types.MediaType, error)  { return l.claims.MediaType() }
func (l diffIDLie) Compressed() (io.ReadCloser, error)   { return l.content.Compressed() }
func (l diffIDLie) Uncompressed() (io.ReadCloser, error) { return l.content.Uncompressed() }
