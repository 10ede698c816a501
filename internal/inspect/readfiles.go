package inspect

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"maps"
	"path"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// ReadLayerFiles streams one layer and hands fn the content of each regular
// file stored at a path of want, read whole if it is at most max bytes
// (larger ones are passed over). It stops once every wanted path is read.
// For what the walker does not keep: the libraries compiled extensions
// link, the files a refresh reads.
func ReadLayerFiles(ctx context.Context, l v1.Layer, want map[string]bool, max int64, fn func(stored string, content []byte)) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	left := len(want)
	for left > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		p := path.Clean("/" + h.Name)
		if !want[p] || h.Typeflag != tar.TypeReg || h.Size > max {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(tr, max))
		if err != nil {
			return err
		}
		fn(p, b)
		left--
	}
	return nil
}

// ReadVisibleFiles reads the visible regular files of the merged tree that
// want accepts, each of at most max bytes, from the layers that store them
// (one stream per layer that stores any, in layer order), and hands fn each
// content with the visible paths that reach it (hardlinks share one).
// want sees every candidate before fn is first called. For what the walker
// does not keep: the libraries compiled extensions link, the files a
// refresh reads.
func ReadVisibleFiles(ctx context.Context, img v1.Image, fs *fsview.FileSystem, want func(*fsview.Node) bool, max int64, fn func(paths []string, content []byte)) error {
	byLayer := map[int]map[string][]string{} // layer → stored path → visible paths
	fs.Walk(func(n *fsview.Node) bool {
		if n.Kind != layer.KindFile || n.Size > max || !want(n) {
			return true
		}
		if l, at := n.InodeKey(); l >= 0 {
			if byLayer[l] == nil {
				byLayer[l] = map[string][]string{}
			}
			byLayer[l][at] = append(byLayer[l][at], n.Path)
		}
		return true
	})
	if len(byLayer) == 0 {
		return nil
	}
	layers, err := img.Layers()
	if err != nil {
		return fmt.Errorf("listing layers: %w", err)
	}
	for _, l := range slices.Sorted(maps.Keys(byLayer)) {
		if l >= len(layers) {
			continue
		}
		stored := map[string]bool{}
		for at := range byLayer[l] {
			stored[at] = true
		}
		err := ReadLayerFiles(ctx, layers[l], stored, max, func(at string, b []byte) { fn(byLayer[l][at], b) })
		if err != nil {
			return fmt.Errorf("reading layer %d: %w", l, err)
		}
	}
	return nil
}
