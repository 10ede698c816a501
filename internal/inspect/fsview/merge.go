package fsview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// LayerChange is what one layer did to the merged file system. Files are
// regular files (hardlinks included); bytes are their content bytes.
type LayerChange struct {
	AddedBytes    int64 `json:"addedBytes"`
	AddedFiles    int   `json:"addedFiles"`
	ModifiedBytes int64 `json:"modifiedBytes"`
	ModifiedFiles int   `json:"modifiedFiles"`
	// RemovedBytes and RemovedFiles are the visible regular files the
	// layer's whiteouts and opaque markers removed, each inode once, when
	// its last visible path went.
	RemovedBytes int64 `json:"removedBytes"`
	RemovedFiles int   `json:"removedFiles"`
	// WastedBytes are the stored bytes (of this or any lower layer) that
	// this layer made invisible.
	WastedBytes int64 `json:"wastedBytes"`
	WastedFiles int   `json:"wastedFiles"`
}

// Merger applies layers in order to the merged tree: Merge's steps, for a
// caller that merges each layer as soon as it is read (Analyze).
type Merger struct {
	fs      *FileSystem
	changes []LayerChange
	layer   int
	// existed holds the paths where the current layer wrote a regular file
	// over a regular file of a lower layer (its modifications). A path
	// written again in the same layer keeps what its first write found.
	existed map[string]bool
	// files are the regular-file nodes the current layer attached; the
	// ones still attached at the end are its added and modified files.
	files []*Node
	// lastDir caches the directory node of the previous entry: tar
	// streams list a directory's entries together.
	lastDir     string
	lastDirNode *Node
	// nodes and inodes are allocated in slabs: one allocation per 128
	// instead of one each (small slabs, so that the slots of a subtree a
	// later layer replaced are mostly freed with it).
	nodeSlab  []Node
	inodeSlab []inode
	stack     []*Node // scratch for detach
}

const slabSize = 128

func (m *Merger) newNode() *Node {
	if len(m.nodeSlab) == 0 {
		m.nodeSlab = make([]Node, slabSize)
	}
	n := &m.nodeSlab[0]
	m.nodeSlab = m.nodeSlab[1:]
	return n
}

func (m *Merger) newInode() *inode {
	if len(m.inodeSlab) == 0 {
		m.inodeSlab = make([]inode, slabSize)
	}
	n := &m.inodeSlab[0]
	m.inodeSlab = m.inodeSlab[1:]
	return n
}

// Merge applies the layers bottom to top, as an overlay file system would,
// and accounts for every stored byte.
func Merge(layers []*layer.Data) (*FileSystem, []LayerChange, error) {
	m := NewMerger(len(layers))
	for i, ld := range layers {
		if err := m.Apply(i, ld); err != nil {
			return nil, nil, err
		}
	}
	fs, changes := m.Finish()
	return fs, changes, nil
}

// NewMerger starts the merge of an image of that many layers.
func NewMerger(layers int) *Merger {
	return &Merger{
		fs:      &FileSystem{root: &Node{Entry: layer.Entry{Path: "/", Kind: layer.KindDir, Mode: 0o755}, Layer: -1}},
		changes: make([]LayerChange, layers),
		existed: map[string]bool{},
	}
}

// Finish freezes the tree (each directory's children are sorted once, so
// that Walk and Children need no sorting afterwards) and returns it with
// what each layer changed.
func (m *Merger) Finish() (*FileSystem, []LayerChange) {
	stack := []*Node{m.fs.root}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n.freeze()
		if n.kids != nil {
			for _, c := range n.kids.list {
				if c.Kind == layer.KindDir {
					stack = append(stack, c)
				}
			}
		}
	}
	// Drop the growth slack of the lists the analysis keeps.
	if c := cap(m.fs.Hidden); c > len(m.fs.Hidden)+len(m.fs.Hidden)/8 {
		m.fs.Hidden = append([]Copy(nil), m.fs.Hidden...)
	}
	if c := cap(m.fs.MetadataCopies); c > len(m.fs.MetadataCopies)+len(m.fs.MetadataCopies)/8 {
		m.fs.MetadataCopies = append([]MetadataCopy(nil), m.fs.MetadataCopies...)
	}
	return m.fs, m.changes
}

