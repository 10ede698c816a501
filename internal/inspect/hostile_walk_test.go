package inspect

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
	"github.com/zeebo/xxh3"
)

// Hostile layers for the walker: sparse members, capture and name limits,
// cancellation. Inputs are generated here, most of them as streams.

// --- raw tar blocks, for what archive/tar's writer will not write ---------

// rawHeader is one 512-byte tar header (ustar, or old GNU when gnu).
func rawHeader(name string, typ byte, size int64, gnu bool) []byte {
	b := make([]byte, 512)
	copy(b[0:100], name)
	copy(b[100:108], "0000644\x00")
	copy(b[108:116], "0000000\x00")
	copy(b[116:124], "0000000\x00")
	putTarNumber(b[124:136], size)
	copy(b[136:148], "00000000000\x00")
	b[156] = typ
	if gnu {
		copy(b[257:265], "ustar  \x00")
	} else {
		copy(b[257:265], "ustar\x0000")
	}
	return b
}

// putTarNumber writes v in octal, or base-256 when it does not fit.
func putTarNumber(f []byte, v int64) {
	if s := strconv.FormatInt(v, 8); len(s) < len(f) {
		copy(f, fmt.Sprintf("%0*s\x00", len(f)-1, s))
		return
	}
	clear(f)
	f[0] = 0x80
	for i := len(f) - 1; i > 0 && v > 0; i-- {
		f[i] = byte(v)
		v >>= 8
	}
}

func setChecksum(b []byte) {
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
}

