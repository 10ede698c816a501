package source

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/safefile"
)

// ociStore reads the files of an OCI image layout, where they are: a
// directory, or a tar of one read in place (never extracted: a 9 KB
// archive may hold a 100 GiB sparse member). Only the files index.json
// reaches are ever read.
type ociStore interface {
	// open opens a file of the layout by its slash-separated name
	// ("index.json", "blobs/sha256/…") and gives its size; a missing file
	// is fs.ErrNotExist.
	open(name string) (io.ReadCloser, int64, error)
	io.Closer
}

// blobName is the layout's name of the blob with digest h.
func blobName(h v1.Hash) (string, error) {
	if !blobAlgoRE.MatchString(h.Algorithm) || !blobHexRE.MatchString(h.Hex) {
		return "", fmt.Errorf("invalid digest %q", h.String())
	}
	return "blobs/" + h.Algorithm + "/" + h.Hex, nil
}

var (
	blobAlgoRE = regexp.MustCompile(`^[a-z0-9]+(?:[+._-][a-z0-9]+)*$`)
	blobHexRE  = regexp.MustCompile(`^[a-f0-9]{32,256}$`)
)

// dirStore is a layout directory.
type dirStore struct{ dir string }

func (d dirStore) open(name string) (io.ReadCloser, int64, error) {
	f, fi, err := safefile.Open(filepath.Join(d.dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, 0, err
	}
	return f, fi.Size(), nil
}

func (d dirStore) Close() error { return nil }

// tarMember is where a file of the layout is in an uncompressed tar.
type tarMember struct{ offset, size int64 }

// tarStore is an uncompressed tar of a layout, read in place: one pass
// over the headers finds the files, reads are sections of the archive.
type tarStore struct {
	f       *os.File
	members map[string]tarMember
}

// layoutMemberName is the layout file a tar member holds, "" for members
// that are no file of a layout (or are not read: links, sparse members).
func layoutMemberName(h *tar.Header) string {
	if h.Typeflag != tar.TypeReg || layer.IsSparse(h) || len(h.Name) > 512 {
		return ""
	}
	name := path.Clean(strings.TrimPrefix(h.Name, "./"))
	if name == "index.json" || name == "oci-layout" || strings.HasPrefix(name, "blobs/") && strings.Count(name, "/") == 2 {
		return name
	}
	return ""
}

// openTarStore opens the archive at p in place: uncompressed, by its
// members' offsets; gzipped, by reading it again to each file it opens.
func openTarStore(p string) (ociStore, error) {
	f, _, err := safefile.Open(p)
	if err != nil {
		return nil, err
	}
	var magic [2]byte
	if n, _ := io.ReadFull(f, magic[:]); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		f.Close()
		return gzTarStore{path: p}, nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	s := &tarStore{f: f, members: map[string]tarMember{}}
	tr := tar.NewReader(f) // a file: Next seeks over the contents
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("not a readable tar archive: %w", err)
		}
		name := layoutMemberName(h)
		if name == "" {
			continue
		}
		if len(s.members) >= maxArchiveMembers {
			f.Close()
			return nil, fmt.Errorf("the archive holds more than %d blobs", maxArchiveMembers)
		}
		off, err := f.Seek(0, io.SeekCurrent) // tar.Reader reads headers without buffering
		if err != nil {
			f.Close()
			return nil, err
		}
		s.members[name] = tarMember{offset: off, size: h.Size}
	}
}

func (s *tarStore) open(name string) (io.ReadCloser, int64, error) {
	m, ok := s.members[name]
	if !ok {
		return nil, 0, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
	}
	return io.NopCloser(io.NewSectionReader(s.f, m.offset, m.size)), m.size, nil
}

func (s *tarStore) Close() error { return s.f.Close() }

// gzTarStore is a gzipped tar of a layout: each open reads the archive
// from its start to the file (rare: skopeo and podman write plain tars).
type gzTarStore struct{ path string }

func (g gzTarStore) open(name string) (io.ReadCloser, int64, error) {
	f, _, err := safefile.Open(g.path)
	if err != nil {
		return nil, 0, err
	}
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 64<<10))
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			f.Close()
			return nil, 0, fmt.Errorf("%s: %w", name, fs.ErrNotExist)
		}
		if err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("not a readable tar archive: %w", err)
		}
		if layoutMemberName(h) == name {
			return struct {
				io.Reader
				io.Closer
			}{tr, f}, h.Size, nil
		}
	}
}

func (g gzTarStore) Close() error { return nil }
