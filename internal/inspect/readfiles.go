package inspect

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"path"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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

// ReadVisibleFiles reads the visible regular files of the merged tree whose
// paths want accepts, each of at most max bytes, from the layers that store
// them (one stream per layer that stores any), by visible path.
func ReadVisibleFiles(ctx context.Context, img v1.Image, fs *FileSystem, want func(p string) bool, max int64) (map[string][]byte, error) {
	byLayer := map[int]map[string][]string{} // layer → stored path → visible paths
	fs.Walk(func(n *Node) bool {
		if n.Kind != KindFile || n.Size > max || !want(n.Path) {
			return true
		}
		l, at := n.InodeKey()
		if l < 0 {
			return true
		}
		if byLayer[l] == nil {
			byLayer[l] = map[string][]string{}
		}
		byLayer[l][at] = append(byLayer[l][at], n.Path)
		return true
	})
	out := map[string][]byte{}
	if len(byLayer) == 0 {
		return out, nil
	}
	layers, err := img.Layers()
	if err != nil {
		return nil, fmt.Errorf("listing layers: %w", err)
	}
	ids := make([]int, 0, len(byLayer))
	for l := range byLayer {
		ids = append(ids, l)
	}
	sort.Ints(ids)
	for _, l := range ids {
		if l >= len(layers) {
			continue
		}
		stored := map[string]bool{}
		for at := range byLayer[l] {
			stored[at] = true
		}
		err := ReadLayerFiles(ctx, layers[l], stored, max, func(at string, b []byte) {
			for _, p := range byLayer[l][at] {
				out[p] = b
			}
		})
		if err != nil {
			return nil, fmt.Errorf("reading layer %d: %w", l, err)
		}
	}
	return out, nil
}
