package inspect

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"github.com/slimpy/slimpy/internal/arena"

	"github.com/zeebo/xxh3"
)

// cacheFormat changes whenever LayerData's meaning or encoding changes.
// 1 was gob; 2 is the compact encoding below.
const cacheFormat = 2

// layerCache stores LayerData by diffID: the digest of the uncompressed
// content, which every source knows without re-compressing anything.
type layerCache struct {
	dir string // "" disables the cache
}

// DefaultCacheDir is where layer analyses are kept between runs.
func DefaultCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "slimpy")
}

func newLayerCache(root string) layerCache {
	if root == "" {
		return layerCache{}
	}
	return layerCache{dir: filepath.Join(root, fmt.Sprintf("layers-v%d.%s", cacheFormat, theCaptures().key))}
}

func (c layerCache) path(diffID string) string {
	algo, hex, ok := strings.Cut(diffID, ":")
	if !ok || c.dir == "" || strings.ContainsAny(hex, `/\.`) || strings.ContainsAny(algo, `/\.`) {
		return ""
	}
	return filepath.Join(c.dir, algo, hex+".layer")
}

// maxCacheEntry bounds the size of a cache file read back (an entry of a
// layer of a million files is ~25 MB).
const maxCacheEntry = 1 << 30

// get returns the cached data of a layer, or nil on a miss. A damaged entry
// (or anything but a regular file: a FIFO must not block the read) is a
// miss: the layer is read again and the entry rewritten.
func (c layerCache) get(diffID string) *LayerData {
	p := c.path(diffID)
	if p == "" {
		return nil
	}
	b, err := readRegularFile(p, maxCacheEntry)
	if err != nil {
		return nil
	}
	ld, err := decodeLayerData(b)
	if err != nil || ld.DiffID != diffID {
		return nil
	}
	touchEntry(p)
	return ld
}

// put writes the entry atomically (temp file + rename), so a concurrent or
// interrupted run never sees half an entry. Failing to cache is not fatal.
func (c layerCache) put(ld *LayerData) error {
	p := c.path(ld.DiffID)
	if p == "" {
		return nil
	}
	return writeCacheFile(p, func(w io.Writer) error { return encodeLayerData(w, ld) })
}

// writeCacheFile writes a cache entry through a temporary file renamed
// into place, so a concurrent or interrupted run never reads half of one.
func writeCacheFile(p string, encode func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := encode(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// The encoding: a magic string, then varints and strings, then an xxh3-64
// of everything before it. Paths are front-coded (the length shared with
// the previous path, then the rest): tar streams list neighbours together,
// so an entry takes ~20 bytes instead of gob's ~100, and decoding is one
// pass with one allocation per 64 KiB of paths.
//
//	magic "slimpy-layer\x02"
//	diffID, storedBytes, storedFiles, tarBytes
//	n entries: shared, suffix, kind, mode, uid, gid, [size, hash if file], [link if link]
//	n whiteouts: shared, suffix
//	n opaques: shared, suffix
//	n contents: path, length, bytes
//	xxh3-64 of all of the above, little endian
const cacheMagic = "slimpy-layer\x02"

type cacheWriter struct {
	w    *bufio.Writer
	h    *xxh3.Hasher
	buf  [binary.MaxVarintLen64]byte
	prev string
}

func (w *cacheWriter) write(b []byte) {
	w.h.Write(b)
	w.w.Write(b)
}

func (w *cacheWriter) uvarint(v uint64) { w.write(w.buf[:binary.PutUvarint(w.buf[:], v)]) }
func (w *cacheWriter) varint(v int64)   { w.write(w.buf[:binary.PutVarint(w.buf[:], v)]) }

func (w *cacheWriter) str(s string) {
	w.uvarint(uint64(len(s)))
	w.write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// path writes s front-coded against the previous path.
func (w *cacheWriter) path(s string) {
	n := 0
	for n < len(s) && n < len(w.prev) && s[n] == w.prev[n] {
		n++
	}
	w.uvarint(uint64(n))
	w.str(s[n:])
	w.prev = s
}

func encodeLayerData(out io.Writer, ld *LayerData) error {
	w := &cacheWriter{w: bufio.NewWriterSize(out, 256<<10), h: xxh3.New()}
	w.write([]byte(cacheMagic))
	w.str(ld.DiffID)
	w.varint(ld.StoredBytes)
	w.varint(int64(ld.StoredFiles))
	w.varint(ld.TarBytes)
	w.uvarint(uint64(len(ld.Entries)))
	for _, e := range ld.Entries {
		w.path(e.Path)
		w.buf[0] = byte(e.Kind)
		w.write(w.buf[:1])
		w.uvarint(uint64(e.Mode))
		w.varint(int64(e.UID))
		w.varint(int64(e.GID))
		switch e.Kind {
		case KindFile:
			w.varint(e.Size)
			var h [8]byte
			binary.LittleEndian.PutUint64(h[:], e.Hash)
			w.write(h[:])
		case KindSymlink, KindHardlink:
			w.str(e.Link)
		}
	}
	for _, list := range [][]string{ld.Whiteouts, ld.Opaques} {
		w.prev = ""
		w.uvarint(uint64(len(list)))
		for _, p := range list {
			w.path(p)
		}
	}
	w.uvarint(uint64(len(ld.Contents)))
	for p, c := range ld.Contents {
		w.str(p)
		w.uvarint(uint64(len(c)))
		w.write(c)
	}
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], w.h.Sum64())
	w.w.Write(sum[:])
	return w.w.Flush()
}

var errCacheCorrupt = errors.New("damaged layer cache entry")

type cacheReader struct {
	b     []byte
	err   error
	prev  string
	names arena.Arena
}

func (r *cacheReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *cacheReader) bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *cacheReader) byte1() byte {
	if b := r.bytes(1); len(b) == 1 {
		return b[0]
	}
	return 0
}

