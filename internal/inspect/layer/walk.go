package layer

import (
	"archive/tar"
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/slimpy/slimpy/internal/arena"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/zeebo/xxh3"
)

const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	// aufs bookkeeping entries (".wh..wh.plnk", ".wh..wh.aufs") carry no meaning
	// for the merged view.
	aufsMetaPrefix = ".wh..wh."
)

// Decompress returns the uncompressed tar stream of a stored layer blob,
// recognising gzip and zstd by their magic bytes; anything else is taken as
// an uncompressed tar.
func Decompress(blob io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(blob, 64<<10)
	magic, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// walkBufs are the walker's content buffers, reused between layers.
var walkBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// Walk reads one uncompressed layer tarball to its end and returns
// what it holds, with the content of the regular files captures wants. When wantDiffID is not empty the stream's sha256 must
// equal it: a layer whose content does not match the image config is an
// error, not a silently wrong number. What it keeps beyond the entries
// (captured files, long names) is taken from lb, the layer's share of the
// image's budget (the caller releases it if the read fails). It stops with
// ctx.Err() within one chunk or one entry of a cancel.
//
// The reading (and so the decompression behind it) and the sha256 run in
// goroutines of their own, beside the tar parsing and the xxh3 of every
// file: one layer keeps up to three cores busy. Memory stays bounded by
// the pipe's chunks and one content buffer, whatever the layer holds.
func Walk(ctx context.Context, uncompressed io.Reader, wantDiffID string, captures *Captures, lb *Budget) (*Data, error) {
	return WalkDeriving(ctx, uncompressed, wantDiffID, captures, nil, lb)
}

// WalkDeriving is Walk that also derives the values derive (nil: none)
// asks for, into Data.Derived. It holds the content of one such file of
// more than the content buffer at a time, at most MaxDerivedContent bytes.
func WalkDeriving(ctx context.Context, uncompressed io.Reader, wantDiffID string, captures *Captures, derive *Derive, lb *Budget) (*Data, error) {
	counter := &countingReader{r: uncompressed}
	var r io.Reader = counter
	var pipe *HashPipe
	if wantDiffID != "" {
		pipe = NewHashPipe(counter)
		defer pipe.Stop()
		r = pipe
	}
	ld := &Data{DiffID: wantDiffID, Contents: map[string][]byte{}, checked: true}
	bp := walkBufs.Get().(*[]byte)
	defer walkBufs.Put(bp)
	buf := *bp
	// Every chunk the tar reader pulls goes through sk, which checks the
	// context and skips sparse members' holes (walk_sparse.go).
	sk := &skipReader{ctx: ctx, r: r, buf: buf}
	tr := tar.NewReader(sk)
	var hasher *xxh3.Hasher
	var held []byte // the content of a file derive wants, beyond buf's size
	var names arena.Arena
	// The entry skipped as sparse (and its header), whose hash the next
	// Next gives.
	sparse, sparseHdr := -1, (*tar.Header)(nil)
	for {
		hdr, err := tr.Next()
		if sparse >= 0 {
			ld.Entries[sparse].Hash = sk.sparseHash(sparseHdr)
			sparse, sparseHdr = -1, nil
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", truncated(err))
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := cleanEntryPath(hdr.Name, &names)
		if err != nil {
			return nil, err
		}
		if p == "/" {
			continue // the root directory itself
		}
		if err := lb.name(p, p); err != nil {
			return nil, err
		}
		if err := lb.entry(1, p); err != nil {
			return nil, err
		}
		dir, base := SplitAbs(p)
		if strings.HasPrefix(base, whiteoutPrefix) {
			switch {
			case base == opaqueMarker:
				ld.Opaques = append(ld.Opaques, dir)
			case strings.HasPrefix(base, aufsMetaPrefix):
			default:
				// ".wh.", ".wh.." and ".wh..." name no entry of the
				// directory: they hide nothing.
				if name := base[len(whiteoutPrefix):]; name != "" && name != "." && name != ".." {
					if dir == "/" {
						dir = ""
					}
					ld.Whiteouts = append(ld.Whiteouts, names.Concat(dir, "/", name))
				}
			}
			continue
		}
		e := Entry{Path: p, Mode: uint32(hdr.Mode) & 0o7777, UID: hdr.Uid, GID: hdr.Gid}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse: // archive/tar reads TypeRegA as TypeReg
			e.Kind = KindFile
			e.Size = hdr.Size
			switch {
			case hdr.Size == 0:
				if derive.wants(p, 0) {
					ld.derived(p, derive.Value(buf[:0]))
				}
			case IsSparse(hdr):
				// Never read, never captured: its holes would cost time
				// in its apparent size (walk_sparse.go).
				sk.armSparse()
				sparse, sparseHdr = len(ld.Entries), hdr
			case captures.Streamed(p):
				// apt's Packages lists are tens of MB: keep only the
				// lines the stale rule reads, whatever their size.
				content, h, err := CaptureAptList(ctx, tr, p, hdr.Size)
				if err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
				}
				if err := lb.capture(int64(len(content)), p); err != nil {
					return nil, err
				}
				ld.Contents[p] = content
				e.Hash = h
			case captures.Want(p, hdr.Size):
				if err := lb.capture(hdr.Size, p); err != nil {
					return nil, err
				}
				content := make([]byte, hdr.Size)
				if _, err := io.ReadFull(tr, content); err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
				}
				ld.Contents[p] = content
				e.Hash = xxh3.Hash(content)
			case hdr.Size <= int64(len(buf)):
				// Most files are small: one read, one call, no hasher state.
				if _, err := io.ReadFull(tr, buf[:hdr.Size]); err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
				}
				e.Hash = xxh3.Hash(buf[:hdr.Size])
				if derive.wants(p, hdr.Size) {
					ld.derived(p, derive.Value(buf[:hdr.Size]))
				}
			case derive.wants(p, hdr.Size):
				// Held whole, once: the value is derived from it as
				// the hash is, instead of reading the layer again.
				if int64(cap(held)) < hdr.Size {
					held = make([]byte, hdr.Size)
				}
				content := held[:hdr.Size]
				if _, err := io.ReadFull(tr, content); err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
				}
				e.Hash = xxh3.Hash(content)
				ld.derived(p, derive.Value(content))
			default:
				if hasher == nil {
					hasher = xxh3.New()
				}
				hasher.Reset()
				if _, err := io.CopyBuffer(hasher, tr, buf); err != nil {
					return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
				}
				e.Hash = hasher.Sum64()
			}
			ld.StoredBytes += hdr.Size
			ld.StoredFiles++
		case tar.TypeDir:
			e.Kind = KindDir
		case tar.TypeSymlink:
			e.Kind = KindSymlink
			if len(hdr.Linkname) > MaxPathLen {
				return nil, fmt.Errorf("symlink %q: a target of %d bytes is longer than the %d-byte limit", p, len(hdr.Linkname), MaxPathLen)
			}
			e.Link = hdr.Linkname
		case tar.TypeLink:
			e.Kind = KindHardlink
			target, err := cleanEntryPath(hdr.Linkname, &names)
			if err != nil {
				return nil, fmt.Errorf("hardlink %q: %w", p, err)
			}
			e.Link = target
		case tar.TypeChar:
			e.Kind = KindChar
		case tar.TypeBlock:
			e.Kind = KindBlock
		case tar.TypeFifo:
			e.Kind = KindFifo
		default:
			// pax/GNU metadata headers are consumed by archive/tar; anything
			// else (e.g. a Solaris ACL entry) adds nothing to the file system.
			continue
		}
		if err := lb.name(e.Link, p); err != nil {
			return nil, err
		}
		ld.Entries = append(ld.Entries, e)
	}
	// The digest covers the whole stream, including the end-of-archive
	// padding that tar.Reader does not consume.
	if _, err := io.CopyBuffer(io.Discard, sk, buf); err != nil {
		return nil, fmt.Errorf("reading tar: %w", truncated(err))
	}
	if pipe != nil {
		sum := pipe.Sum()
		got := "sha256:" + hex.EncodeToString(sum)
		if got != wantDiffID {
			return nil, DiffIDError(wantDiffID, got)
		}
	}
	ld.TarBytes = counter.n
	if c := cap(ld.Entries); c-len(ld.Entries) > c/8 {
		ld.Entries = append([]Entry(nil), ld.Entries...) // drop the growth slack
	}
	return ld, nil
}

