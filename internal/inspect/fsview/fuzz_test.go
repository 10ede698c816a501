package fsview

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

// The fuzz targets run as ordinary tests over their seeds and the corpus in
// testdata/fuzz; `go test -fuzz FuzzWalkLayer ./internal/inspect/fsview/` (or
// FuzzMerge, FuzzMergeEntries) searches for new inputs. scripts/test runs a
// short pass of each when SLIMPY_FUZZTIME is set.

// FuzzWalkLayer feeds arbitrary bytes to the layer walker, raw and through
// the decompression sniffer: it must return a result or an error, never
// panic, and whatever it accepts must merge with the accounting intact.
func FuzzWalkLayer(f *testing.F) {
	f.Add(tartest.Tar(f, tartest.File("a", "hello")))
	f.Add(tartest.Tar(f, tartest.Dir("usr"), tartest.File("usr/.wh..wh..opq", ""), tartest.File("usr/.wh.x", ""),
		tartest.Entry{Name: "usr/l", Type: tar.TypeLink, Link: "a"}, tartest.Entry{Name: "s", Type: tar.TypeSymlink, Link: "/etc"}))
	f.Add(tartest.Gzip(f, tartest.Tar(f, tartest.File("etc/os-release", "ID=debian\n"), tartest.File("x/../y", "z"))))
	f.Add([]byte{})
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		lds := make([]*layer.Data, 0, 2)
		// With the diffID given, the read and the sha256 run in the pipe's
		// goroutines; without it, inline. Both must agree.
		ld1, err1 := walkLayer(bytes.NewReader(data), tartest.DiffID(data))
		if ld, err := walkLayer(bytes.NewReader(data), ""); (err == nil) != (err1 == nil) {
			t.Fatalf("with the diffID: %v; without: %v", err1, err)
		} else if err == nil {
			if len(ld.Entries) != len(ld1.Entries) || ld.StoredBytes != ld1.StoredBytes || ld.TarBytes != ld1.TarBytes {
				t.Fatalf("the pipe changed the result")
			}
			checkLayerData(t, ld)
			lds = append(lds, ld)
		} else if strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %q", err)
		}
		if r, err := layer.Decompress(bytes.NewReader(data)); err == nil {
			// A decompressor may expand a small input a lot; bound what the
			// fuzzer reads so that a bomb is slow, not a crash.
			if ld, err := walkLayer(&limitReader{r: r, n: 64 << 20}, ""); err == nil {
				checkLayerData(t, ld)
				lds = append(lds, ld)
			}
			r.Close()
		}
		if len(lds) > 0 {
			checkMerge(t, lds)
		}
	})
}

// limitReader fails (rather than ending cleanly, as io.LimitReader does)
// once n bytes have been read.
type limitReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, fmt.Errorf("fuzz input expands beyond the test limit")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// FuzzMerge builds a sequence of real layer tarballs from a small program in
// the fuzzed bytes (entries over a tiny name space so that paths collide),
// walks them and merges them: never a panic, and the accounting invariants
// of docs/accounting.md hold.
func FuzzMerge(f *testing.F) {
	for _, s := range []string{
		"\x00\x01\x10\x05\xff\x02\x01\x10",             // a file, then overwritten
		"\x01\x02\x00\x01\x12\x03\xff\x04\x02",         // dir + file, then whiteout of the dir
		"\x01\x02\x00\x01\x12\x03\xff\x05\x02\x00\x01", // opaque dir over a lower tree
		"\x00\x01\x10\x03\x06\x02\x01\xff\x00\x01\x10", // hardlink, then overwrite of the target
		"\x00\x09\x40\x07\x03\x09\xff\x00\x03\x00",     // file under a dir replaced by a file
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		layers := buildFuzzLayers(t, prog)
		var lds []*layer.Data
		for _, tb := range layers {
			ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
			if err != nil {
				return // e.g. a hardlink to nothing is refused by Merge; the walk itself accepts all of these
			}
			checkLayerData(t, ld)
			lds = append(lds, ld)
		}
		checkMerge(t, lds)
	})
}

