package fsview

import (
	"fmt"
	"iter"
	"path"
	"slices"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
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

// UnmarshalText reads the word back, so a saved report (a CI baseline)
// decodes into the same Report.
func (r *HideReason) UnmarshalText(b []byte) error {
	for i, name := range hideReasonNames {
		if string(b) == name {
			*r = HideReason(i)
			return nil
		}
	}
	return fmt.Errorf("unknown hide reason %q (want overwritten, deleted or opaque)", b)
}

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
	layer.Entry        // Kind is never layer.KindHardlink: hardlinks are files sharing an inode
	Layer       int    // the layer that wrote the visible copy
	Hidden      []Copy // lower copies of this very path that it hides

	ino      *inode
	parent   *Node // nil for the root and for nodes the merge removed
	children map[string]*Node
	kids     *childList // the children in attach order, then sorted by name
}

// childList keeps a directory's children in the order the merge attached
// them (tar order, usually sorted already); finish drops the detached ones
// and sorts it once.
type childList struct {
	list   []*Node
	sorted bool
}

// detached reports whether the merge removed n from the tree.
func (n *Node) detached() bool { return n.parent == nil && n.Layer != -1 }

// Name is the last element of the node's path.
func (n *Node) Name() string {
	// Node paths are clean: the last element is after the last "/"
	// (path.Base does the same with more steps, on every node of a walk).
	if i := strings.LastIndexByte(n.Path, '/'); i >= 0 && i < len(n.Path)-1 {
		return n.Path[i+1:]
	}
	return path.Base(n.Path)
}

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

// Parent is the directory that holds the node; nil for the root.
func (n *Node) Parent() *Node { return n.parent }

// Child is the child named name, or nil.
func (n *Node) Child(name string) *Node { return n.children[name] }

// ChildNodes yields the node's children in name order, without a copy.
func (n *Node) ChildNodes() iter.Seq[*Node] {
	return func(yield func(*Node) bool) {
		for _, c := range n.sortedChildren() {
			if !yield(c) {
				return
			}
		}
	}
}

// StoredLayer is the layer that stored a regular file's content (for a
// hardlink, the layer of the content it reaches); -1 for anything else.
func (n *Node) StoredLayer() int {
	if n.ino == nil {
		return -1
	}
	return n.ino.layer
}

// Links is how many visible paths reach a regular file's content (1 for a
// file without hardlinks); 0 for anything else.
func (n *Node) Links() int {
	if n.ino == nil {
		return 0
	}
	return n.ino.refs
}

// Children returns the node's children sorted by name. The slice is the
// caller's to keep or change.
func (n *Node) Children() []*Node {
	if n.kids != nil && n.kids.sorted {
		return append([]*Node(nil), n.kids.list...)
	}
	return n.sortChildren()
}

// sortedChildren is Children without the copy, for read-only use.
func (n *Node) sortedChildren() []*Node {
	if n.kids != nil && n.kids.sorted {
		return n.kids.list
	}
	return n.sortChildren()
}

// sortChildren returns the children from the map, sorted.
func (n *Node) sortChildren() []*Node {
	if len(n.children) == 0 {
		return nil
	}
	out := make([]*Node, 0, len(n.children))
	for _, c := range n.children {
		out = append(out, c)
	}
	n.sortNodes(out)
	return out
}

// sortNodes sorts children of n by name. They share n's path as a prefix,
// so only the names are compared.
func (n *Node) sortNodes(out []*Node) {
	skip := len(n.Path) + 1
	if n.Path == "/" {
		skip = 1
	}
	cmp := func(a, b *Node) int { return strings.Compare(a.Path[skip:], b.Path[skip:]) }
	if !slices.IsSortedFunc(out, cmp) {
		slices.SortFunc(out, cmp)
	}
}

// freeze drops the detached children from the attach-order list and sorts it.
func (n *Node) freeze() {
	if len(n.children) == 0 {
		n.kids = nil
		return
	}
	if n.kids == nil || len(n.kids.list) > 2*len(n.children) {
		n.kids = &childList{list: n.sortChildren(), sorted: true}
		return
	}
	live := n.kids.list[:0]
	for _, c := range n.kids.list {
		if c.parent == n {
			live = append(live, c)
		}
	}
	clear(n.kids.list[len(live):])
	if cap(live) > len(live)+len(live)/4+4 {
		live = append([]*Node(nil), live...)
	}
	n.sortNodes(live)
	n.kids.list, n.kids.sorted = live, true
}

// FileSystem is the merged view a container sees, plus every stored copy it
// does not see.
type FileSystem struct {
	root *Node
	// Hidden lists every stored copy that is not visible, in the order the
	// layers hid them.
	Hidden         []Copy
	MetadataCopies []MetadataCopy
	contents       []map[string][]byte // per layer, from layer.Data
}

// Root is the "/" directory.
func (fs *FileSystem) Root() *Node { return fs.root }

// Lookup returns the visible node at the absolute path p, or nil. Empty
// and "." elements are skipped; symlinks are not followed.
func (fs *FileSystem) Lookup(p string) *Node {
	n := fs.root
	for len(p) > 0 {
		var part string
		if i := strings.IndexByte(p, '/'); i >= 0 {
			part, p = p[:i], p[i+1:]
		} else {
			part, p = p, ""
		}
		if part == "" || part == "." {
			continue
		}
		if n = n.children[part]; n == nil {
			return nil
		}
	}
	return n
}

// Content returns the captured bytes of the visible copy at p; only the
// files the inventories and the rules declare are captured (see Reads).
func (fs *FileSystem) Content(p string) ([]byte, bool) {
	n := fs.Lookup(p)
	if n == nil || n.Kind != layer.KindFile || n.ino == nil {
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
// children. It keeps its own stack, so any depth is fine.
func (fs *FileSystem) Walk(fn func(n *Node) bool) {
	stack := [][]*Node{fs.root.sortedChildren()}
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if len(*top) == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		c := (*top)[0]
		*top = (*top)[1:]
		if fn(c) && len(c.children) > 0 {
			stack = append(stack, c.sortedChildren())
		}
	}
}

// EachContent calls fn with one path of each visible regular file's
// content: the first in walk order that reaches it. An inode only one
// visible path reaches (nearly all) needs no "seen" set: only hardlinked
// ones go through the map.
func (fs *FileSystem) EachContent(fn func(n *Node)) {
	seen := map[*inode]bool{}
	fs.Walk(func(n *Node) bool {
		if n.Kind != layer.KindFile || n.ino == nil {
			return true
		}
		if n.ino.refs > 1 {
			if seen[n.ino] {
				return true
			}
			seen[n.ino] = true
		}
		fn(n)
		return true
	})
}

// UnderDir reports whether the clean absolute path p is d or below it.
func UnderDir(p, d string) bool {
	if d == "/" {
		return true
	}
	return p == d || strings.HasPrefix(p, d+"/")
}

// SplitPath splits a slash-separated path into its elements, without the
// empty ones at its ends: nil for "/" and "".
func SplitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}
