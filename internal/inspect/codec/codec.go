// Package codec is the compact binary encoding of slimpy's caches: varints,
// strings, front-coded paths and an xxh3-64 frame (Writer, Reader,
// Unframe), and a reflection-driven encoding of Go values built on them
// (Encode, Decode, For). internal/inspect encodes its layer cache entries
// with the primitives and its image cache's reports with the values.
package codec

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"unsafe"

	"github.com/slimpy/slimpy/internal/arena"
	"github.com/zeebo/xxh3"
)

// Writer writes the encoding's primitives through a buffer, keeping an
// xxh3-64 of everything written.
type Writer struct {
	w    *bufio.Writer
	h    *xxh3.Hasher
	buf  [binary.MaxVarintLen64]byte
	prev string
}

// NewWriter writes to out through a 256 KiB buffer.
func NewWriter(out io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(out, 256<<10), h: xxh3.New()}
}

// Byte writes one byte.
func (w *Writer) Byte(b byte) {
	w.buf[0] = b
	w.Write(w.buf[:1])
}

// Fixed64 writes v as 8 bytes, little endian.
func (w *Writer) Fixed64(v uint64) {
	binary.LittleEndian.PutUint64(w.buf[:8], v)
	w.Write(w.buf[:8])
}

// ResetPath starts a new run of front-coded paths.
func (w *Writer) ResetPath() { w.prev = "" }

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// Finish writes the xxh3-64 of everything written so far (not itself
// hashed), then flushes: the frame Unframe checks.
func (w *Writer) Finish() error {
	var sum [8]byte
	binary.LittleEndian.PutUint64(sum[:], w.h.Sum64())
	w.w.Write(sum[:])
	return w.w.Flush()
}

func (w *Writer) Write(b []byte) {
	w.h.Write(b)
	w.w.Write(b)
}

func (w *Writer) Uvarint(v uint64) { w.Write(w.buf[:binary.PutUvarint(w.buf[:], v)]) }
func (w *Writer) Varint(v int64)   { w.Write(w.buf[:binary.PutVarint(w.buf[:], v)]) }

func (w *Writer) Str(s string) {
	w.Uvarint(uint64(len(s)))
	w.Write(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// path writes s front-coded against the previous path.
func (w *Writer) Path(s string) {
	n := 0
	for n < len(s) && n < len(w.prev) && s[n] == w.prev[n] {
		n++
	}
	w.Uvarint(uint64(n))
	w.Str(s[n:])
	w.prev = s
}

// ErrCorrupt is what a Reader or Unframe returns for damaged input.
var ErrCorrupt = errors.New("damaged layer cache entry")

// Reader reads what a Writer wrote; the first damage makes every later
// read return zero values and Err return ErrCorrupt.
type Reader struct {
	b     []byte
	err   error
	prev  string
	names arena.Arena
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is ErrCorrupt once a read found damage, else nil.
func (r *Reader) Err() error { return r.err }

// Len is the bytes left to read.
func (r *Reader) Len() int { return len(r.b) }

// ResetPath starts a new run of front-coded paths.
func (r *Reader) ResetPath() { r.prev = "" }

// Fixed64 reads what Writer.Fixed64 wrote.
func (r *Reader) Fixed64() uint64 {
	if b := r.Bytes(8); len(b) == 8 {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// Done is Err, after checking that nothing is left to read.
func (r *Reader) Done() error {
	if r.err == nil && len(r.b) != 0 {
		r.Fail()
	}
	return r.err
}

// Unframe checks that b is magic, a body and the xxh3-64 of magic and body
// (Writer.Finish), and returns the body.
func Unframe(b []byte, magic string) ([]byte, error) {
	if len(b) < len(magic)+8 || string(b[:len(magic)]) != magic {
		return nil, ErrCorrupt
	}
	body, sum := b[:len(b)-8], binary.LittleEndian.Uint64(b[len(b)-8:])
	if xxh3.Hash(body) != sum {
		return nil, ErrCorrupt
	}
	return body[len(magic):], nil
}

func (r *Reader) Uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *Reader) Varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.Fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *Reader) Bytes(n uint64) []byte {
	if n > uint64(len(r.b)) {
		r.Fail()
		return nil
	}
	out := r.b[:n:n]
	r.b = r.b[n:]
	return out
}

func (r *Reader) Byte() byte {
	if b := r.Bytes(1); len(b) == 1 {
		return b[0]
	}
	return 0
}

// count reads a length that must fit what is left (each element takes at
// least min bytes): a damaged count must not make a huge allocation.
func (r *Reader) Count(min int) int {
	n := r.Uvarint()
	if n > uint64(len(r.b)/min) {
		r.Fail()
		return 0
	}
	return int(n)
}

func (r *Reader) Str() string {
	b := r.Bytes(r.Uvarint())
	return r.names.Concat(unsafe.String(unsafe.SliceData(b), len(b)), "", "")
}

func (r *Reader) Path() string {
	shared := r.Uvarint()
	suffix := r.Bytes(r.Uvarint())
	if shared > uint64(len(r.prev)) {
		r.Fail()
		return ""
	}
	s := r.names.Concat(r.prev[:shared], unsafe.String(unsafe.SliceData(suffix), len(suffix)), "")
	r.prev = s
	return s
}

func (r *Reader) Fail() {
	if r.err == nil {
		r.err = ErrCorrupt
	}
	r.b = nil
}
