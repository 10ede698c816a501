package rules

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"io"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// aptCandidate is one version an apt list offers.
type aptCandidate struct {
	version string
	arch    string
}

// aptListsDir holds apt's downloaded indexes.
const aptListsDir = "/var/lib/apt/lists"

// IsAptPackagesList matches apt's Packages indexes in /var/lib/apt/lists.
func IsAptPackagesList(p string) bool {
	dir, base := path.Split(p)
	return dir == aptListsDir+"/" && strings.Contains(base, "_Packages")
}

// aptAvailable reads every Packages index the image keeps in
// /var/lib/apt/lists (plain, .lz4 as Docker's Debian images store them,
// .gz, .bz2, .zst; .xz is not read) into name → offered versions, and the
// indexes a layer stored that a later layer deleted or replaced: they date
// from that layer's build. visible says whether the image shows any;
// hiddenFrom lists the layers whose hidden indexes were read.
func (p *Pass) aptAvailable() (out map[string][]aptCandidate, visible bool, hiddenFrom []int) {
	out = map[string][]aptCandidate{}
	read := func(name string, c []byte) {
		r, err := decompressList(name, c)
		if err != nil {
			return
		}
		// A truncated or corrupt index yields what it could be read of it.
		_ = parsePackagesIndex(r, func(name, version, arch string) {
			out[name] = append(out[name], aptCandidate{version: version, arch: arch})
		})
		if c, ok := r.(io.Closer); ok {
			c.Close() // a zstd decoder holds goroutines until closed
		}
	}
	if dir := p.FS.Lookup(aptListsDir); dir != nil && dir.Kind == layer.KindDir {
		for _, n := range dir.Children() {
			if n.Kind != layer.KindFile || !strings.Contains(n.Name(), "_Packages") {
				continue
			}
			if c, ok := p.FS.Content(n.Path); ok {
				read(n.Name(), c)
				visible = true
			}
		}
	}
	for i, l := range p.Layers {
		if l.Data == nil {
			continue
		}
		found := false
		for _, lp := range slices.Sorted(maps.Keys(l.Data.Contents)) {
			if !IsAptPackagesList(lp) {
				continue
			}
			if n := p.FS.Lookup(lp); n != nil {
				if layer, at := n.InodeKey(); layer == i && at == lp {
					continue // the visible one, read above
				}
			}
			read(path.Base(lp), l.Data.Contents[lp])
			found = true
		}
		if found {
			hiddenFrom = append(hiddenFrom, i)
		}
	}
	return out, visible, hiddenFrom
}

// decompressList opens a captured Packages index. The walker keeps a
// list's index lines as plain text whatever its form (layer.CaptureAptList); a
// list captured whole (cached layer data, or another walker) is read by
// its magic bytes, which agree with its name's suffix.
func decompressList(name string, c []byte) (io.Reader, error) {
	br := bytes.NewReader(c)
	switch {
	case bytes.HasPrefix(c, []byte{0x04, 0x22, 0x4d, 0x18}):
		return lz4.NewReader(br), nil
	case bytes.HasPrefix(c, []byte{0x1f, 0x8b}):
		return gzip.NewReader(br)
	case bytes.HasPrefix(c, []byte("BZh")):
		return bzip2.NewReader(br), nil
	case bytes.HasPrefix(c, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		d, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	case layer.AptListUnread(name):
		return nil, io.ErrUnexpectedEOF
	}
	return br, nil
}

// parsePackagesIndex streams a Debian Packages index and calls fn with the
// Package, Version and Architecture of every stanza: the indexes are tens
// of MB, and those three fields are all the stale rule needs.
func parsePackagesIndex(r io.Reader, fn func(name, version, arch string)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var name, version, arch string
	flush := func() {
		if name != "" && version != "" {
			fn(name, version, arch)
		}
		name, version, arch = "", "", ""
	}
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			flush()
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		k, v, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		switch {
		case bytes.EqualFold(k, []byte("Package")):
			name = string(bytes.TrimSpace(v))
		case bytes.EqualFold(k, []byte("Version")):
			version = string(bytes.TrimSpace(v))
		case bytes.EqualFold(k, []byte("Architecture")):
			arch = string(bytes.TrimSpace(v))
		}
	}
	flush()
	return sc.Err()
}