// count reads a length that must fit what is left (each element takes at
// least min bytes): a damaged count must not make a huge allocation.
func (r *cacheReader) count(min int) int {
	n := r.uvarint()
	if n > uint64(len(r.b)/min) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *cacheReader) str() string {
	b := r.bytes(r.uvarint())
	return r.names.Concat(unsafe.String(unsafe.SliceData(b), len(b)), "", "")
}

func (r *cacheReader) path() string {
	shared := r.uvarint()
	suffix := r.bytes(r.uvarint())
	if shared > uint64(len(r.prev)) {
		r.fail()
		return ""
	}
	s := r.names.Concat(r.prev[:shared], unsafe.String(unsafe.SliceData(suffix), len(suffix)), "")
	r.prev = s
	return s
}

func (r *cacheReader) fail() {
	if r.err == nil {
		r.err = errCacheCorrupt
	}
	r.b = nil
}

// decodeLayerData decodes an entry encodeLayerData wrote, checking its
// checksum first.
func decodeLayerData(b []byte) (*LayerData, error) {
	if len(b) < len(cacheMagic)+8 || string(b[:len(cacheMagic)]) != cacheMagic {
		return nil, errCacheCorrupt
	}
	body, sum := b[:len(b)-8], binary.LittleEndian.Uint64(b[len(b)-8:])
	if xxh3.Hash(body) != sum {
		return nil, errCacheCorrupt
	}
	ld, err := decodeLayerBody(body[len(cacheMagic):])
	if err != nil {
		return nil, err
	}
	// What the walker wrote, intact: its entries need no second check.
	ld.checked = true
	return ld, nil
}

func decodeLayerBody(b []byte) (*LayerData, error) {
	r := &cacheReader{b: b}
	ld := &LayerData{}
	ld.DiffID = r.str()
	ld.StoredBytes = r.varint()
	ld.StoredFiles = int(r.varint())
	ld.TarBytes = r.varint()
	ld.Entries = make([]Entry, r.count(5))
	for i := range ld.Entries {
		e := &ld.Entries[i]
		e.Path = r.path()
		e.Kind = Kind(r.byte1())
		e.Mode = uint32(r.uvarint())
		e.UID = int(r.varint())
		e.GID = int(r.varint())
		switch e.Kind {
		case KindFile:
			e.Size = r.varint()
			if h := r.bytes(8); len(h) == 8 {
				e.Hash = binary.LittleEndian.Uint64(h)
			}
		case KindSymlink, KindHardlink:
			e.Link = r.str()
		}
		if r.err != nil {
			return nil, r.err
		}
	}
	for _, list := range []*[]string{&ld.Whiteouts, &ld.Opaques} {
		r.prev = ""
		n := r.count(2)
		if n > 0 {
			*list = make([]string, n)
		}
		for i := range *list {
			(*list)[i] = r.path()
		}
	}
	n := r.count(2)
	ld.Contents = make(map[string][]byte, n)
	// The contents are copies, so that the file's buffer is not kept for a
	// few files; when they are most of it, they stay in it (a copy would
	// double what a layer with large package databases costs).
	keep := len(r.b) > 2*len(b)/3
	for i := 0; i < n && r.err == nil; i++ {
		p := r.str()
		c := r.bytes(r.uvarint())
		if !keep {
			c = bytes.Clone(c)
		}
		ld.Contents[p] = c
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail()
	}
	// The totals must be what the entries say.
	var stored int64
	files := 0
	for _, e := range ld.Entries {
		if e.Kind == KindFile {
			if e.Size < 0 {
				r.fail()
			}
			stored += e.Size
			files++
		}
	}
	if stored != ld.StoredBytes || files != ld.StoredFiles {
		r.fail()
	}
	if r.err != nil {
		return nil, r.err
	}
	return ld, nil
}
