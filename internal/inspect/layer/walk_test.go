package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

// testCaptures keeps the one file the tests look for: a dpkg status.
var testCaptures = Compile([]Reads{{Patterns: []string{"/var/lib/dpkg/status"}}})

// walkLayer is Walk without a context, with a budget of its own.
func walkLayer(r io.Reader, wantDiffID string) (*Data, error) {
	return Walk(context.Background(), r, wantDiffID, testCaptures, new(ImageBudget).Layer())
}

func TestWalkNormalisesPaths(t *testing.T) {
	tb := tartest.Tar(t,
		tartest.File("/etc/abs", "a"),
		tartest.File("./usr/./lib/../bin/x", "bb"),
		tartest.Entry{Name: "lnk", Type: tar.TypeSymlink, Link: "/etc/passwd"},
		tartest.Entry{Name: "hard", Type: tar.TypeLink, Link: "/etc/abs"},
	)
	ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, e := range ld.Entries {
		got = append(got, e.Path+"|"+e.Kind.String()+"|"+e.Link)
	}
	want := "/etc/abs|file|,/usr/bin/x|file|,/lnk|symlink|/etc/passwd,/hard|hardlink|/etc/abs"
	if strings.Join(got, ",") != want {
		t.Errorf("entries %v\nwant %s", got, want)
	}
	if ld.StoredBytes != 3 || ld.StoredFiles != 2 {
		t.Errorf("stored %d bytes in %d files, want 3 in 2 (hardlinks carry no bytes)", ld.StoredBytes, ld.StoredFiles)
	}
	if ld.TarBytes != int64(len(tb)) {
		t.Errorf("TarBytes %d, want %d", ld.TarBytes, len(tb))
	}
}

func TestWalkRefusesEscapingPaths(t *testing.T) {
	for _, e := range []tartest.Entry{
		tartest.File("../../etc/passwd", "x"),
		tartest.File("a/../../b", "x"),
		{Name: "ok", Type: tar.TypeLink, Link: "../../etc/shadow"},
	} {
		tb := tartest.Tar(t, e)
		_, err := walkLayer(bytes.NewReader(tb), "")
		if err == nil || !strings.Contains(err.Error(), "escapes the image root") {
			t.Errorf("%q → %v, want an 'escapes the image root' error", e.Name, err)
		}
	}
}

func TestWalkWhiteouts(t *testing.T) {
	tb := tartest.Tar(t,
		tartest.File("etc/.wh.motd", ""),
		tartest.File("usr/share/doc/.wh..wh..opq", ""),
		tartest.File("root/.wh..wh.plnk", ""),
		tartest.File("usr/share/doc/new", "n"),
	)
	ld, err := walkLayer(bytes.NewReader(tb), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Whiteouts) != 1 || ld.Whiteouts[0] != "/etc/motd" {
		t.Errorf("whiteouts %v", ld.Whiteouts)
	}
	if len(ld.Opaques) != 1 || ld.Opaques[0] != "/usr/share/doc" {
		t.Errorf("opaques %v", ld.Opaques)
	}
	if len(ld.Entries) != 1 || ld.Entries[0].Path != "/usr/share/doc/new" {
		t.Errorf("entries %v", ld.Entries)
	}
}

