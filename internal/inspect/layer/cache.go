package layer

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/codec"
	"github.com/slimpy/slimpy/internal/safefile"
)

// CacheFormat changes whenever Data's meaning or encoding changes.
// 1 was gob; 2 is the compact encoding below.
const CacheFormat = 2

// Cache stores Data by diffID: the digest of the uncompressed
// content, which every source knows without re-compressing anything.
type Cache struct {
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

// NewCache is the layer cache below root ("" for none) for what the
// walker keeps with captures: entries of other declarations live in
// another directory.
func NewCache(root string, captures *Captures) Cache {
	if root == "" {
		return Cache{}
	}
	return Cache{dir: filepath.Join(root, fmt.Sprintf("layers-v%d.%s", CacheFormat, captures.Key()))}
}

// Dir is the directory of the entries, "" when the cache is disabled.
func (c Cache) Dir() string { return c.dir }

// Path is where the entry of a layer is, "" for none.
func (c Cache) Path(diffID string) string {
	algo, hex, ok := strings.Cut(diffID, ":")
	if !ok || c.dir == "" || strings.ContainsAny(hex, `/\.`) || strings.ContainsAny(algo, `/\.`) {
		return ""
	}
	return filepath.Join(c.dir, algo, hex+".layer")
}

// MaxCacheEntry bounds the size of a cache file read back (an entry of a
// layer of a million files is ~25 MB).
const MaxCacheEntry = 1 << 30

// Get returns the cached data of a layer, or nil on a miss. A damaged entry
// (or anything but a regular file: a FIFO must not block the read) is a
// miss: the layer is read again and the entry rewritten.
func (c Cache) Get(diffID string) *Data {
	p := c.Path(diffID)
	if p == "" {
		return nil
	}
	b, err := safefile.ReadRegular(p, MaxCacheEntry)
	if err != nil {
		return nil
	}
	ld, err := Decode(b)
	if err != nil || ld.DiffID != diffID {
		return nil
	}
	TouchEntry(p)
	return ld
}

// Put writes the entry atomically (temp file + rename), so a concurrent or
// interrupted run never sees half an entry. Failing to cache is not fatal.
func (c Cache) Put(ld *Data) error {
	p := c.Path(ld.DiffID)
	if p == "" {
		return nil
	}
	return WriteCacheFile(p, func(w io.Writer) error { return Encode(w, ld) })
}

// WriteCacheFile writes a cache entry through a temporary file renamed
// into place, so a concurrent or interrupted run never reads half of one.
func WriteCacheFile(p string, encode func(io.Writer) error) error {
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

// Encode writes the layer cache entry of ld (also what a shared cache
// stores).
func Encode(out io.Writer, ld *Data) error {
	w := codec.NewWriter(out)
	w.Write([]byte(cacheMagic))
	w.Str(ld.DiffID)
	w.Varint(ld.StoredBytes)
	w.Varint(int64(ld.StoredFiles))
	w.Varint(ld.TarBytes)
	w.Uvarint(uint64(len(ld.Entries)))
	for _, e := range ld.Entries {
		w.Path(e.Path)
		w.Byte(byte(e.Kind))
		w.Uvarint(uint64(e.Mode))
		w.Varint(int64(e.UID))
		w.Varint(int64(e.GID))
		switch e.Kind {
		case KindFile:
			w.Varint(e.Size)
			w.Fixed64(e.Hash)
		case KindSymlink, KindHardlink:
			w.Str(e.Link)
		}
	}
	for _, list := range [][]string{ld.Whiteouts, ld.Opaques} {
		w.ResetPath()
		w.Uvarint(uint64(len(list)))
		for _, p := range list {
			w.Path(p)
		}
	}
	w.Uvarint(uint64(len(ld.Contents)))
	for p, c := range ld.Contents {
		w.Str(p)
		w.Uvarint(uint64(len(c)))
		w.Write(c)
	}
	return w.Finish()
}

// Decode decodes an entry Encode wrote, checking its
// checksum first.
func Decode(b []byte) (*Data, error) {
	body, err := codec.Unframe(b, cacheMagic)
	if err != nil {
		return nil, err
	}
	ld, err := decodeLayerBody(body)
	if err != nil {
		return nil, err
	}
	// Not marked checked: an intact checksum says the bytes are what was
	// written, not who wrote them (a remote cache's entry comes from a
	// registry), so Merge checks its entries as it does any caller's.
	return ld, nil
}

func decodeLayerBody(b []byte) (*Data, error) {
	r := codec.NewReader(b)
	ld := &Data{}
	ld.DiffID = r.Str()
	ld.StoredBytes = r.Varint()
	ld.StoredFiles = int(r.Varint())
	ld.TarBytes = r.Varint()
	ld.Entries = make([]Entry, r.Count(5))
	for i := range ld.Entries {
		e := &ld.Entries[i]
		e.Path = r.Path()
		e.Kind = Kind(r.Byte())
		e.Mode = uint32(r.Uvarint())
		e.UID = int(r.Varint())
		e.GID = int(r.Varint())
		switch e.Kind {
		case KindFile:
			e.Size = r.Varint()
			e.Hash = r.Fixed64()
		case KindSymlink, KindHardlink:
			e.Link = r.Str()
		}
		if r.Err() != nil {
			return nil, r.Err()
		}
	}
	for _, list := range []*[]string{&ld.Whiteouts, &ld.Opaques} {
		r.ResetPath()
		n := r.Count(2)
		if n > 0 {
			*list = make([]string, n)
		}
		for i := range *list {
			(*list)[i] = r.Path()
		}
	}
	n := r.Count(2)
	ld.Contents = make(map[string][]byte, n)
	// The contents are copies, so that the file's buffer is not kept for a
	// few files; when they are most of it, they stay in it (a copy would
	// double what a layer with large package databases costs).
	keep := r.Len() > 2*len(b)/3
	for i := 0; i < n && r.Err() == nil; i++ {
		p := r.Str()
		c := r.Bytes(r.Uvarint())
		if !keep {
			c = bytes.Clone(c)
		}
		ld.Contents[p] = c
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	// The totals must be what the entries say.
	var stored int64
	files := 0
	for _, e := range ld.Entries {
		if e.Kind == KindFile {
			if e.Size < 0 {
				r.Fail()
			}
			stored += e.Size
			files++
		}
	}
	if stored != ld.StoredBytes || files != ld.StoredFiles {
		r.Fail()
	}
	if r.Err() != nil {
		return nil, r.Err()
	}
	return ld, nil
}