func padBlock(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

// paxRecord is one "LEN key=value\n" record.
func paxRecord(k, v string) string {
	body := " " + k + "=" + v + "\n"
	n := len(body) + 1
	for len(strconv.Itoa(n))+len(body) != n {
		n++
	}
	return strconv.Itoa(n) + body
}

// sparseSeg is one stored segment of a sparse member.
type sparseSeg struct {
	off  int64
	data string
}

// sparseMember writes a sparse member of apparent size realSize, in the
// PAX 1.0 format (format "pax", what `tar --sparse --format=pax` writes)
// or the old GNU one ("gnu", GNU tar's default, at most 4 segments).
func sparseMember(name string, realSize int64, segs []sparseSeg, format string) []byte {
	var data []byte
	for _, s := range segs {
		data = append(data, s.data...)
	}
	var out []byte
	switch format {
	case "pax":
		recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
			paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", strconv.FormatInt(realSize, 10))
		x := rawHeader("PaxHeaders.0/"+name, 'x', int64(len(recs)), false)
		setChecksum(x)
		out = append(append(out, x...), padBlock([]byte(recs))...)
		m := strconv.Itoa(len(segs)) + "\n"
		for _, s := range segs {
			m += fmt.Sprintf("%d\n%d\n", s.off, len(s.data))
		}
		body := append(padBlock([]byte(m)), data...)
		h := rawHeader("GNUSparseFile.0/"+name, tar.TypeReg, int64(len(body)), false)
		setChecksum(h)
		out = append(append(out, h...), padBlock(body)...)
	case "gnu":
		h := rawHeader(name, tar.TypeGNUSparse, int64(len(data)), true)
		for i, s := range segs {
			putTarNumber(h[386+24*i:386+24*i+12], s.off)
			putTarNumber(h[386+24*i+12:386+24*i+24], int64(len(s.data)))
		}
		putTarNumber(h[483:495], realSize)
		setChecksum(h)
		out = append(append(out, h...), padBlock(data)...)
	}
	return out
}

// withFiles appends real entries and the end of the archive to raw members.
func withFiles(t *testing.T, raw []byte, entries ...tartest.Entry) []byte {
	tail := tartest.Tar(t, entries...) // ends with the two zero blocks
	return append(append([]byte(nil), raw...), tail...)
}

const tib = int64(1) << 40

// A sparse member is counted at its apparent size (as `tar -tv` lists it)
// without reading its holes: one of 1 TiB (or 1 EiB, which no read would
// ever finish) walks at once. Its hash is of what it stores.
func TestHostileSparseMemberIsNotRead(t *testing.T) {
	for _, format := range []string{"pax", "gnu"} {
		for _, size := range []int64{tib, 1 << 60} {
			segs := []sparseSeg{{0, "head"}, {size - 4, "tail"}}
			tb := withFiles(t, sparseMember("var/log/lastlog", size, segs, format), tartest.File("after", "still read"))
			if len(tb) > 8192 {
				t.Fatalf("the layer is %d bytes", len(tb))
			}
			ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
			if err != nil {
				t.Fatalf("%s %d: %v", format, size, err)
			}
			if len(ld.Entries) != 2 || ld.Entries[0].Path != "/var/log/lastlog" || ld.Entries[0].Size != size {
				t.Fatalf("%s: entries %+v", format, ld.Entries)
			}
			if ld.StoredBytes != size+10 || ld.StoredFiles != 2 {
				t.Errorf("%s: stored %d in %d files", format, ld.StoredBytes, ld.StoredFiles)
			}
			if ld.Entries[1].Hash != xxh3.HashString("still read") {
				t.Errorf("%s: the entry after the sparse one is read wrong", format)
			}
		}
	}
}

// The hash of a sparse member is of its stored bytes, all of them: two
// that differ in their last stored byte differ.
func TestHostileSparseMemberHash(t *testing.T) {
	hash := func(format, tail string) uint64 {
		tb := withFiles(t, sparseMember("f", tib, []sparseSeg{{0, "a"}, {tib - 3, tail}}, format))
		ld, err := walkLayer(bytes.NewReader(tb), "")
		if err != nil {
			t.Fatal(err)
		}
		return ld.Entries[0].Hash
	}
	for _, format := range []string{"pax", "gnu"} {
		a, again := hash(format, "xyz"), hash(format, "xyz")
		if a != again || a == hash(format, "xyQ") || a == hash(format, "Qyz") {
			t.Errorf("%s: sparse hashes do not follow the stored bytes", format)
		}
	}
}

// 48 bomb PKG-INFO files (a legacy *.egg-info file is itself a PKG-INFO):
// sparse ones are never captured; gzip bombs of 32 MiB each are refused
// at the layer's 48 MiB, not kept (1.5 GiB).
func TestHostileEggInfoBombs(t *testing.T) {
	const dp = "usr/lib/python3/dist-packages/"
	var raw []byte
	for i := 0; i < 48; i++ {
		raw = append(raw, sparseMember(fmt.Sprintf("%sp%d.egg-info", dp, i), 32<<20, []sparseSeg{{0, "Name: x\n"}}, "pax")...)
	}
	tb := withFiles(t, raw)
	ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
	if err != nil {
		t.Fatal(err)
	}
	if len(ld.Contents) != 0 || ld.StoredFiles != 48 {
		t.Errorf("captured %d sparse files of %d", len(ld.Contents), ld.StoredFiles)
	}

	var files []genFile
	for i := 0; i < 48; i++ {
		files = append(files, genFile{fmt.Sprintf("%sp%d.egg-info", dp, i), layer.MaxCapturedFile})
	}
	var read atomic.Int64
	_, err = walkLayer(&countingReaderTo{r: genTarStream(files), n: &read}, "")
	wantOneLineError(t, err, "exceed the 48 MiB limit of one layer", dp+"p1.egg-info")
	if n := read.Load(); n > 70<<20 {
		t.Errorf("read %d MiB before refusing", n>>20)
	}
}

// Layers that each stay within their 48 MiB but together keep more than
// 96 MiB are refused as an image, whether walked or from the cache.
func TestHostileCapturedBytesPerImage(t *testing.T) {
	var layers []v1.Layer
	for i := 0; i < 3; i++ {
		layers = append(layers, newGenLayer(t, []genFile{
			{fmt.Sprintf("var/lib/dpkg/status.d/a%d", i), 22 << 20},
			{fmt.Sprintf("var/lib/dpkg/status.d/b%d", i), 22 << 20},
		}))
	}
	cache := t.TempDir()
	analyze := func(ls ...v1.Layer) error {
		img, err := mutate.AppendLayers(empty.Image, ls...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Analyze(context.Background(), &source.Source{Reference: "gen", Transport: "test", Image: img}, Options{CacheDir: cache, Concurrency: 1})
		return err
	}
	if err := analyze(layers[0], layers[1]); err != nil {
		t.Fatal(err) // 88 MiB: within the limit, and now cached
	}
	wantOneLineError(t, analyze(layers...), "layer 2", "exceed the 96 MiB limit of one image")
	// The third layer first: the two cached ones go past the limit.
	wantOneLineError(t, analyze(layers[2], layers[0], layers[1]), "exceed the 96 MiB limit of one image")
}

// 8,000 names of 60 KB (480 MB of names) are refused once the bytes beyond
// 256 of each pass 16 MiB; a symlink target counts as a name, and one
// longer than 64 KiB is refused alone.
func TestHostileLongNames(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for i := 0; i < 8000; i++ {
			name := fmt.Sprintf("%05d/", i) + strings.Repeat("n", 60000)
			if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(tw.Close())
	}()
	_, err := walkLayer(pr, "")
	pr.Close()
	wantOneLineError(t, err, "the bytes of paths and link targets beyond their first 256 exceed the 16 MiB limit of one image")

	_, err = walkLayer(bytes.NewReader(tartest.Tar(t, tartest.Entry{Name: "l", Type: tar.TypeSymlink, Link: strings.Repeat("x", 70000)})), "")
	wantOneLineError(t, err, `symlink "/l": a target of 70000 bytes is longer than the 65536-byte limit`)
}

// A walk stops within a chunk of a cancel, however the layer expands:
// every chunk the walker reads is checked, not only the source's reads.
// The layers are endless (an EiB sparse member, then files without end)
// or a 64 GiB gzip bomb; the source cancels once it has given some MiB,
// and counts what it gives after that.
func TestHostileCancelStopsTheWalk(t *testing.T) {
	run := func(t *testing.T, src io.Reader, raw bool, cancelAt int64) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var read, afterCancel int64
		counted := readerFunc(func(p []byte) (int, error) {
			n, err := src.Read(p)
			read += int64(n)
			if ctx.Err() != nil {
				afterCancel += int64(n)
			} else if read > cancelAt {
				cancel()
			}
			return n, err
		})
		l := &streamLayer{r: counted, size: 1 << 62}
		img, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Analyze(ctx, &source.Source{Reference: "endless", Transport: "test", Image: img, RawCompressed: raw}, Options{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		// The pipes read ahead a few chunks of 256 KiB.
		if afterCancel > 4<<20 {
			t.Errorf("the source gave %d KiB after the cancel", afterCancel>>10)
		}
	}
	t.Run("endless uncompressed", func(t *testing.T) {
		head := sparseMember("var/log/lastlog", 1<<60, []sparseSeg{{0, "x"}}, "pax")
		pr, pw := io.Pipe()
		go func() {
			if _, err := pw.Write(head); err != nil {
				return
			}
			tw := tar.NewWriter(pw)
			for i := 0; ; i++ {
				if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("f%d", i), Typeflag: tar.TypeReg, Mode: 0o644, Size: 1 << 20}); err != nil {
					return
				}
				if _, err := io.Copy(tw, io.LimitReader(zeroReader{}, 1<<20)); err != nil {
					return
				}
			}
		}()
		defer pr.Close()
		run(t, pr, false, 64<<20)
	})
	t.Run("gzip bomb", func(t *testing.T) {
		blob, _, _ := gzipBombStream(64 << 30)
		run(t, blob, true, 64<<10) // ~64 MiB uncompressed
	})
}

// --- generated layers -------------------------------------------------------

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

type countingReaderTo struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReaderTo) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// genFile is a file of zeros in a generated layer.
type genFile struct {
	name string
	size int64
}

