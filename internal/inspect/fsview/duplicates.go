package fsview

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

// DuplicateGroup is one content present at several visible paths (hardlinks
// of one file count as one path).
type DuplicateGroup struct {
	Size        int64    `json:"size"` // of one copy
	Hash        string   `json:"xxh3"`
	Paths       []string `json:"paths"`
	WastedBytes int64    `json:"wastedBytes"` // size × (copies − 1)
}

// VisibleContents walks the tree once for the visible regular-file bytes
// and files (each content once: hardlinks share one) and the groups of
// identical content (size and xxh3) at different paths whose single copy
// has at least minSize bytes (none when minSize < 0), most wasted first.
func (fs *FileSystem) VisibleContents(minSize int64) (bytes int64, files int, groups []DuplicateGroup) {
	// Files of a size worth grouping, sorted by content below: equal
	// contents are then neighbours (a map of 200k slices cost more).
	type file struct {
		size int64
		hash uint64
		n    *Node
	}
	var sized []file
	fs.EachContent(func(n *Node) {
		bytes += n.Size
		files++
		if minSize >= 0 && n.Size > 0 && n.Size >= minSize {
			sized = append(sized, file{n.Size, n.Hash, n})
		}
	})
	if minSize < 0 {
		return bytes, files, nil
	}
	slices.SortFunc(sized, func(x, y file) int {
		if c := cmp.Compare(x.size, y.size); c != 0 {
			return c
		}
		return cmp.Compare(x.hash, y.hash)
	})
	for i := 0; i < len(sized); {
		j := i + 1
		for j < len(sized) && sized[j].size == sized[i].size && sized[j].hash == sized[i].hash {
			j++
		}
		if j-i >= 2 {
			k := sized[i]
			g := DuplicateGroup{Size: k.size, Hash: fmt.Sprintf("%016x", k.hash), WastedBytes: k.size * int64(j-i-1)}
			for _, f := range sized[i:j] {
				g.Paths = append(g.Paths, f.n.Path)
			}
			sort.Strings(g.Paths)
			groups = append(groups, g)
		}
		i = j
	}
	sort.Slice(groups, func(i, j int) bool {
		if groups[i].WastedBytes != groups[j].WastedBytes {
			return groups[i].WastedBytes > groups[j].WastedBytes
		}
		return groups[i].Paths[0] < groups[j].Paths[0]
	})
	return bytes, files, groups
}
