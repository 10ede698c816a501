package inspect

import (
	"fmt"
	"path"
	"strings"
)

// LayerChange is what one layer did to the merged file system. Files are
// regular files (hardlinks included); bytes are their content bytes.
type LayerChange struct {
	AddedBytes    int64 `json:"addedBytes"`
	AddedFiles    int   `json:"addedFiles"`
	ModifiedBytes int64 `json:"modifiedBytes"`
	ModifiedFiles int   `json:"modifiedFiles"`
	RemovedBytes  int64 `json:"removedBytes"`
	RemovedFiles  int   `json:"removedFiles"`
	// WastedBytes are the stored bytes (of this or any lower layer) that
	// this layer made invisible.
	WastedBytes int64 `json:"wastedBytes"`
	WastedFiles int   `json:"wastedFiles"`
}

// merger applies layers in order to the merged tree.
type merger struct {
	fs      *FileSystem
	changes []LayerChange
	layer   int
	// wrote records, for the current layer, whether each regular file it
	// wrote existed (visibly) before the layer.
	wrote map[string]bool
}

// Merge applies the layers bottom to top, as an overlay file system would,
// and accounts for every stored byte.
func Merge(layers []*LayerData) (*FileSystem, []LayerChange, error) {
	m := &merger{
		fs:      &FileSystem{root: &Node{Entry: Entry{Path: "/", Kind: KindDir, Mode: 0o755}, Layer: -1}},
		changes: make([]LayerChange, len(layers)),
	}
	for i, ld := range layers {
		m.fs.contents = append(m.fs.contents, ld.Contents)
		if err := m.apply(i, ld); err != nil {
			return nil, nil, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return m.fs, m.changes, nil
}

func (m *merger) apply(i int, ld *LayerData) error {
	m.layer = i
	m.wrote = map[string]bool{}
	// Whiteouts and opaque markers act on the layers below only, so they go
	// first: entries of this same layer are never hidden by them.
	for _, p := range ld.Whiteouts {
		if n := m.fs.Lookup(p); n != nil && n != m.fs.root {
			m.countRemoved(n)
			m.detach(n, Deleted)
		}
	}
	for _, d := range ld.Opaques {
		n := m.fs.Lookup(d)
		if n == nil || n.Kind != KindDir {
			continue // a new directory: the marker hides nothing
		}
		for _, c := range n.Children() {
			m.countRemoved(c)
			m.detach(c, Opaque)
		}
	}
	for _, e := range ld.Entries {
		if err := checkEntry(e); err != nil {
			return err
		}
		if err := m.write(e); err != nil {
			return err
		}
	}
	c := &m.changes[i]
	counted := map[*inode]bool{} // hardlinks of one file count once
	for p, existed := range m.wrote {
		n := m.fs.Lookup(p)
		if n == nil || n.Kind != KindFile || n.Layer != i || counted[n.ino] {
			continue
		}
		counted[n.ino] = true
		if existed {
			c.ModifiedBytes += n.Size
			c.ModifiedFiles++
		} else {
			c.AddedBytes += n.Size
			c.AddedFiles++
		}
	}
	return nil
}

// maxPathLen bounds the length of an entry's path. Linux refuses paths
// longer than PATH_MAX (4096 bytes), so no engine writes a longer one; the
// bound leaves room for hostile or synthetic layers (a 4096-deep path is
// 8 KiB) while keeping the directories one name implies (one per "/")
// bounded.
const maxPathLen = 64 << 10

// checkEntry refuses what no walker produces: Merge also takes layer data
// from the cache or from callers, and a damaged entry must be an error,
// not a corrupt tree.
func checkEntry(e Entry) error {
	if len(e.Path) > maxPathLen {
		return fmt.Errorf("entry path of %d bytes is longer than the %d-byte limit", len(e.Path), maxPathLen)
	}
	if e.Path == "/" || !isCleanAbs(e.Path) {
		return fmt.Errorf("entry path %q is not an absolute clean path below /", e.Path)
	}
	if e.Kind > KindFifo {
		return fmt.Errorf("entry %q has an unknown kind %d", e.Path, e.Kind)
	}
	if e.Size < 0 || (e.Size != 0 && e.Kind != KindFile) {
		return fmt.Errorf("entry %q: a %s of %d bytes", e.Path, e.Kind, e.Size)
	}
	return nil
}

// isCleanAbs reports whether p is absolute and path.Clean would not change it.
func isCleanAbs(p string) bool {
	return len(p) > 0 && p[0] == '/' && path.Clean(p) == p
}

// write puts one entry into the tree.
func (m *merger) write(e Entry) error {
	parent := m.ensureDir(path.Dir(e.Path))
	name := path.Base(e.Path)
	old := parent.children[name]

	var ino *inode
	switch e.Kind {
	case KindHardlink:
		target := m.fs.Lookup(e.Link)
		if target == nil || target.Kind != KindFile {
			return fmt.Errorf("hardlink %q points to %q, which is not a regular file in this or a lower layer", e.Path, e.Link)
		}
		if target == old {
			return nil // a link to itself changes nothing
		}
		ino = target.ino
		e.Kind, e.Size, e.Hash = KindFile, target.Size, target.Hash
	case KindFile:
		ino = &inode{size: e.Size, hash: e.Hash, layer: m.layer, path: e.Path}
	}

	if old != nil {
		if old.Kind == KindDir && e.Kind == KindDir {
			// A directory entry over a directory changes only its metadata.
			old.Mode, old.UID, old.GID, old.Layer = e.Mode, e.UID, e.GID, m.layer
			return nil
		}
		if e.Kind == KindFile && old.Kind == KindFile && e.Size > 0 &&
			old.Size == e.Size && old.Hash == e.Hash && old.ino != ino && old.Layer != m.layer {
			m.fs.MetadataCopies = append(m.fs.MetadataCopies, MetadataCopy{
				Path: e.Path, Layer: m.layer, PrevLayer: old.Layer, Size: e.Size,
				ModeChanged:  old.Mode != e.Mode,
				OwnerChanged: old.UID != e.UID || old.GID != e.GID,
			})
		}
		if e.Kind == KindFile {
			if prev, seen := m.wrote[e.Path]; seen {
				m.wrote[e.Path] = prev
			} else {
				m.wrote[e.Path] = old.Kind == KindFile
			}
		}
		// A hardlink may replace a directory that holds its own target
		// ("a/b" linked to "a/b/c"): hold the inode while the old tree goes,
		// or its content would be counted hidden and visible at once.
		if ino != nil {
			ino.refs++
		}
		hidden := m.detach(old, Overwritten)
		n := m.attach(parent, e, ino)
		if ino != nil {
			ino.refs--
		}
		n.Hidden = hidden
		return nil
	}
	if e.Kind == KindFile {
		if _, seen := m.wrote[e.Path]; !seen {
			m.wrote[e.Path] = false
		}
	}
	m.attach(parent, e, ino)
	return nil
}

func (m *merger) attach(parent *Node, e Entry, ino *inode) *Node {
	n := &Node{Entry: e, Layer: m.layer, ino: ino, parent: parent}
	if ino != nil {
		ino.refs++
	}
	if parent.children == nil {
		parent.children = map[string]*Node{}
	}
	parent.children[path.Base(e.Path)] = n
	return n
}

// ensureDir returns the directory node at p, creating missing parents the
// way an overlay does: a directory written over a lower non-directory hides it.
//
// p must be absolute and clean. The paths of the directories it creates are
// substrings of p: a deep path costs its own bytes once, not once per level.
func (m *merger) ensureDir(p string) *Node {
	n := m.fs.root
	for start := 1; start < len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		part := p[start:end]
		c := n.children[part]
		if c == nil || c.Kind != KindDir {
			if c != nil {
				m.detach(c, Overwritten)
			}
			c = m.attach(n, Entry{Path: p[:end], Kind: KindDir, Mode: 0o755}, nil)
		}
		n = c
		start = end + 1
	}
	return n
}

// detach removes n and everything below it from the tree, and returns the
// stored copies that became invisible at n's own path; copies below n are
// recorded in fs.Hidden only.
func (m *merger) detach(n *Node, why HideReason) []Copy {
	var own []Copy
	var drop func(x *Node)
	drop = func(x *Node) {
		for _, c := range x.children {
			drop(c)
		}
		if x.ino != nil {
			x.ino.refs--
			// An empty file hides no bytes: it is not waste.
			if x.ino.refs == 0 && x.ino.size > 0 {
				cp := Copy{Path: x.ino.path, Layer: x.ino.layer, Size: x.ino.size, Hash: x.ino.hash, HiddenBy: m.layer, Reason: why}
				m.fs.Hidden = append(m.fs.Hidden, cp)
				ch := &m.changes[m.layer]
				ch.WastedBytes += cp.Size
				ch.WastedFiles++
				if x == n {
					own = append(own, cp)
				}
			}
		}
		// Copies this path already hid stay hidden; keep them on record.
		if x == n {
			own = append(own, x.Hidden...)
		}
	}
	drop(n)
	if n.parent != nil {
		delete(n.parent.children, path.Base(n.Path))
	}
	return own
}

// countRemoved adds the regular files below and at n to the layer's removals.
func (m *merger) countRemoved(n *Node) {
	c := &m.changes[m.layer]
	var count func(x *Node)
	count = func(x *Node) {
		if x.Kind == KindFile {
			c.RemovedBytes += x.Size
			c.RemovedFiles++
		}
		for _, ch := range x.children {
			count(ch)
		}
	}
	count(n)
}
