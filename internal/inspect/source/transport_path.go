package source

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// looksLikePath reports whether a bare reference that names an existing
// file is meant as that file: an absolute or ./ path, or no valid image
// name. A relative name that is also an image name ("myapp", beside the
// directory of the same name) stays an image reference.
func looksLikePath(ref string) bool {
	if filepath.IsAbs(ref) || ref == "." || ref == ".." ||
		strings.HasPrefix(ref, "./") || strings.HasPrefix(ref, "../") {
		return true
	}
	_, err := name.ParseReference(ref)
	return err != nil
}

// openOtherPath opens an existing path that is neither a .tar file nor an
// OCI layout directory: a docker save or OCI archive under another name,
// or else an error saying what the path is (never a registry lookup of
// "/etc/passwd").
func openOtherPath(ctx context.Context, ref string, fi fs.FileInfo, opts OpenOptions) (*Source, error) {
	switch {
	case fi.IsDir():
		return nil, refErr(ref, errors.New("a directory, not an OCI image layout (no index.json); an image reference names no local path"))
	case !fi.Mode().IsRegular():
		return nil, refErrf(ref, "not an image: a %s, not a regular file", fileKind(fi.Mode()))
	}
	hasManifest, hasIndex, err := tarHas(ref, "manifest.json", "index.json")
	switch {
	case err != nil:
		return nil, refErr(ref, errors.New("a file that is not an image: not a tar archive (docker save writes one; use docker-archive:PATH or oci-archive:PATH)"))
	case hasManifest:
		return openDockerArchive(ref, ref, "", opts)
	case hasIndex:
		return openOCIArchive(ctx, ref, ref, "", opts)
	}
	return nil, refErr(ref, errors.New("a tar archive that is not an image: no manifest.json (docker save) or index.json (OCI)"))
}

// fileKind names a file type for a message.
func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeCharDevice != 0:
		return "character device"
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeSymlink != 0:
		return "symlink"
	}
	return "special file"
}
