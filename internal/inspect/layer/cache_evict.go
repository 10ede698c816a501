package layer

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// TouchEntry marks a cache entry as used now: an entry's modification time
// is its last use, which TrimCache evicts by.
func TouchEntry(p string) {
	now := time.Now()
	_ = os.Chtimes(p, now, now)
}

type cacheFile struct {
	path string
	size int64
	used time.Time
}

// TrimCache removes the least recently used entries below root until
// they take at most max bytes, and temporary files an interrupted run
// left behind an hour ago or more. Only slimpy's own entries (*.layer,
// *.report, *.values in layers-v*/, images-v*/ and derived-v*/) are ever
// removed; errors only leave the cache larger.
func TrimCache(root string, max int64) {
	if root == "" || max < 0 {
		return
	}
	var files []cacheFile
	var total int64
	stale := time.Now().Add(-time.Hour)
	for _, pattern := range []string{"layers-v*", "images-v*", "derived-v*"} {
		dirs, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, dir := range dirs {
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || !d.Type().IsRegular() {
					return nil
				}
				fi, err := d.Info()
				if err != nil {
					return nil
				}
				name := d.Name()
				switch {
				case strings.HasPrefix(name, ".tmp-"):
					if fi.ModTime().Before(stale) {
						os.Remove(p)
					}
				case strings.HasSuffix(name, ".layer") || strings.HasSuffix(name, ".report") || strings.HasSuffix(name, ".values"):
					files = append(files, cacheFile{path: p, size: fi.Size(), used: fi.ModTime()})
					total += fi.Size()
				}
				return nil
			})
		}
	}
	if total <= max {
		return
	}
	slices.SortFunc(files, func(a, b cacheFile) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= max {
			return
		}
		if os.Remove(f.path) == nil {
			total -= f.size
		}
	}
}
