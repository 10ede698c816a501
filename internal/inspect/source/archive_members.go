package source

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/dustin/go-humanize"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/safefile"
)

// archiveMember is what the headers of a docker save archive say of one
// member.
type archiveMember struct {
	size   int64
	sparse bool
	link   string // the member a (sym or hard) link names
}

// archiveMembers are a docker save archive's members, from one pass over
// its headers (a file: Next seeks over the contents).
type archiveMembers map[string]archiveMember

// scanArchive reads the headers of the tar at p; a tar of more than
// maxArchiveMembers members is refused (docker save writes a few per layer).
func scanArchive(p string) (archiveMembers, error) {
	f, _, err := safefile.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := archiveMembers{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(out) >= maxArchiveMembers {
			return nil, fmt.Errorf("the archive holds more than %d members", maxArchiveMembers)
		}
		name := archiveName(h.Name)
		m := archiveMember{size: h.Size, sparse: layer.IsSparse(h)}
		switch h.Typeflag {
		case tar.TypeSymlink: // older docker save links a shared layer.tar
			m.link = path.Join(path.Dir(name), h.Linkname)
		case tar.TypeLink:
			m.link = path.Clean(h.Linkname)
		}
		out[name] = m
	}
}

func archiveName(s string) string { return path.Clean(strings.TrimPrefix(s, "./")) }

// get is the member name leads to, through links.
func (a archiveMembers) get(name string) (archiveMember, bool) {
	m, ok := a[archiveName(name)]
	for hops := 0; ok && m.link != "" && hops < 40; hops++ {
		m, ok = a[m.link]
	}
	return m, ok && m.link == ""
}

// checkImage refuses an image of the archive whose config is beyond its
// limit or whose layers are sparse members (which no docker save writes,
// and whose holes would be read as zeros, in time without limit).
func (a archiveMembers) checkImage(d tarball.Descriptor) error {
	if c, ok := a.get(d.Config); ok && c.size > maxConfigBytes {
		return fmt.Errorf("the config %s is %s, more than the %s limit", d.Config, humanize.IBytes(uint64(c.size)), humanize.IBytes(maxConfigBytes))
	}
	for _, l := range d.Layers {
		if m, ok := a.get(l); ok && m.sparse {
			return fmt.Errorf("the layer %s is a sparse member: no docker save writes one", l)
		}
	}
	return nil
}

// layerSizes are the sizes of the members that hold d's layers, as stored
// (a newer docker save gzips them): the compressed size the report shows,
// as `tar -tvf` lists it; 0 for one that is absent (the tar's length is
// shown instead).
func (a archiveMembers) layerSizes(d tarball.Descriptor) []int64 {
	out := make([]int64, len(d.Layers))
	for i, l := range d.Layers {
		if m, ok := a.get(l); ok {
			out[i] = m.size
		}
	}
	return out
}