// Apply merges layer i, the next one, over the layers below.
func (m *Merger) Apply(i int, ld *layer.Data) error {
	if ld == nil {
		return fmt.Errorf("layer %d: no layer data", i)
	}
	m.fs.contents = append(m.fs.contents, ld.Contents)
	m.layer = i
	clear(m.existed)
	m.files = m.files[:0]
	m.lastDirNode = nil
	hiddenFrom := len(m.fs.Hidden)
	// Whiteouts and opaque markers act on the layers below only, so they go
	// first: entries of this same layer are never hidden by them.
	for _, p := range ld.Whiteouts {
		if n := m.fs.Lookup(p); n != nil && n != m.fs.root {
			m.detach(n, Deleted)
		}
	}
	for _, d := range ld.Opaques {
		n := m.fs.Lookup(d)
		if n == nil || n.Kind != layer.KindDir {
			continue // a new directory: the marker hides nothing
		}
		for _, c := range n.sortChildren() {
			m.detach(c, Opaque)
		}
	}
	for _, e := range ld.Entries {
		if !ld.Checked() {
			if err := checkEntry(e); err != nil {
				return fmt.Errorf("layer %d: %w", i, err)
			}
		}
		if err := m.write(e); err != nil {
			return fmt.Errorf("layer %d: %w", i, err)
		}
	}
	c := &m.changes[i]
	var counted map[*inode]bool // hardlinks of one file count once
	for _, n := range m.files {
		if n.detached() {
			continue
		}
		if n.ino.refs > 1 {
			if counted == nil {
				counted = map[*inode]bool{}
			}
			if counted[n.ino] {
				continue
			}
			counted[n.ino] = true
		}
		if m.existed[n.Path] {
			c.ModifiedBytes += n.Size
			c.ModifiedFiles++
		} else {
			c.AddedBytes += n.Size
			c.AddedFiles++
		}
	}
	// The copies one layer hides are listed by path, so that the report
	// does not depend on map order.
	hidden := m.fs.Hidden[hiddenFrom:]
	slices.SortFunc(hidden, func(x, y Copy) int {
		if c := strings.Compare(x.Path, y.Path); c != 0 {
			return c
		}
		if c := cmp.Compare(x.Layer, y.Layer); c != 0 {
			return c
		}
		// A file stored twice in one layer: a total order all the same.
		return cmp.Or(cmp.Compare(x.Size, y.Size), cmp.Compare(x.Reason, y.Reason), cmp.Compare(x.Hash, y.Hash))
	})
	return nil
}

// checkEntry refuses what no walker produces: Merge also takes layer data
// from the cache or from callers, and a damaged entry must be an error,
// not a corrupt tree.
func checkEntry(e layer.Entry) error {
	if len(e.Path) > layer.MaxPathLen {
		return fmt.Errorf("entry path of %d bytes is longer than the %d-byte limit", len(e.Path), layer.MaxPathLen)
	}
	if e.Path == "/" || !isCleanAbs(e.Path) {
		return fmt.Errorf("entry path %q is not an absolute clean path below /", e.Path)
	}
	if e.Kind > layer.KindFifo {
		return fmt.Errorf("entry %q has an unknown kind %d", e.Path, e.Kind)
	}
	if e.Size < 0 || (e.Size != 0 && e.Kind != layer.KindFile) {
		return fmt.Errorf("entry %q: a %s of %d bytes", e.Path, e.Kind, e.Size)
	}
	return nil
}

// isCleanAbs reports whether p is absolute and path.Clean would not change
// it: no empty, "." or ".." element and no trailing slash (but "/").
func isCleanAbs(p string) bool {
	if len(p) == 0 || p[0] != '/' {
		return false
	}
	if len(p) == 1 {
		return true
	}
	for rest := p[1:]; ; {
		i := strings.IndexByte(rest, '/')
		elem := rest
		if i >= 0 {
			elem = rest[:i]
		}
		if len(elem) <= 2 && (elem == "" || elem == "." || elem == "..") {
			return false
		}
		if i < 0 {
			return true
		}
		rest = rest[i+1:]
	}
}

