package inspect

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// cacheFormat changes whenever LayerData's meaning or encoding changes.
const cacheFormat = 1

// layerCache stores LayerData by diffID: the digest of the uncompressed
// content, which every source knows without re-compressing anything.
type layerCache struct {
	dir string // "" disables the cache
}

// DefaultCacheDir is where layer analyses are kept between runs.
func DefaultCacheDir() string {
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "slimpy")
}

func newLayerCache(root string) layerCache {
	if root == "" {
		return layerCache{}
	}
	return layerCache{dir: filepath.Join(root, fmt.Sprintf("layers-v%d.%d", cacheFormat, captureVersion))}
}

func (c layerCache) path(diffID string) string {
	algo, hex, ok := strings.Cut(diffID, ":")
	if !ok || c.dir == "" || strings.ContainsAny(hex, `/\.`) {
		return ""
	}
	return filepath.Join(c.dir, algo, hex+".gob")
}

// get returns the cached data of a layer, or nil on a miss. A damaged entry
// is a miss: the layer is read again and the entry rewritten.
func (c layerCache) get(diffID string) *LayerData {
	p := c.path(diffID)
	if p == "" {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil
	}
	defer f.Close()
	var ld LayerData
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&ld); err != nil || ld.DiffID != diffID {
		return nil
	}
	if ld.Contents == nil {
		ld.Contents = map[string][]byte{}
	}
	return &ld
}

// put writes the entry atomically (temp file + rename), so a concurrent or
// interrupted run never sees half an entry. Failing to cache is not fatal.
func (c layerCache) put(ld *LayerData) error {
	p := c.path(ld.DiffID)
	if p == "" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := gob.NewEncoder(w).Encode(ld); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}