func TestWalkDetectsCorruptLayers(t *testing.T) {
	tb := tartest.Tar(t, tartest.File("a", strings.Repeat("x", 100000)), tartest.File("b", "y"))
	t.Run("diffID mismatch", func(t *testing.T) {
		_, err := walkLayer(bytes.NewReader(tb), "sha256:"+strings.Repeat("0", 64))
		if err == nil || !strings.Contains(err.Error(), "does not match its diffID") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("truncated gzip", func(t *testing.T) {
		gz := tartest.Gzip(t, tb)
		r, err := Decompress(bytes.NewReader(gz[:len(gz)/2]))
		if err != nil {
			t.Fatal(err)
		}
		_, err = walkLayer(r, tartest.DiffID(tb))
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("truncated tar", func(t *testing.T) {
		_, err := walkLayer(bytes.NewReader(tb[:5000]), "")
		if err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("not a tar", func(t *testing.T) {
		_, err := walkLayer(strings.NewReader(strings.Repeat("garbage!", 200)), "")
		if err == nil {
			t.Fatal("garbage read as a layer")
		}
	})
}

func TestDecompressSniffsFormats(t *testing.T) {
	tb := tartest.Tar(t, tartest.File("a", "hello"))
	for name, blob := range map[string][]byte{"plain": tb, "gzip": tartest.Gzip(t, tb)} {
		r, err := Decompress(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		ld, err := walkLayer(r, tartest.DiffID(tb))
		if err != nil || ld.StoredBytes != 5 {
			t.Errorf("%s: %v, %+v", name, err, ld)
		}
	}
}

// Files up to the walker's buffer are hashed in one call, larger ones
// through the streaming hasher: both give xxh3 of the content.
func TestWalkHashesSmallAndLargeFilesAlike(t *testing.T) {
	for _, size := range []int{1, 1000, 256 << 10, 256<<10 + 1, 3 << 20} {
		content := strings.Repeat("0123456789abcdef", size/16+1)[:size]
		tb := tartest.Tar(t, tartest.File("f", content))
		ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := ld.Entries[0].Hash, xxh3.HashString(content); got != want {
			t.Errorf("size %d: hash %x, want %x", size, got, want)
		}
	}
}

func TestHasDotElem(t *testing.T) {
	for _, p := range []string{"a", "a/b", ".", "..", "./a", "a/.", "a/..", "a/./b", "a/../b", ".a", "a/.b", "a..", "a/..b/c", "...", "a/.../b", "a/b.", "a/b./c"} {
		want := false
		for _, e := range strings.Split(p, "/") {
			want = want || e == "." || e == ".."
		}
		if got := hasDotElem(p); got != want {
			t.Errorf("hasDotElem(%q) = %v, want %v", p, got, want)
		}
	}
}

// TestWalkDerives: the walk derives the value of every wanted file of at
// most MaxDerivedContent bytes from its exact content (small ones from the
// content buffer, larger ones held whole, empty ones too), none of a
// larger file or of a file it does not want, and the entries are those a
// walk without it gives.
func TestWalkDerives(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rnd.Uint32())
		}
		return string(b)
	}
	small, held, big := "small .so content", random(3<<20), random(MaxDerivedContent+1)
	tb := tartest.Tar(t,
		tartest.File("/sp/small.so", small),
		tartest.File("/sp/held.so", held),
		tartest.File("/sp/big.so", big),
		tartest.File("/sp/empty.so", ""),
		tartest.File("/sp/mod.py", "import os\n"),
		tartest.Entry{Name: "sp/link.so", Type: tar.TypeLink, Link: "/sp/small.so"},
		tartest.File("/var/lib/dpkg/status", "Package: x\n"),
	)
	value := func(content []byte) []byte {
		sum := sha256.Sum256(content)
		return []byte(fmt.Sprintf("%d:%x", len(content), sum))
	}
	derive := &Derive{Kind: "test-1", Want: func(p string) bool { return strings.HasSuffix(p, ".so") }, Value: value}
	ld, err := WalkDeriving(context.Background(), bytes.NewReader(tb), tartest.DiffID(tb), testCaptures, derive, new(ImageBudget).Layer())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{
		"/sp/small.so": value([]byte(small)),
		"/sp/held.so":  value([]byte(held)),
		"/sp/empty.so": value(nil),
	}
	if !reflect.DeepEqual(ld.Derived, want) {
		t.Errorf("derived %q\nwant %q", ld.Derived, want)
	}
	plain, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
	if err != nil {
		t.Fatal(err)
	}
	if plain.Derived != nil || !reflect.DeepEqual(plain.Entries, ld.Entries) || !reflect.DeepEqual(plain.Contents, ld.Contents) {
		t.Errorf("deriving changed the walk:\n%+v\n%+v", ld.Entries, plain.Entries)
	}
}

// TestWalkDerivesWithinABound: a layer's values take at most
// MaxDerivedValues bytes; the files past it get none (they are read later
// if needed), and the walk goes on.
func TestWalkDerivesWithinABound(t *testing.T) {
	var entries []tartest.Entry
	for i := range 6 {
		entries = append(entries, tartest.File(fmt.Sprintf("/sp/%d.so", i), "x"))
	}
	tb := tartest.Tar(t, entries...)
	huge := func([]byte) []byte { return make([]byte, 1<<20) } // a crafted list of 1 MiB
	derive := &Derive{Kind: "test-1", Want: func(string) bool { return true }, Value: huge}
	ld, err := WalkDeriving(context.Background(), bytes.NewReader(tb), tartest.DiffID(tb), testCaptures, derive, new(ImageBudget).Layer())
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Derived) != 3 || ld.Derived["/sp/0.so"] == nil || ld.Derived["/sp/3.so"] != nil || len(ld.Entries) != 6 {
		t.Errorf("%d values (want the first 3 files'), %d entries", len(ld.Derived), len(ld.Entries))
	}
}

// The tar entries of one image are bounded over its layers, walked or
// from the cache, whiteouts included: memory follows them (a 70 MB
// archive of 10 million empty files took 4.5 GB). The limit is lowered
// here; the real one is 2 million.
func TestHostileEntriesPerImage(t *testing.T) {
	defer func(n int64) { maxImageEntries = n }(maxImageEntries)
	maxImageEntries = 1000
	layerOf := func(first, n int) []byte {
		var es []tartest.Entry
		for i := first; i < first+n; i++ {
			es = append(es, tartest.File(fmt.Sprintf("d/f%d", i), ""))
		}
		return tartest.Tar(t, append(es, tartest.Whiteout("/gone"))...)
	}
	const want = "the tar entries of the layers exceed the 1,000 limit of one image"
	b := new(ImageBudget)
	first, err := Walk(context.Background(), bytes.NewReader(layerOf(0, 599)), "", testCaptures, b.Layer())
	if err != nil {
		t.Fatal(err) // 600 entries
	}
	_, err = Walk(context.Background(), bytes.NewReader(layerOf(599, 599)), "", testCaptures, b.Layer())
	if err == nil || err.Error() != want+` (at "/d/f999")` {
		t.Errorf("second layer: %v", err)
	}
	// The first layer again, from the cache, after a second one.
	b = new(ImageBudget)
	if err := b.AddLayer(first); err != nil {
		t.Fatal(err)
	}
	if err := b.AddLayer(first); err == nil || err.Error() != want {
		t.Errorf("from the cache: %v", err)
	}
	// A walk that failed and is read again gives its entries back.
	b = new(ImageBudget)
	lb := b.Layer()
	if _, err := Walk(context.Background(), bytes.NewReader(layerOf(0, 599)), "", testCaptures, lb); err != nil {
		t.Fatal(err)
	}
	lb.Release()
	if _, err := Walk(context.Background(), bytes.NewReader(layerOf(0, 999)), "", testCaptures, b.Layer()); err != nil {
		t.Errorf("after a release: %v", err)
	}
}
