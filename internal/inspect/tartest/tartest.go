// Package tartest writes small real layer tarballs for the tests of the
// walker, the merged view, the inventories and the rules: names are stored
// exactly as given, so a test can hand the walker what a hostile or
// careless image builder writes ("./a", "/abs", "a/../b"); and an image of
// such layers as an OCI layout on disk, for the tests of the transports and
// the driver.
package tartest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Entry is one header (and content) of a test layer.
type Entry struct {
	Name     string
	Type     byte // a tar.Type* flag
	Content  string
	Link     string
	Mode     int64 // 0 means 0644
	UID, GID int
}

// File is a regular file.
func File(name, content string) Entry {
	return Entry{Name: name, Type: tar.TypeReg, Content: content}
}

// Dir is a directory.
func Dir(name string) Entry { return Entry{Name: name, Type: tar.TypeDir} }

// Tar writes a real tar stream of the entries, in order.
func Tar(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Name: e.Name, Typeflag: e.Type, Mode: mode, Uid: e.UID, Gid: e.GID, Linkname: e.Link,
			ModTime: time.Unix(1700000000, 0), Format: tar.FormatPAX}
		if e.Type == tar.TypeReg {
			h.Size = int64(len(e.Content))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if e.Type == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Content); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// DiffID is the diffID of an uncompressed layer: "sha256:" and its hex.
func DiffID(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Gzip compresses a layer as a registry stores it.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteLayout writes an OCI image layout at dir holding img alone.
func WriteLayout(t testing.TB, dir string, img v1.Image) {
	t.Helper()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
}

// Symlink is a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Name: name, Type: tar.TypeSymlink, Link: target}
}

// Whiteout is the entry that deletes p in the layers below (".wh.NAME").
func Whiteout(p string) Entry {
	i := strings.LastIndexByte(p, '/')
	return File(p[:i+1]+".wh."+p[i+1:], "")
}

// Image builds a real gzip-layered image from tar streams, history[i]
// being layer i's instruction.
func Image(t testing.TB, history []string, layers ...[]byte) v1.Image {
	t.Helper()
	img := empty.Image
	for i, tb := range layers {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(tb)), nil })
		if err != nil {
			t.Fatal(err)
		}
		add := mutate.Addendum{Layer: l}
		if i < len(history) {
			add.History = v1.History{CreatedBy: history[i]}
		}
		if img, err = mutate.Append(img, add); err != nil {
			t.Fatal(err)
		}
	}
	return img
}
