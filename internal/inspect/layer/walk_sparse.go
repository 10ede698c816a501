package layer

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"strings"

	"github.com/zeebo/xxh3"
)

// Sparse tar members (GNU tar --sparse, in the old GNU or the PAX 0.x/1.0
// formats; no container engine writes them) carry their data segments
// only: a 201-byte layer can declare a 1 TiB file of holes. archive/tar
// reads holes as zeros, so reading such a member costs time in its
// declared size. The walker never reads one: it lets archive/tar skip the
// member, which it does through io.Seeker on the stream, and skipReader
// turns those seeks into reads of the stored bytes only, hashed as they
// pass. The file counts its apparent size (st_size, what `tar -tv`,
// `ls -l` and `du --apparent-size` show and what an engine's extraction
// writes); its hash is of the bytes stored and its size.

// IsSparse reports whether archive/tar reads hdr's content as a sparse
// file (with holes it fills with zeros).
func IsSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// skipReader is the stream under archive/tar's reader. Reads pass through;
// Seek(n, io.SeekCurrent), which archive/tar calls to skip what is left of
// a member (archive/tar's discard seeks to the last byte of the data, then
// reads that byte), reads n bytes and gives them to sink when one is
// armed. The context is checked for every chunk.
type skipReader struct {
	ctx    context.Context
	r      io.Reader
	pos    int64
	buf    []byte
	sink   *xxh3.Hasher // armed while a sparse member is skipped
	hasher *xxh3.Hasher
	// tail: the next one-byte read is the skipped member's last stored
	// byte (after a seek, or alone when the member stores one byte).
	tail bool
}

func (s *skipReader) Read(p []byte) (int, error) {
	if err := s.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := s.r.Read(p)
	if s.sink != nil && s.tail {
		if len(p) == 1 && n == 1 {
			s.sink.Write(p[:1])
		}
		s.tail = false
	}
	s.pos += int64(n)
	return n, err
}

var errNotSeekable = errors.New("a layer stream only seeks forward from where it is")

func (s *skipReader) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return s.pos, errNotSeekable
	}
	var w io.Writer = io.Discard
	if s.sink != nil {
		w = s.sink
	}
	for left := offset; left > 0; {
		if err := s.ctx.Err(); err != nil {
			return s.pos, err
		}
		n, err := io.ReadFull(s.r, s.buf[:min(left, int64(len(s.buf)))])
		w.Write(s.buf[:n])
		s.pos += int64(n)
		left -= int64(n)
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return s.pos, err
		}
	}
	if offset > 0 {
		s.tail = true
	}
	return s.pos, nil
}

// armSparse makes the bytes archive/tar skips next (at its next Next) the
// sparse member's stored bytes, hashed by sparseHash.
func (s *skipReader) armSparse() {
	if s.hasher == nil {
		s.hasher = xxh3.New()
	}
	s.hasher.Reset()
	s.sink, s.tail = s.hasher, true
}

// sparseHash disarms the sink and returns the skipped member's hash: the
// xxh3 of its stored bytes, then of its apparent size and of its sparse
// map where the PAX records give it.
func (s *skipReader) sparseHash(hdr *tar.Header) uint64 {
	s.sink, s.tail = nil, false
	var size [8]byte
	for i := range size {
		size[i] = byte(hdr.Size >> (8 * i))
	}
	s.hasher.Write(size[:])
	s.hasher.WriteString(hdr.PAXRecords["GNU.sparse.map"])
	return s.hasher.Sum64()
}
