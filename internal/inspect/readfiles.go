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
	"github.com/slimpy/slimpy/internal/inspect/elfdeps"
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
// does not keep: the files a refresh reads.
func ReadVisibleFiles(ctx context.Context, img v1.Image, fs *fsview.FileSystem, want func(*fsview.Node) bool, max int64, fn func(paths []string, content []byte)) error {
	return ReadVisibleDerived(ctx, img, fs, want, max, func(b []byte) []byte { return b }, nil, fn)
}

// DerivedValues keeps, by a layer's diffID, the small value a reader
// derived from each file it read of that layer (ReadVisibleDerived).
type DerivedValues interface {
	// Load returns the values kept for the layer by stored path, nil on a
	// miss.
	Load(diffID string) map[string][]byte
	Store(diffID string, values map[string][]byte)
}

// walkDerive is what the walk derives of the files it streams when a cache
// keeps the values: the libraries the compiled extension modules link
// (elfdeps), which the suggestions read through ReadVisibleDerived. Kept
// as the walk goes, the first suggest after an inspect streams no layer
// for them (an image of the engine is not exported again).
var walkDerive = &layer.Derive{Kind: elfdeps.Kind, Want: elfdeps.Candidate, Value: elfdeps.Needed}

// keepDerived keeps the values the walk derived of a layer (nil: none),
// with those a reader kept before of the files the walk did not hold,
// as readDerived keeps its own.
func keepDerived(store layer.DerivedStore, diffID string, values map[string][]byte) {
	if len(values) == 0 {
		return
	}
	maps.Copy(values, store.Load(diffID))
	store.Store(diffID, values)
}

// ReadVisibleDerived is ReadVisibleFiles for a reader that needs only a
// value derived from each content (the libraries an ELF object links): fn
// gets derive's value, and cache (nil: none) keeps each layer's values by
// its diffID, so a later run streams no layer whose wanted files all have
// one — and an image of the engine is not exported for them.
func ReadVisibleDerived(ctx context.Context, img v1.Image, fs *fsview.FileSystem, want func(*fsview.Node) bool, max int64, derive func(content []byte) []byte, cache DerivedValues, fn func(paths []string, value []byte)) error {
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
		if err := readDerived(ctx, layers[l], byLayer[l], max, derive, cache, fn); err != nil {
			return fmt.Errorf("reading layer %d: %w", l, err)
		}
	}
	return nil
}

// readDerived hands fn the value of each stored path of one layer: from
// cache when it has one, else derived from the content the layer stream
// holds (kept in cache afterwards).
func readDerived(ctx context.Context, l v1.Layer, stored map[string][]string, max int64, derive func([]byte) []byte, cache DerivedValues, fn func(paths []string, value []byte)) error {
	var kept map[string][]byte
	diffID := ""
	if cache != nil {
		if h, err := l.DiffID(); err == nil {
			diffID = h.String()
			kept = cache.Load(diffID)
		}
	}
	missing := map[string]bool{}
	for at, paths := range stored {
		if v, ok := kept[at]; ok {
			fn(paths, v)
		} else {
			missing[at] = true
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var added map[string][]byte // only when kept: contents are not held otherwise
	if diffID != "" {
		added = map[string][]byte{}
	}
	err := ReadLayerFiles(ctx, l, missing, max, func(at string, b []byte) {
		v := derive(b)
		if added != nil {
			added[at] = v
		}
		fn(stored[at], v)
	})
	if err != nil {
		return err
	}
	if len(added) > 0 {
		maps.Copy(added, kept)
		cache.Store(diffID, added)
	}
	return nil
}