// derived keeps the value derived of the file stored at p (a later copy
// of p in the same layer is the one the layer leaves), while the layer's
// values take at most MaxDerivedValues bytes: the others are left to be
// read later.
func (ld *Data) derived(p string, v []byte) {
	if ld.derivedBytes += int64(len(p) + len(v)); ld.derivedBytes > MaxDerivedValues {
		return
	}
	if ld.Derived == nil {
		ld.Derived = map[string][]byte{}
	}
	ld.Derived[p] = v
}

// truncated names the usual symptom of a cut-off layer in words a user reads.
func truncated(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("layer is truncated (unexpected end of data)")
	}
	return err
}

// cleanEntryPath turns a tar entry name into an absolute clean path. Like
// the container engines, a leading "/" is taken as relative to the root;
// a name that climbs out of the root with ".." is refused, and so is a name
// longer than MaxPathLen.
func cleanEntryPath(name string, names *arena.Arena) (string, error) {
	if len(name) > MaxPathLen {
		return "", fmt.Errorf("tar entry name of %d bytes is longer than the %d-byte limit", len(name), MaxPathLen)
	}
	rel := strings.Trim(name, "/")
	if rel == "" {
		return "/", nil
	}
	if !strings.Contains(rel, "//") && !hasDotElem(rel) {
		return names.Concat("/", rel, ""), nil // the usual case: already clean
	}
	if escapesRoot(rel) {
		return "", fmt.Errorf("tar entry %q escapes the image root", name)
	}
	// path.Clean clamps ".." at the root; escapesRoot said it never tries.
	return path.Clean("/" + rel), nil
}

