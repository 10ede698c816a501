// Package safefile reads the files a user hands slimpy and writes the ones
// it changes, so that neither can hurt the user.
//
// Reading: ReadRegular takes only a regular file of bounded size; a named
// pipe would block forever and /dev/zero would never end.
//
// Writing: a Txn stages every file of one change as a synced temporary
// file beside its target, checking on the way everything that can fail,
// then Commit puts them all in place; when a step fails or the context is
// cancelled, the steps already done are undone. Every file is written, or
// none. See Txn for how a replaced file keeps its owner, mode and links.
package safefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"syscall"

	"github.com/dustin/go-humanize"
)

// ErrNotRegular is returned (wrapped, naming the file) for an input that
// is not a regular file.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is returned (wrapped, naming the file and the limit) for an
// input larger than its limit.
var ErrTooLarge = errors.New("larger than allowed")

// ReadRegular reads the regular file at path (links followed) whole, when
// it holds at most limit bytes. Anything else is refused before it is
// read: a named pipe, a device, a socket, a directory. The file is opened
// without blocking, so one swapped for a pipe after the check cannot hang
// the read either.
func ReadRegular(path string, limit int64) ([]byte, error) {
	b, tooLarge, err := readRegular(path, limit)
	if err == nil && tooLarge {
		err = tooLargeError(path, limit)
	}
	return b, err
}

// OpenRegular opens the regular file at path as ReadRegular does, for a
// reader that streams it: a read past limit bytes fails with ErrTooLarge.
func OpenRegular(path string, limit int64) (io.ReadCloser, error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, err
	}
	if st.Size() > limit {
		f.Close()
		return nil, tooLargeError(path, limit)
	}
	return &limitedFile{f: f, left: limit, err: tooLargeError(path, limit)}, nil
}

type limitedFile struct {
	f    *os.File
	left int64
	err  error
}

func (l *limitedFile) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// At the limit: one byte more is an error, the end is not.
		var one [1]byte
		if n, _ := l.f.Read(one[:]); n > 0 {
			return 0, l.err
		}
		return 0, io.EOF
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.f.Read(p)
	l.left -= int64(n)
	return n, err
}

func (l *limitedFile) Close() error { return l.f.Close() }

func tooLargeError(path string, limit int64) error {
	return fmt.Errorf("%s is %w: the limit is %s", path, ErrTooLarge, humanize.IBytes(uint64(limit)))
}

// readRegular is ReadRegular that says "more than limit" instead of
// failing, for comparisons (a longer file is simply another one).
func readRegular(path string, limit int64) (b []byte, tooLarge bool, err error) {
	f, st, err := Open(path)
	if err != nil {
		return nil, false, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, true, nil
	}
	// One allocation of the size the file has (io.ReadAll would double
	// its way up to it: a layer cache entry is tens of MB); a file that
	// grew meanwhile is read on to the limit.
	var buf bytes.Buffer
	buf.Grow(int(st.Size()) + bytes.MinRead)
	if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
		return nil, false, err
	}
	b = buf.Bytes()
	if int64(len(b)) > limit {
		return nil, true, nil
	}
	return b, false, nil
}

// Open opens path for reading when it is a regular file, checked before
// (a pipe must not be opened: that blocks) and after the open, as
// ReadRegular does: for a reader that seeks or reads sections of it (an
// image archive read in place).
func Open(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if err := regular(path, st); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	if st, err = f.Stat(); err == nil {
		err = regular(path, st)
	}
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return f, st, nil
}

// regular refuses what is not a regular file, saying what it is.
func regular(path string, st fs.FileInfo) error {
	m := st.Mode()
	if m.IsRegular() {
		return nil
	}
	what := "a special file"
	switch {
	case m.IsDir():
		what = "a directory"
	case m&fs.ModeNamedPipe != 0:
		what = "a named pipe"
	case m&fs.ModeSocket != 0:
		what = "a socket"
	case m&fs.ModeDevice != 0:
		what = "a device"
	}
	return fmt.Errorf("%s is %s, %w", path, what, ErrNotRegular)
}
