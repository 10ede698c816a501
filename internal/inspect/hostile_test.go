package inspect

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	kgzip "github.com/klauspost/compress/gzip"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

// Hostile and broken images: each gives a correct result or a one-line
// error that names the layer, never a panic, with memory bounded.

func hostileAnalyze(t *testing.T, layers ...[]byte) (*Analysis, error) {
	t.Helper()
	img := tartest.Image(t, nil, layers...)
	return Analyze(context.Background(), &source.Source{Reference: "hostile", Transport: "test", Image: img, RawCompressed: true}, Options{})
}

func wantOneLineError(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", wants)
	}
	msg := err.Error()
	t.Logf("error: %s", msg)
	if strings.ContainsAny(msg, "\r\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

// checkAnalysis checks the accounting invariants and that the JSON report
// is valid.
func checkAnalysis(t *testing.T, a *Analysis) Report {
	t.Helper()
	changes := make([]fsview.LayerChange, len(a.Layers))
	for i, l := range a.Layers {
		changes[i] = l.Change
	}
	data := a.layerData()
	if err := fsview.Verify(data, a.FS, changes); err != nil {
		t.Fatal(err)
	}
	r := a.Report()
	b, err := json.Marshal(r)
	if err != nil || !json.Valid(b) {
		t.Fatalf("report JSON: %v", err)
	}
	return r
}

func TestHostilePathTraversalIsRefused(t *testing.T) {
	for _, e := range []tartest.Entry{
		tartest.File("../../etc/passwd", "x"),
		tartest.File("usr/../../../etc/shadow", "x"),
		{Name: "ok", Type: tar.TypeLink, Link: "../../../etc/shadow"},
	} {
		_, err := hostileAnalyze(t, tartest.Tar(t, tartest.File("a", "b")), tartest.Tar(t, e))
		wantOneLineError(t, err, "layer 1", "escapes the image root")
	}
}

// Symlinks are stored, never followed by the merge: an entry below a
// lower layer's symlink replaces it with a directory (as an overlay upper
// directory does), and loops cost nothing. The inventories' resolver,
// which does follow them, has a hop limit.
func TestHostileSymlinks(t *testing.T) {
	a, err := hostileAnalyze(t,
		tartest.Tar(t,
			tartest.Dir("usr"), tartest.Dir("usr/lib"), tartest.File("usr/lib/a", "0123456789"),
			tartest.Entry{Name: "lib", Type: tar.TypeSymlink, Link: "/usr/lib"},
			tartest.Entry{Name: "loop1", Type: tar.TypeSymlink, Link: "loop2"},
			tartest.Entry{Name: "loop2", Type: tar.TypeSymlink, Link: "/loop1"},
			tartest.Entry{Name: "me", Type: tar.TypeSymlink, Link: "me"},
			tartest.Entry{Name: "var/lib/dpkg", Type: tar.TypeSymlink, Link: "/var/lib/dpkg/../dpkg"},
			tartest.Entry{Name: "etc/os-release", Type: tar.TypeSymlink, Link: "../etc/os-release"},
			tartest.Entry{Name: "usr/lib/python3.11", Type: tar.TypeSymlink, Link: "python3.11"},
		),
		tartest.Tar(t, tartest.File("lib/x", "xx"), tartest.File("loop1/y", "yyy"), tartest.File("me/z", "z")),
	)
	if err != nil {
		t.Fatal(err)
	}
	checkAnalysis(t, a)
	if n := a.FS.Lookup("/usr/lib/a"); n == nil || n.Size != 10 {
		t.Error("/usr/lib/a changed: the merge followed /lib")
	}
	for _, p := range []string{"/lib", "/loop1", "/me"} {
		if n := a.FS.Lookup(p); n == nil || n.Kind != layer.KindDir {
			t.Errorf("%s is not the directory the upper layer made", p)
		}
	}
	if n := a.FS.Lookup("/loop2"); n == nil || n.Kind != layer.KindSymlink || n.Link != "/loop1" {
		t.Errorf("/loop2 = %+v", n)
	}
	if a.Layers[1].Change.AddedFiles != 3 {
		t.Errorf("layer 1 %+v", a.Layers[1].Change)
	}
}

func TestHostileHardlinkToMissingTarget(t *testing.T) {
	_, err := hostileAnalyze(t, tartest.Tar(t, tartest.File("a", "1")),
		tartest.Tar(t, tartest.Entry{Name: "b", Type: tar.TypeLink, Link: "nope\nnope"}))
	wantOneLineError(t, err, "layer 1", `hardlink "/b" points to "/nope\nnope", which is not in this or a lower layer`)
	_, err = hostileAnalyze(t, tartest.Tar(t, tartest.Dir("d"), tartest.Entry{Name: "b", Type: tar.TypeLink, Link: "d"}))
	wantOneLineError(t, err, "layer 0", `hardlink "/b" points to "/d", a directory`)
}

// moby and containerd write a hardlink entry for every non-directory with
// more than one name (nlink > 1): a second name of a symlink, a device or
// a FIFO is a valid layer. Such a name is what its target is, and stores
// and counts no bytes.
func TestHostileHardlinkToNonRegularFile(t *testing.T) {
	a, err := hostileAnalyze(t,
		tartest.Tar(t,
			tartest.File("etc/alternatives/x", "12345"),
			tartest.Entry{Name: "usr/bin/py", Type: tar.TypeSymlink, Link: "/etc/alternatives/x"},
			tartest.Entry{Name: "usr/bin/py3", Type: tar.TypeLink, Link: "usr/bin/py"},
			tartest.Entry{Name: "dev/null", Type: tar.TypeChar},
			tartest.Entry{Name: "dev/null2", Type: tar.TypeLink, Link: "dev/null"},
			tartest.Entry{Name: "run/fifo", Type: tar.TypeFifo},
		),
		tartest.Tar(t,
			tartest.Entry{Name: "run/fifo2", Type: tar.TypeLink, Link: "run/fifo"},
			tartest.Entry{Name: "usr/bin/python", Type: tar.TypeLink, Link: "/usr/bin/py3"},
		),
	)
	if err != nil {
		t.Fatal(err)
	}
	r := checkAnalysis(t, a)
	for p, want := range map[string]layer.Kind{
		"/usr/bin/py3": layer.KindSymlink, "/usr/bin/python": layer.KindSymlink, "/dev/null2": layer.KindChar, "/run/fifo2": layer.KindFifo,
	} {
		n := a.FS.Lookup(p)
		if n == nil || n.Kind != want || n.Size != 0 || n.Links() != 0 {
			t.Errorf("%s = %+v, want a %s of no bytes", p, n, want)
		}
	}
	if n := a.FS.Lookup("/usr/bin/python"); n == nil || n.Link != "/etc/alternatives/x" {
		t.Errorf("/usr/bin/python links to %+v", n)
	}
	if r.Totals.Size != 5 || r.Totals.StoredSize != 5 || r.Totals.Files != 1 || r.Totals.WastedBytes != 0 {
		t.Errorf("totals %+v", r.Totals)
	}
	if c := a.Layers[1].Change; c != (fsview.LayerChange{}) {
		t.Errorf("layer 1 %+v: links to non-regular files add no files or bytes", c)
	}
}

// gzipBomb is a gzip stream of one tar entry of size zero bytes, made of
// concatenated gzip members (1 MiB of zeros compresses to ~1 KB), and the
// uncompressed stream's diffID.
func gzipBomb(t *testing.T, size int64) (io.Reader, string) {
	t.Helper()
	blob, head, tail := gzipBombStream(size)
	// The diffID: the same uncompressed stream through sha256.
	h := layer.NewHashPipe(io.MultiReader(bytes.NewReader(head), io.LimitReader(zeroReader{}, size), bytes.NewReader(tail)))
	io.Copy(io.Discard, h)
	return blob, "sha256:" + hexString(h.Sum())
}

// gzipBombStream is gzipBomb's stream, with the uncompressed tar's head
// (the header) and tail (padding and end of archive) around the zeros.
func gzipBombStream(size int64) (blob io.Reader, head, tail []byte) {
	member := func(b []byte) []byte {
		var buf bytes.Buffer
		zw, _ := kgzip.NewWriterLevel(&buf, kgzip.BestCompression)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	var hdr bytes.Buffer
	tw := tar.NewWriter(&hdr)
	tw.WriteHeader(&tar.Header{Name: "var/log/lastlog", Typeflag: tar.TypeReg, Mode: 0o644, Size: size})
	head = bytes.Clone(hdr.Bytes())
	const chunk = 1 << 20
	zeros := make([]byte, chunk)
	pad := (512 - size%512) % 512
	tail = make([]byte, pad+1024) // padding and the end-of-archive blocks
	parts := []io.Reader{bytes.NewReader(member(head))}
	zm := member(zeros)
	for n := size; n > 0; n -= chunk {
		if n < chunk {
			parts = append(parts, bytes.NewReader(member(zeros[:n])))
			break
		}
		parts = append(parts, bytes.NewReader(zm))
	}
	parts = append(parts, bytes.NewReader(member(tail)))
	return io.MultiReader(parts...), head, tail
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

// A layer that decompresses to GiBs of zeros in one file (what a
// `useradd` with a high UID leaves in /var/log/lastlog) is a real layer:
// it streams, in bounded memory, and its bytes are counted. There is no
// limit on the expansion: time grows with the size (~1 s per GiB here),
// memory does not. SLIMPY_BOMB_GIB sets the size (default 1).
func TestHostileGzipBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the gzip bomb")
	}
	gib := int64(1)
	if v, err := strconv.ParseInt(os.Getenv("SLIMPY_BOMB_GIB"), 10, 64); err == nil && v > 0 {
		gib = v
	}
	size := gib << 30
	blob, diffID := gzipBomb(t, size)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var read atomic.Int64
	counted := &countingReaderTo{r: blob, n: &read}
	r, err := layer.Decompress(counted)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := walkLayer(r, diffID)
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if ld.StoredBytes != size || ld.StoredFiles != 1 {
		t.Errorf("stored %d in %d files", ld.StoredBytes, ld.StoredFiles)
	}
	h := xxh3.New()
	zeros := make([]byte, 1<<20)
	for n := int64(0); n < size; n += int64(len(zeros)) {
		h.Write(zeros)
	}
	if ld.Entries[0].Hash != h.Sum64() {
		t.Error("wrong content hash")
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d GiB from %d compressed bytes; %d KiB allocated while streaming", gib, read.Load(), alloc>>10)
	if alloc > 16<<20 {
		t.Errorf("allocated %d MiB to stream %d GiB: memory is not bounded", alloc>>20, gib)
	}
}

// Paths 4096 directories deep (8 KiB, twice PATH_MAX) and 30000 deep
// work: no recursion follows the depth. Longer names than 64 KiB are
// refused.
func TestHostileDeepPaths(t *testing.T) {
	for _, depth := range []int{4096, 30000} {
		deep := strings.Repeat("d/", depth) + "f"
		a, err := hostileAnalyze(t,
			tartest.Tar(t, tartest.File(deep, "12345"), tartest.File(strings.Repeat("d/", depth/2)+"g", "67")),
			tartest.Tar(t, tartest.File(".wh.d", "")),
		)
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		r := checkAnalysis(t, a)
		if r.Totals.WastedBytes != 7 || a.Layers[1].Change.RemovedFiles != 2 {
			t.Errorf("depth %d: %+v %+v", depth, r.Totals, a.Layers[1].Change)
		}
	}
	a, err := hostileAnalyze(t, tartest.Tar(t, tartest.File(strings.Repeat("d/", 4096)+"f", "1")))
	if err != nil {
		t.Fatal(err)
	}
	nodes := 0
	a.FS.Walk(func(*fsview.Node) bool { nodes++; return true })
	if nodes != 4097 {
		t.Errorf("walked %d nodes", nodes)
	}
	_, err = hostileAnalyze(t, tartest.Tar(t, tartest.File(strings.Repeat("d/", 40000)+"f", "1")))
	wantOneLineError(t, err, "layer 0", "longer than the 65536-byte limit")
}

func TestHostileDuplicateEntriesInOneLayer(t *testing.T) {
	a, err := hostileAnalyze(t, tartest.Tar(t,
		tartest.Dir("d"), tartest.File("d/a", "first"), tartest.Dir("d"), tartest.File("d/a", "second!"),
		tartest.Entry{Name: "d/h", Type: tar.TypeLink, Link: "d/a"}, tartest.Entry{Name: "d/h", Type: tar.TypeLink, Link: "d/a"},
	))
	if err != nil {
		t.Fatal(err)
	}
	r := checkAnalysis(t, a)
	if r.Totals.Size != 7 || r.Totals.StoredSize != 12 || r.Totals.WastedBytes != 5 || r.Totals.Files != 1 {
		t.Errorf("totals %+v", r.Totals)
	}
	if c := a.Layers[0].Change; c.AddedFiles != 1 || c.AddedBytes != 7 || c.WastedBytes != 5 {
		t.Errorf("layer 0 %+v", c)
	}
	if len(r.Waste.Copies) != 1 || r.Waste.Copies[0].HiddenBy != 0 || r.Waste.Copies[0].Reason != fsview.Overwritten {
		t.Errorf("waste %+v", r.Waste.Copies)
	}
}

// Names that are not UTF-8 are kept as they are in the tree; the JSON
// report stays valid (encoding/json writes U+FFFD for the bad bytes).
func TestHostileNonUTF8Names(t *testing.T) {
	bad := "caf\xe9/\xff\xfe.txt"
	a, err := hostileAnalyze(t, tartest.Tar(t, tartest.File(bad, "data")), tartest.Tar(t, tartest.File("caf\xe9/.wh.\xff\xfe.txt", "")))
	if err != nil {
		t.Fatal(err)
	}
	r := checkAnalysis(t, a)
	b, _ := json.Marshal(r)
	if !utf8.Valid(b) || !json.Valid(b) {
		t.Fatal("report is not valid UTF-8 JSON")
	}
	if len(r.Waste.Copies) != 1 || r.Waste.Copies[0].Path != "/"+bad {
		t.Errorf("waste %+v", r.Waste.Copies)
	}
	if !strings.Contains(string(b), `"/caf\ufffd/\ufffd\ufffd.txt"`) {
		t.Errorf("JSON does not carry the path with replacement characters: %s", b)
	}
}

// A layout whose manifest disagrees with its blobs.
func TestHostileLayoutThatLies(t *testing.T) {
	tb := tartest.Tar(t, tartest.File("a", strings.Repeat("abc", 10000)))
	write := func(t *testing.T) (dir, blob string) {
		dir = t.TempDir()
		img := tartest.Image(t, nil, tb)
		img, err := mutate.ConfigFile(img, mustConfig(t, img))
		if err != nil {
			t.Fatal(err)
		}
		lp, err := layout.Write(dir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendImage(img); err != nil {
			t.Fatal(err)
		}
		ls, _ := img.Layers()
		d, _ := ls[0].Digest()
		return dir, filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	}
	analyze := func(t *testing.T, dir string) error {
		src, err := source.Open(context.Background(), "oci:"+dir, source.OpenOptions{Platform: "linux/amd64"})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		_, err = Analyze(context.Background(), src, Options{})
		return err
	}
	t.Run("intact", func(t *testing.T) {
		dir, _ := write(t)
		if err := analyze(t, dir); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("recompressed blob", func(t *testing.T) {
		dir, blob := write(t)
		var buf bytes.Buffer
		zw, _ := kgzip.NewWriterLevel(&buf, kgzip.BestSpeed)
		zw.Write(tb)
		zw.Close()
		os.WriteFile(blob, buf.Bytes(), 0o644)
		wantOneLineError(t, analyze(t, dir), "layer 0", "the manifest says")
	})
	t.Run("same size, other bytes", func(t *testing.T) {
		dir, blob := write(t)
		b, _ := os.ReadFile(blob)
		b[4] ^= 0x40 // the gzip header's mtime: content intact
		os.WriteFile(blob, b, 0o644)
		wantOneLineError(t, analyze(t, dir), "layer 0", "does not match its digest")
	})
	t.Run("trailing bytes", func(t *testing.T) {
		dir, blob := write(t)
		b, _ := os.ReadFile(blob)
		os.WriteFile(blob, append(b, 0, 0, 0, 0), 0o644)
		wantOneLineError(t, analyze(t, dir), "layer 0", "the manifest says")
	})
	t.Run("truncated", func(t *testing.T) {
		dir, blob := write(t)
		b, _ := os.ReadFile(blob)
		os.WriteFile(blob, b[:len(b)/2], 0o644)
		wantOneLineError(t, analyze(t, dir), "layer 0", "truncated")
	})
	t.Run("other layer", func(t *testing.T) {
		dir, blob := write(t)
		os.WriteFile(blob, tartest.Gzip(t, tartest.Tar(t, tartest.File("b", "other"))), 0o644)
		wantOneLineError(t, analyze(t, dir), "layer 0", "does not match its diffID")
	})
	t.Run("missing blob", func(t *testing.T) {
		dir, blob := write(t)
		os.Remove(blob)
		wantOneLineError(t, analyze(t, dir), "layer 0", "is missing")
	})
}

// mustConfig is img's config with a linux/amd64 platform.
func mustConfig(t *testing.T, img interface {
	ConfigFile() (*v1.ConfigFile, error)
}) *v1.ConfigFile {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	return cf
}
