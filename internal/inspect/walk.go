package inspect

import (
	"archive/tar"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"
	"strings"

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

// decompress returns the uncompressed tar stream of a stored layer blob,
// recognising gzip and zstd by their magic bytes; anything else is taken as
// an uncompressed tar.
func decompress(blob io.Reader) (io.ReadCloser, error) {
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

// walkLayer reads one uncompressed layer tarball to its end and returns what
// it holds. When wantDiffID is not empty the stream's sha256 must equal it:
// a layer whose content does not match the image config is an error, not a
// silently wrong number.
func walkLayer(uncompressed io.Reader, wantDiffID string) (*LayerData, error) {
	var digest hash.Hash
	counter := &countingReader{r: uncompressed}
	var r io.Reader = counter
	if wantDiffID != "" {
		digest = sha256.New()
		r = io.TeeReader(counter, digest)
	}
	ld := &LayerData{DiffID: wantDiffID, Contents: map[string][]byte{}, checked: true}
	tr := tar.NewReader(r)
	hasher := xxh3.New()
	buf := make([]byte, 256<<10)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar: %w", truncated(err))
		}
		p, err := cleanEntryPath(hdr.Name)
		if err != nil {
			return nil, err
		}
		if p == "/" {
			continue // the root directory itself
		}
		dir, base := path.Split(p)
		if strings.HasPrefix(base, whiteoutPrefix) {
			switch {
			case base == opaqueMarker:
				ld.Opaques = append(ld.Opaques, path.Clean(dir))
			case strings.HasPrefix(base, aufsMetaPrefix):
			default:
				// ".wh.", ".wh.." and ".wh..." name no entry of the
				// directory: they hide nothing.
				if name := base[len(whiteoutPrefix):]; name != "" && name != "." && name != ".." {
					ld.Whiteouts = append(ld.Whiteouts, dir+name)
				}
			}
			continue
		}
		e := Entry{Path: p, Mode: uint32(hdr.Mode) & 0o7777, UID: hdr.Uid, GID: hdr.Gid}
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
			e.Kind = KindFile
			e.Size = hdr.Size
			if hdr.Size > 0 {
				if wantContent(p, hdr.Size) {
					content, err := io.ReadAll(tr)
					if err != nil {
						return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
					}
					ld.Contents[p] = content
					e.Hash = xxh3.Hash(content)
				} else {
					hasher.Reset()
					if _, err := io.CopyBuffer(hasher, tr, buf); err != nil {
						return nil, fmt.Errorf("reading %q: %w", p, truncated(err))
					}
					e.Hash = hasher.Sum64()
				}
			}
			ld.StoredBytes += hdr.Size
			ld.StoredFiles++
		case tar.TypeDir:
			e.Kind = KindDir
		case tar.TypeSymlink:
			e.Kind = KindSymlink
			e.Link = hdr.Linkname
		case tar.TypeLink:
			e.Kind = KindHardlink
			target, err := cleanEntryPath(hdr.Linkname)
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
		ld.Entries = append(ld.Entries, e)
	}
	// The digest covers the whole stream, including the end-of-archive
	// padding that tar.Reader does not consume.
	if _, err := io.CopyBuffer(io.Discard, r, buf); err != nil {
		return nil, fmt.Errorf("reading tar: %w", truncated(err))
	}
	ld.TarBytes = counter.n
	if digest != nil {
		got := "sha256:" + hex.EncodeToString(digest.Sum(nil))
		if got != wantDiffID {
			return nil, fmt.Errorf("content does not match its diffID: the config says %s, the layer is %s", wantDiffID, got)
		}
	}
	return ld, nil
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
// a name that climbs out of the root with ".." is refused.
func cleanEntryPath(name string) (string, error) {
	rel := strings.TrimLeft(name, "/")
	for _, part := range strings.Split(rel, "/") {
		if part == ".." {
			cleaned := path.Clean("/" + rel)
			// path.Clean clamps ".." at the root; compare with the
			// lexical walk to see whether it tried to leave it.
			if escapesRoot(rel) {
				return "", fmt.Errorf("tar entry %q escapes the image root", name)
			}
			return cleaned, nil
		}
	}
	return path.Clean("/" + rel), nil
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