// FuzzMergeEntries hands Merge layer data that did not come from the walker
// (as a damaged cache entry might): unclean, relative or empty paths and
// odd kinds must give an error or a consistent result.
func FuzzMergeEntries(f *testing.F) {
	f.Add("a\x00/b\x01/b/c\x00", "/b\x02.wh.x", 3)
	f.Add("/\x00", "", 1)
	f.Add("//x/./y\x00../z\x03/x", "/x", 2)
	f.Fuzz(func(t *testing.T, entries, whiteouts string, size int) {
		ld := &layer.Data{}
		for _, rec := range strings.Split(entries, "\x00") {
			if rec == "" {
				continue
			}
			kind, p, link := layer.Kind(rec[0]%8), rec[1:], ""
			if i := strings.IndexByte(p, '\x01'); i >= 0 {
				p, link = p[:i], p[i+1:]
			}
			e := layer.Entry{Path: p, Kind: kind, Link: link}
			if kind == layer.KindFile {
				e.Size = int64(size & 0xffff)
				e.Hash = uint64(len(p))
				ld.StoredBytes += e.Size
				ld.StoredFiles++
			}
			ld.Entries = append(ld.Entries, e)
		}
		for _, w := range strings.Split(whiteouts, "\x00") {
			if strings.HasPrefix(w, "\x02") {
				ld.Opaques = append(ld.Opaques, w[1:])
			} else if w != "" {
				ld.Whiteouts = append(ld.Whiteouts, w)
			}
		}
		checkMerge(t, []*layer.Data{ld, ld})
	})
}

// buildFuzzLayers interprets prog: each op is one byte (low 3 bits the kind,
// the rest a path index), followed by one argument byte.
//
//	0 file (arg: size/content)  1 dir  2 symlink (arg: target)
//	3 hardlink (arg: target)    4 whiteout  5 opaque marker
//	6 file owned by uid 1 with the content a previous op would give (a chown copy)
//	7 end of layer
func buildFuzzLayers(t testing.TB, prog []byte) [][]byte {
	names := []string{"a", "b", "a/b", "a/c", "b/a", "a/b/c", "c", "a/a", "b/b/b", "d/e/f/g"}
	pick := func(b byte) string { return names[int(b)%len(names)] }
	var layers [][]byte
	var cur []tartest.Entry
	flush := func() {
		if len(cur) > 0 || len(layers) == 0 {
			layers = append(layers, makeTarLenient(cur))
		}
		cur = nil
	}
	for i := 0; i+1 < len(prog) && len(layers) < 8; i += 2 {
		op, arg := prog[i], prog[i+1]
		p := pick(op >> 3)
		switch op & 7 {
		case 0:
			cur = append(cur, tartest.File(p, strings.Repeat("x", int(arg%8))+string(rune('a'+arg%3))))
		case 1:
			cur = append(cur, tartest.Dir(p))
		case 2:
			cur = append(cur, tartest.Entry{Name: p, Type: tar.TypeSymlink, Link: pick(arg)})
		case 3:
			cur = append(cur, tartest.Entry{Name: p, Type: tar.TypeLink, Link: pick(arg)})
		case 4:
			d, b := splitName(p)
			cur = append(cur, tartest.File(d+".wh."+b, ""))
		case 5:
			cur = append(cur, tartest.File(p+"/.wh..wh..opq", ""))
		case 6:
			e := tartest.File(p, strings.Repeat("x", int(arg%8))+string(rune('a'+arg%3)))
			e.UID = 1
			cur = append(cur, e)
		case 7:
			flush()
		}
	}
	flush()
	return layers
}

func splitName(p string) (dir, base string) {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i+1], p[i+1:]
	}
	return "", p
}

