package inspect

import (
	"path"
	"sort"
	"strings"
)

// HideReason says how a stored copy became invisible.
type HideReason uint8

const (
	// Overwritten: a later entry at the same path (or a non-directory
	// written over one of its parent directories) replaced it.
	Overwritten HideReason = iota
	// Deleted: a whiteout (.wh.NAME) removed it or one of its parents.
	Deleted
	// Opaque: an opaque marker (.wh..wh..opq) hid the directory's lower contents.
	Opaque
)

var hideReasonNames = [...]string{"overwritten", "deleted", "opaque"}

func (r HideReason) String() string { return hideReasonNames[r] }

// MarshalText makes the reason read as a word in JSON.
func (r HideReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// Copy is a regular file's content that a layer stored and that the final
// file system cannot see: it is the unit of waste.
type Copy struct {
	Path     string     `json:"path"`
	Layer    int        `json:"layer"` // the layer that stored it
	Size     int64      `json:"size"`
	Hash     uint64     `json:"-"`
	HiddenBy int        `json:"hiddenBy"` // the layer that hid it
	Reason   HideReason `json:"reason"`
}

// MetadataCopy records a layer that stored a file again with the content it
// already had: the whole size is paid twice for a chown, chmod or touch.
type MetadataCopy struct {
	Path         string `json:"path"`
	Layer        int    `json:"layer"`     // the layer that rewrote it
	PrevLayer    int    `json:"prevLayer"` // the layer whose copy it repeats
	Size         int64  `json:"size"`
	ModeChanged  bool   `json:"modeChanged"`
	OwnerChanged bool   `json:"ownerChanged"`
}

// inode is one stored regular-file content; hardlinks share it.
type inode struct {
	size  int64
	hash  uint64
	layer int
	path  string // where it was stored
	refs  int    // visible paths that reach it
}

// Node is one path of the merged file system.
type Node struct {
	Entry         // Kind is never KindHardlink: hardlinks are files sharing an inode
	Layer  int    // the layer that wrote the visible copy
	Hidden []Copy // lower copies of this very path that it hides

	ino      *inode
	parent   *Node
	children map[string]*Node
}

// Name is the last element of the node's path.
func (n *Node) Name() string { return path.Base(n.Path) }

// InodeKey identifies the stored content a regular file reaches; two paths
// with the same key are hardlinks of one file and count once.
func (n *Node) InodeKey() (layer int, storedAt string) {
	if n.ino == nil {
		return -1, ""
	}
	return n.ino.layer, n.ino.path
}

// IsHardlink reports whether this path reaches content stored at another path.
func (n *Node) IsHardlink() bool { return n.ino != nil && n.ino.path != n.Path }

// Children returns the node's children sorted by name.
func (n *Node) Children() []*Node {
	out := make([]*Node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// FileSystem is the merged view a container sees, plus every stored copy it
// does not see.
type FileSystem struct {
	root *Node
	// Hidden lists every stored copy that is not visible, in the order the
	// layers hid them.
	Hidden         []Copy
	MetadataCopies []MetadataCopy
	contents       []map[string][]byte // per layer, from LayerData
}

// Root is the "/" directory.
func (fs *FileSystem) Root() *Node { return fs.root }

// Lookup returns the visible node at the absolute path p, or nil.
func (fs *FileSystem) Lookup(p string) *Node {
	n := fs.root
	for _, part := range splitPath(p) {
		if n.children == nil {
			return nil
		}
		n = n.children[part]
		if n == nil {
			return nil
		}
	}
	return n
}

// Content returns the captured bytes of the visible copy at p; only the
// files the inventories ask for are captured (see wantContent).
func (fs *FileSystem) Content(p string) ([]byte, bool) {
	n := fs.Lookup(p)
	if n == nil || n.Kind != KindFile || n.ino == nil {
		return nil, false
	}
	if n.ino.layer < 0 || n.ino.layer >= len(fs.contents) {
		return nil, false
	}
	b, ok := fs.contents[n.ino.layer][n.ino.path]
	return b, ok
}

// Walk calls fn for every visible node below the root, parents before
// children, siblings in name order. Returning false from fn skips the node's
// children.
func (fs *FileSystem) Walk(fn func(n *Node) bool) {
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, c := range n.Children() {
			if fn(c) && len(c.children) > 0 {
				walk(c)
			}
		}
	}
	walk(fs.root)
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
