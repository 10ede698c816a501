package inspect

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"path/filepath"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
	"github.com/slimpy/slimpy/internal/safefile"
)

// engineConfigs keeps the configs of the engine's images in the cache
// directory (Source.UseCache), one file per image ID.
type engineConfigs struct{ dir string }

// engineConfigCache is the config cache under the cache root dir; nil when
// there is no cache.
func engineConfigCache(dir string) source.ConfigCache {
	if dir == "" {
		return nil
	}
	return engineConfigs{dir: dir}
}

func (c engineConfigs) path(imageID string) string {
	sum := sha256.Sum256([]byte(imageID))
	name := hex.EncodeToString(sum[:])
	return filepath.Join(c.dir, "engine-configs-v1", name[:2], name+".json")
}

func (c engineConfigs) Config(imageID string, limit int64) []byte {
	raw, err := safefile.ReadRegular(c.path(imageID), limit)
	if err != nil {
		return nil
	}
	return raw
}

func (c engineConfigs) KeepConfig(imageID string, raw []byte) {
	_ = layer.WriteCacheFile(c.path(imageID), func(w io.Writer) error { _, err := w.Write(raw); return err })
}
