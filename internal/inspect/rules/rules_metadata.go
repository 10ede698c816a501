package rules

import "github.com/slimpy/slimpy/internal/inspect/fsview"

// What SP502 (layer waste) and SP503 (metadata rewrites) share: a
// metadata-only rewrite's hidden copy is SP503's, not SP502's.

type metaKey struct {
	layer int
	path  string
}

// metadataCopyKeys names the hidden copies a metadata-only rewrite caused:
// the rewriting layer and the path.
func metadataCopyKeys(fs *fsview.FileSystem) map[metaKey]bool {
	out := map[metaKey]bool{}
	for _, m := range fs.MetadataCopies {
		out[metaKey{m.Layer, m.Path}] = true
	}
	return out
}