// write puts one entry into the tree.
func (m *Merger) write(e layer.Entry) error {
	dir, name := layer.SplitAbs(e.Path)
	parent := m.lastDirNode
	if parent == nil || dir != m.lastDir || parent.detached() {
		parent = m.ensureDir(dir)
		m.lastDir, m.lastDirNode = dir, parent
	}
	old := parent.children[name]

	var ino *inode
	link := e.Kind == layer.KindHardlink
	switch e.Kind {
	case layer.KindHardlink:
		target := m.fs.Lookup(e.Link)
		if target == nil {
			return fmt.Errorf("hardlink %q points to %q, which is not in this or a lower layer", e.Path, e.Link)
		}
		if target.Kind == layer.KindDir {
			return fmt.Errorf("hardlink %q points to %q, a directory", e.Path, e.Link)
		}
		if target == old {
			return nil // a link to itself changes nothing
		}
		if target.Kind != layer.KindFile {
			// moby and containerd write a hardlink entry for any
			// non-directory with more than one name: a symlink or a
			// device with two names. It stores no bytes and has none.
			e.Kind, e.Link, e.Size = target.Kind, target.Link, 0
			link = false
			break
		}
		ino = target.ino
		e.Kind, e.Size, e.Hash = layer.KindFile, target.Size, target.Hash
	case layer.KindFile:
		ino = m.newInode()
		*ino = inode{size: e.Size, hash: e.Hash, layer: m.layer, path: e.Path}
	}

	if e.Kind == layer.KindFile && old != nil && old.Kind == layer.KindFile && old.Layer != m.layer {
		// Only the first write of a path in a layer can find a lower
		// layer's file there: later ones find this layer's.
		m.existed[e.Path] = true
	}
	if old == nil {
		n := m.attach(parent, e, ino, name)
		if e.Kind == layer.KindFile {
			m.files = append(m.files, n)
		}
		return nil
	}
	if old.Kind == layer.KindDir && e.Kind == layer.KindDir {
		// A directory entry over a directory changes only its metadata.
		old.Mode, old.UID, old.GID, old.Layer = e.Mode, e.UID, e.GID, m.layer
		return nil
	}
	// A hardlink entry stores no bytes: it reaches a copy this layer or a
	// lower one stored (and that copy, if this layer rewrote it, is the
	// metadata-only copy), so it is never one itself.
	if e.Kind == layer.KindFile && !link && old.Kind == layer.KindFile && e.Size > 0 &&
		old.Size == e.Size && old.Hash == e.Hash && old.ino != ino && old.Layer != m.layer {
		m.fs.MetadataCopies = append(m.fs.MetadataCopies, MetadataCopy{
			Path: e.Path, Layer: m.layer, PrevLayer: old.Layer, Size: e.Size,
			ModeChanged:  old.Mode != e.Mode,
			OwnerChanged: old.UID != e.UID || old.GID != e.GID,
		})
	}
	// A hardlink may replace a directory that holds its own target
	// ("a/b" linked to "a/b/c"): hold the inode while the old tree goes,
	// or its content would be counted hidden and visible at once.
	if ino != nil {
		ino.refs++
	}
	hidden := m.detach(old, Overwritten)
	n := m.attach(parent, e, ino, name)
	if ino != nil {
		ino.refs--
	}
	n.Hidden = hidden
	if e.Kind == layer.KindFile {
		m.files = append(m.files, n)
	}
	return nil
}

func (m *Merger) attach(parent *Node, e layer.Entry, ino *inode, name string) *Node {
	n := m.newNode()
	*n = Node{Entry: e, Layer: m.layer, ino: ino, parent: parent}
	if ino != nil {
		ino.refs++
	}
	if parent.children == nil {
		parent.children = map[string]*Node{}
		parent.kids = &childList{}
	}
	parent.children[name] = n
	parent.kids.list = append(parent.kids.list, n)
	return n
}

// ensureDir returns the directory node at p, creating missing parents the
// way an overlay does: a directory written over a lower non-directory hides it.
//
// p must be absolute and clean. The paths of the directories it creates are
// substrings of p: a deep path costs its own bytes once, not once per level.
func (m *Merger) ensureDir(p string) *Node {
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
		if c == nil || c.Kind != layer.KindDir {
			if c != nil {
				m.detach(c, Overwritten)
			}
			c = m.attach(n, layer.Entry{Path: p[:end], Kind: layer.KindDir, Mode: 0o755}, nil, part)
		}
		n = c
		start = end + 1
	}
	return n
}

// detach removes n and everything below it from the tree, and returns the
// stored copies that became invisible at n's own path; copies below n are
// recorded in fs.Hidden only. It walks the subtree with an explicit stack:
// a hostile layer may nest directories tens of thousands deep.
func (m *Merger) detach(n *Node, why HideReason) []Copy {
	var own []Copy
	if n.parent != nil {
		_, name := layer.SplitAbs(n.Path)
		delete(n.parent.children, name)
	}
	ch := &m.changes[m.layer]
	stack := append(m.stack[:0], n)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range x.children {
			stack = append(stack, c)
		}
		x.parent = nil // detached: see Node.detached
		if x.ino != nil {
			x.ino.refs--
			// Whiteouts and opaque markers remove a file (each inode
			// once) when its last visible path goes: hardlinks of it
			// that stay visible keep it in the image.
			if x.ino.refs == 0 && why != Overwritten {
				ch.RemovedBytes += x.ino.size
				ch.RemovedFiles++
			}
			// An empty file hides no bytes: it is not waste.
			if x.ino.refs == 0 && x.ino.size > 0 {
				cp := Copy{Path: x.ino.path, Layer: x.ino.layer, Size: x.ino.size, Hash: x.ino.hash, HiddenBy: m.layer, Reason: why}
				m.fs.Hidden = append(m.fs.Hidden, cp)
				ch.WastedBytes += cp.Size
				ch.WastedFiles++
				if x == n {
					own = append(own, cp)
				}
			}
		}
	}
	m.stack = stack[:0]
	// Copies this path already hid stay hidden; keep them on record.
	if len(n.Hidden) == 0 {
		return own
	}
	return append(own, n.Hidden...)
}
