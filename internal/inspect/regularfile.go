package inspect

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// errNotRegular is returned for a path that is a FIFO, a device, a socket
// or a directory where a regular file is expected.
var errNotRegular = errors.New("not a regular file")

// openRegular opens p for reading if it is a regular file. Opening never
// blocks: a FIFO put where a file is expected (a cache entry) is
// opened without waiting for a writer (openNonblock) and refused.
func openRegular(p string) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", p, errNotRegular)
	}
	return f, fi, nil
}

// readRegularFile reads the regular file at p whole, if it holds at most
// max bytes.
func readRegularFile(p string, max int64) ([]byte, error) {
	f, fi, err := openRegular(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi.Size() > max {
		return nil, fmt.Errorf("%s: %d bytes, more than the %d-byte limit", p, fi.Size(), max)
	}
	// One allocation of the size the file has (io.ReadAll would double
	// its way up to it); a file that grew meanwhile is refused.
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("%s: changed while it was read", p)
	}
	return b, nil
}
