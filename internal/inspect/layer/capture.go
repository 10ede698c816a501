package layer

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"context"
	"errors"
	"io"
	"path"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/zeebo/xxh3"
)

// MaxCapturedFile bounds the bytes kept of one file captured whole. Package
// databases of real images stay well below it (a bookworm dpkg status with
// build-essential is ~1 MB). apt's Packages lists are not bounded by it
// once they are streamed (Reads.AptIndex): a bookworm main list is
// ~50 MB uncompressed, ~10 MB as .lz4.
const MaxCapturedFile = 32 << 20

// listForm is how an apt list is stored.
type listForm uint8

const (
	formPlain listForm = iota
	formLZ4
	formGzip
	formBzip2
	formZstd
	formUnread // .xz, .lzma: not read
)

// AptListUnread reports whether an apt list of this name is in a form the
// walker does not read (.xz, .lzma).
func AptListUnread(name string) bool { return aptListForm(name) == formUnread }

// aptListForm tells an apt list's form by its name, as apt does.
func aptListForm(name string) listForm {
	switch path.Ext(name) {
	case ".lz4":
		return formLZ4
	case ".gz":
		return formGzip
	case ".bz2":
		return formBzip2
	case ".zst":
		return formZstd
	case ".xz", ".lzma":
		return formUnread
	}
	return formPlain
}

const (
	// MaxAptListKept bounds the text kept of one apt list: the Package,
	// Version and Architecture lines of a bookworm main list are ~4 MB.
	MaxAptListKept = 16 << 20
	// maxAptListRead bounds the uncompressed bytes read of one list
	// (bookworm main is ~50 MB): a compression bomb costs time up to it,
	// never memory.
	maxAptListRead = 1 << 30
)

// CaptureAptList reads one apt Packages index of size bytes from r, as the
// layer stores it (plain, .lz4, .gz, .bz2 or .zst by p's name), and returns
// plain text holding only what the stale rule reads of it: the Package,
// Version and Architecture lines and a blank line between stanzas, at most
// MaxAptListKept bytes of whole stanzas. hash is the xxh3 of the stored
// bytes, as for any other file. A list that does not decompress keeps what
// was read before the damage; only an error reading r itself (a truncated
// layer) is returned.
//
// Memory: the kept text, a 64 KiB line buffer and the decompressor's
// window, whatever the list's size.
func CaptureAptList(ctx context.Context, r io.Reader, p string, size int64) (kept []byte, hash uint64, err error) {
	raw := &hashingReader{r: io.LimitReader(r, size), h: xxh3.New()}
	var src io.Reader
	var closeSrc func()
	switch aptListForm(path.Base(p)) {
	case formLZ4:
		src = lz4.NewReader(raw)
	case formGzip:
		if zr, err := gzip.NewReader(raw); err == nil {
			src = zr
		}
	case formBzip2:
		src = bzip2.NewReader(raw)
	case formZstd:
		if d, err := zstd.NewReader(raw, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true)); err == nil {
			src, closeSrc = d, d.Close
		}
	case formPlain:
		src = raw
	}
	if src != nil {
		// A small compressed list can expand to maxAptListRead: a cancel
		// is checked for every chunk of it.
		kept = filterPackagesIndex(ctxReader{ctx, io.LimitReader(src, maxAptListRead)}, MaxAptListKept)
	}
	if closeSrc != nil {
		closeSrc()
	}
	// The rest of the stored bytes: the hash covers them all, and the
	// tar reader wants the entry read to its end.
	if raw.err == nil {
		_, _ = io.Copy(io.Discard, raw)
	}
	if raw.err != nil && !errors.Is(raw.err, io.EOF) {
		return nil, 0, raw.err
	}
	if raw.n != size {
		return nil, 0, io.ErrUnexpectedEOF
	}
	return kept, raw.h.Sum64(), nil
}

// ctxReader stops a read with the context's error once it is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashingReader hashes and counts what is read through it and remembers
// the first error of the underlying reader, so that a decompressor's error
// and a truncated layer can be told apart.
type hashingReader struct {
	r   io.Reader
	h   *xxh3.Hasher
	n   int64
	err error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	n, err := h.r.Read(p)
	h.h.Write(p[:n])
	h.n += int64(n)
	h.err = err
	return n, err
}

// filterPackagesIndex keeps the lines of a Debian Packages index that
// parsePackagesIndex reads (Package, Version, Architecture; a blank line
// ends a stanza), up to max bytes of whole stanzas. Lines longer than the
// 64 KiB buffer are no such field and are skipped. A read error (a damaged
// compressed list) ends the text after the last whole stanza.
func filterPackagesIndex(r io.Reader, max int) []byte {
	br := bufio.NewReaderSize(r, 64<<10)
	var out bytes.Buffer // grows by doubling: less garbage than append's 1.25x
	stanzaEnd := 0       // out's first stanzaEnd bytes are whole stanzas
	blank := true        // the last line kept was blank (or none was kept)
	for {
		line, err := br.ReadSlice('\n')
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			out.Truncate(stanzaEnd) // damaged: keep the stanzas read whole
			break
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) { // skip the rest of a long line
				_, err = br.ReadSlice('\n')
			}
			if err == nil {
				continue
			}
			if !errors.Is(err, io.EOF) {
				out.Truncate(stanzaEnd)
			}
			break
		}
		if len(bytes.TrimSpace(line)) == 0 {
			if len(line) > 0 && !blank {
				out.WriteByte('\n')
				stanzaEnd, blank = out.Len(), true
			}
		} else if keepIndexLine(line) {
			if out.Len()+len(line)+2 > max {
				out.Truncate(stanzaEnd) // a stanza cut in two would read as another
				break
			}
			out.Write(bytes.TrimRight(line, "\r\n"))
			out.WriteByte('\n')
			blank = false
		}
		if err != nil {
			break
		}
	}
	if out.Len() == 0 {
		return nil
	}
	return append([]byte(nil), out.Bytes()...) // without the growth slack
}

// keepIndexLine reports whether parsePackagesIndex reads the line.
func keepIndexLine(line []byte) bool {
	if line[0] == ' ' || line[0] == '\t' {
		return false // a continuation line
	}
	k, _, ok := bytes.Cut(line, []byte{':'})
	return ok && (bytes.EqualFold(k, []byte("Package")) || bytes.EqualFold(k, []byte("Version")) ||
		bytes.EqualFold(k, []byte("Architecture")))
}
