package fsview

import (
	"fmt"

	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// Verify checks the merged tree of the layers against the accounting of
// docs/accounting.md: parent links and names agree with paths, every
// regular file has an inode whose reference count is the number of
// visible paths that reach it, and Σ stored − visible = Σ hidden copies =
// Σ per-layer wasted. For tests of the merge and of whole analyses.
func Verify(lds []*layer.Data, fs *FileSystem, changes []LayerChange) error {
	var stored, visible, hidden, wasted int64
	for _, ld := range lds {
		stored += ld.StoredBytes
	}
	refs := map[*inode]int{}
	var err error
	fail := func(format string, args ...any) { err = fmt.Errorf(format, args...) }
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		if depth > 10000 {
			fail("tree deeper than any input")
			return
		}
		for name, c := range n.children {
			if err != nil {
				return
			}
			if c.parent != n {
				fail("%s: parent pointer is wrong", c.Path)
				return
			}
			if c.Name() != name || c.Path != joinPath(n.Path, name) {
				fail("node %q stored under %q in %q", c.Path, name, n.Path)
				return
			}
			switch c.Kind {
			case layer.KindFile:
				if c.ino == nil {
					fail("%s: a file without an inode", c.Path)
					return
				}
				if refs[c.ino] == 0 {
					visible += c.ino.size
				}
				refs[c.ino]++
				if c.Size != c.ino.size || c.Hash != c.ino.hash {
					fail("%s: node and inode disagree", c.Path)
					return
				}
			case layer.KindHardlink:
				fail("%s: a hardlink node in the merged tree", c.Path)
				return
			default:
				if c.ino != nil {
					fail("%s: a %s with an inode", c.Path, c.Kind)
					return
				}
			}
			if c.Kind != layer.KindDir && len(c.children) > 0 {
				fail("%s: a %s with children", c.Path, c.Kind)
				return
			}
			walk(c, depth+1)
		}
	}
	walk(fs.root, 0)
	if err != nil {
		return err
	}
	for ino, n := range refs {
		if ino.refs != n {
			return fmt.Errorf("inode of %s has refs %d, %d paths reach it", ino.path, ino.refs, n)
		}
	}
	for _, c := range fs.Hidden {
		if c.Size <= 0 {
			return fmt.Errorf("hidden copy %+v has no bytes", c)
		}
		hidden += c.Size
	}
	for _, ch := range changes {
		wasted += ch.WastedBytes
	}
	if stored-visible != hidden || hidden != wasted {
		return fmt.Errorf("stored %d − visible %d = %d, hidden copies %d, Σ layer wasted %d", stored, visible, stored-visible, hidden, wasted)
	}
	return nil
}

func joinPath(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}