// hasDotElem reports whether a "/"-separated path has a "." or ".." element.
func hasDotElem(p string) bool {
	for i := 0; i < len(p); i++ {
		if p[i] != '.' || (i > 0 && p[i-1] != '/') {
			continue
		}
		j := i + 1
		if j < len(p) && p[j] == '.' {
			j++
		}
		if j == len(p) || p[j] == '/' {
			return true
		}
	}
	return false
}

func escapesRoot(rel string) bool {
	depth := 0
	for _, part := range strings.Split(rel, "/") {
		switch part {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// HashPipe reads a stream in a goroutine of its own into a few chunks that
// two consumers share: the walker (through Read) and a goroutine that
// computes the stream's sha256.
type HashPipe struct {
	free  chan *pipeChunk
	data  chan *pipeChunk
	hashq chan *pipeChunk
	done  chan struct{}
	sumc  chan []byte
	once  sync.Once
	cur   *pipeChunk
	off   int
}

type pipeChunk struct {
	b    []byte
	n    int
	err  error // after the n bytes: io.EOF at the end, or the reader's error
	refs atomic.Int32
}

const (
	pipeChunks    = 4
	pipeChunkSize = 256 << 10
)

// NewHashPipe starts reading src; Stop must be called.
func NewHashPipe(src io.Reader) *HashPipe {
	p := &HashPipe{
		free:  make(chan *pipeChunk, pipeChunks),
		data:  make(chan *pipeChunk, pipeChunks),
		hashq: make(chan *pipeChunk, pipeChunks),
		done:  make(chan struct{}),
		sumc:  make(chan []byte, 1),
	}
	for i := 0; i < pipeChunks; i++ {
		p.free <- &pipeChunk{b: make([]byte, pipeChunkSize)}
	}
	go p.fill(src)
	go p.hash()
	return p
}

func (p *HashPipe) release(c *pipeChunk) {
	if c.refs.Add(-1) == 0 {
		p.free <- c
	}
}

func (p *HashPipe) fill(src io.Reader) {
	for {
		var c *pipeChunk
		select {
		case c = <-p.free:
		case <-p.done:
			return
		}
		c.n, c.err = 0, nil
		for c.n < len(c.b) && c.err == nil {
			var n int
			n, c.err = src.Read(c.b[c.n:])
			c.n += n
		}
		c.refs.Store(2)
		for _, q := range []chan *pipeChunk{p.hashq, p.data} {
			select {
			case q <- c:
			case <-p.done:
				return
			}
		}
		if c.err != nil {
			return
		}
	}
}

func (p *HashPipe) hash() {
	h := sha256.New()
	for {
		select {
		case c := <-p.hashq:
			h.Write(c.b[:c.n])
			end := c.err != nil
			p.release(c)
			if end {
				p.sumc <- h.Sum(nil)
				return
			}
		case <-p.done:
			return
		}
	}
}

func (p *HashPipe) Read(b []byte) (int, error) {
	for p.cur == nil || p.off == p.cur.n {
		if p.cur != nil {
			if p.cur.err != nil {
				return 0, p.cur.err
			}
			p.release(p.cur)
			p.cur = nil
		}
		p.cur, p.off = <-p.data, 0
	}
	n := copy(b, p.cur.b[p.off:p.cur.n])
	p.off += n
	return n, nil
}

// Sum waits for the sha256 of the whole stream; call it once Read has
// returned io.EOF.
func (p *HashPipe) Sum() []byte { return <-p.sumc }

// Stop ends the goroutines (a walk that fails stops reading early).
func (p *HashPipe) Stop() { p.once.Do(func() { close(p.done) }) }

// DiffIDError: an uncompressed layer that is not the one its config names.
func DiffIDError(want, got string) error {
	return fmt.Errorf("content does not match its diffID: the config says %s, the layer is %s", want, got)
}