// genTarStream writes a tar of the files, generated as it is read.
func genTarStream(files []genFile) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for _, f := range files {
			if err := tw.WriteHeader(&tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: f.size}); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := io.Copy(tw, io.LimitReader(zeroReader{}, f.size)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(tw.Close())
	}()
	return pr
}

// genLayer is a layer generated whenever it is read, never held whole.
type genLayer struct {
	files  []genFile
	diffID v1.Hash
}

func newGenLayer(t *testing.T, files []genFile) *genLayer {
	h := sha256.New()
	rc := genTarStream(files)
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatal(err)
	}
	return &genLayer{files: files, diffID: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", h.Sum(nil))}}
}

func (g *genLayer) Digest() (v1.Hash, error)             { return g.diffID, nil } // never compressed here
func (g *genLayer) DiffID() (v1.Hash, error)             { return g.diffID, nil }
func (g *genLayer) Compressed() (io.ReadCloser, error)   { return nil, errors.New("only uncompressed") }
func (g *genLayer) Uncompressed() (io.ReadCloser, error) { return genTarStream(g.files), nil }
func (g *genLayer) Size() (int64, error)                 { return -1, nil }
func (g *genLayer) MediaType() (types.MediaType, error)  { return types.DockerLayer, nil }

// streamLayer serves one stream, compressed or not, under made-up digests:
// only a walk that never reaches the end (a cancelled one) reads it.
type streamLayer struct {
	r    io.Reader
	size int64
}

func (b *streamLayer) Digest() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("b", 64)}, nil
}
func (b *streamLayer) DiffID() (v1.Hash, error) {
	return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("d", 64)}, nil
}
func (b *streamLayer) Compressed() (io.ReadCloser, error)   { return io.NopCloser(b.r), nil }
func (b *streamLayer) Uncompressed() (io.ReadCloser, error) { return io.NopCloser(b.r), nil }
func (b *streamLayer) Size() (int64, error)                 { return b.size, nil }
func (b *streamLayer) MediaType() (types.MediaType, error)  { return types.DockerLayer, nil }