// makeTarLenient is tartest.Tar without a testing.TB: the fuzz programs only
// produce entries archive/tar can write.
func makeTarLenient(entries []tartest.Entry) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Mode: 0o644, Uid: e.UID, Linkname: e.Link, Format: tar.FormatPAX}
		if e.Type == tar.TypeReg {
			h.Size = int64(len(e.Content))
		}
		if tw.WriteHeader(h) != nil {
			continue
		}
		if e.Type == tar.TypeReg {
			tw.Write([]byte(e.Content))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// checkLayerData checks what the walker promises about its output.
func checkLayerData(t testing.TB, ld *layer.Data) {
	t.Helper()
	var stored int64
	files := 0
	for _, e := range ld.Entries {
		if !cleanAbs(e.Path) || e.Path == "/" {
			t.Fatalf("entry path %q is not absolute and clean", e.Path)
		}
		if e.Kind == layer.KindHardlink && !cleanAbs(e.Link) {
			t.Fatalf("hardlink target %q is not absolute and clean", e.Link)
		}
		if e.Kind == layer.KindFile {
			stored += e.Size
			files++
		} else if e.Size != 0 {
			t.Fatalf("%s %s has size %d", e.Kind, e.Path, e.Size)
		}
	}
	if stored != ld.StoredBytes || files != ld.StoredFiles {
		t.Fatalf("StoredBytes %d in %d files, entries say %d in %d", ld.StoredBytes, ld.StoredFiles, stored, files)
	}
}

func cleanAbs(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.Contains(p+"/", "/./") && !strings.Contains(p+"/", "/../") &&
		!strings.Contains(p, "//") && (p == "/" || !strings.HasSuffix(p, "/"))
}

// checkMerge merges the layers and checks the accounting invariants: never
// a panic, and Σ stored − visible = Σ hidden = Σ per-layer wasted.
func checkMerge(t testing.TB, lds []*layer.Data) {
	t.Helper()
	fs, changes, err := Merge(lds)
	if err != nil {
		if strings.Contains(err.Error(), "\n") {
			t.Fatalf("multi-line error: %q", err)
		}
		return
	}
	checkInvariants(t, lds, fs, changes)
}

func checkInvariants(t testing.TB, lds []*layer.Data, fs *FileSystem, changes []LayerChange) {
	t.Helper()
	if err := Verify(lds, fs, changes); err != nil {
		t.Fatal(err)
	}
}

func TestIsCleanAbs(t *testing.T) {
	for _, p := range []string{"/", "/a", "/a/b", "/a/.b", "/..a", "/a/...", "", "a", "//", "/a/", "/a//b", "/./a", "/a/.", "/a/..", "/../a", "/a/./b"} {
		want := len(p) > 0 && p[0] == '/' && path.Clean(p) == p
		if got := isCleanAbs(p); got != want {
			t.Errorf("isCleanAbs(%q) = %v, want %v", p, got, want)
		}
	}
}

// layerMagic starts a layer cache entry (layer.Encode): the fuzz body
// goes between it and the checksum, which random bytes never pass.
const layerMagic = "slimpy-layer\x02"

// frameLayerEntry frames a body as layer.Encode does: magic, body, xxh3.
func frameLayerEntry(body []byte) []byte {
	b := append([]byte(layerMagic), body...)
	return binary.LittleEndian.AppendUint64(b, xxh3.Hash(b))
}

// FuzzCacheDecode feeds arbitrary bytes to the layer cache decoder behind
// a valid checksum: an error or data Merge accepts or refuses cleanly,
// never a panic or a huge allocation.
func FuzzCacheDecode(f *testing.F) {
	tb := tartest.Tar(f,
		tartest.Dir("usr"), tartest.File("usr/lib/a.py", "print(1)\n"), tartest.File("usr/lib/.wh.gone", ""),
		tartest.Entry{Name: "usr/bin/py", Type: tar.TypeSymlink, Link: "../lib/a.py"},
		tartest.Entry{Name: "usr/lib/hard", Type: tar.TypeLink, Link: "usr/lib/a.py"},
		tartest.File("var/lib/dpkg/status", "Package: x\nVersion: 1\n\n"),
	)
	ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if err := layer.Encode(&buf, ld); err != nil {
		f.Fatal(err)
	}
	b := buf.Bytes()
	body := b[len(layerMagic) : len(b)-8]
	if _, err := layer.Decode(frameLayerEntry(body)); err != nil {
		f.Fatalf("the seed does not decode (has layer.Encode's magic changed?): %v", err)
	}
	f.Add(body)
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, body []byte) {
		ld, err := layer.Decode(frameLayerEntry(body))
		if err != nil {
			return
		}
		checkMerge(t, []*layer.Data{ld})
	})
}
