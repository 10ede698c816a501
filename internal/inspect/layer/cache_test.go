package layer

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

func cacheTestLayer(t testing.TB) *Data {
	tb := tartest.Tar(t,
		tartest.Dir("usr"), tartest.Dir("usr/lib"), tartest.File("usr/lib/a.py", "print(1)\n"), tartest.File("usr/lib/b.py", strings.Repeat("b", 300)),
		tartest.File("usr/lib/.wh.gone", ""), tartest.File("etc/.wh..wh..opq", ""),
		tartest.Entry{Name: "usr/bin/py", Type: tar.TypeSymlink, Link: "../lib/a.py"},
		tartest.Entry{Name: "usr/lib/hard", Type: tar.TypeLink, Link: "usr/lib/a.py"},
		tartest.Entry{Name: "dev/null", Type: tar.TypeChar, UID: 7, GID: 8, Mode: 0o4755},
		tartest.File("var/lib/dpkg/status", "Package: x\nVersion: 1\n\n"),
		tartest.File("\xff\xfe/non-utf8", "z"),
	)
	ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
	if err != nil {
		t.Fatal(err)
	}
	return ld
}

func TestCacheRoundTrip(t *testing.T) {
	ld := cacheTestLayer(t)
	c := NewCache(t.TempDir(), testCaptures)
	if err := c.Put(ld); err != nil {
		t.Fatal(err)
	}
	got := c.Get(ld.DiffID)
	if got == nil {
		t.Fatal("miss after put")
	}
	if got.checked {
		t.Error("a decoded entry is marked checked: Merge would trust a remote cache's entries")
	}
	got.checked = ld.checked
	if !reflect.DeepEqual(got, ld) {
		t.Errorf("round trip changed the layer:\n got %+v\nwant %+v", got, ld)
	}
	if c.Get("sha256:"+strings.Repeat("1", 64)) != nil {
		t.Error("hit for an unknown diffID")
	}
}

func TestCacheDamagedEntryIsAMiss(t *testing.T) {
	ld := cacheTestLayer(t)
	c := NewCache(t.TempDir(), testCaptures)
	if err := c.Put(ld); err != nil {
		t.Fatal(err)
	}
	p := c.Path(ld.DiffID)
	good, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"truncated":   good[:len(good)/2],
		"empty":       {},
		"flipped bit": func() []byte { b := bytes.Clone(good); b[len(b)/2] ^= 1; return b }(),
		"old format":  []byte("\x0f\xff\x81\x03\x01\x01\x09LayerData"),
	} {
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if c.Get(ld.DiffID) != nil {
			t.Errorf("%s: a damaged entry was used", name)
		}
	}
	if c.Path("sha256:../../etc") != "" || c.Path("../x:abc") != "" {
		t.Error("a diffID escaped the cache directory")
	}
	if filepath.Dir(filepath.Dir(p)) != c.dir {
		t.Errorf("entry %s outside %s", p, c.dir)
	}
}
