package tui

import (
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// TreeNode is one path of the merged file system as the files view shows
// it: the visible entries, plus "ghost" entries for paths that exist only
// as copies hidden by a later layer (deleted files and directories).
type TreeNode struct {
	Name string
	Path string
	Kind layer.Kind
	Link string // symlink target
	// Size is a file's content bytes; for a directory, the bytes of the
	// visible files below it, each hardlinked content once.
	Size int64
	// Files counts the visible regular files at or below the node.
	Files int
	// Layer wrote the visible copy; -1 for the root and for ghosts.
	Layer int
	// Hardlink marks a further name of a content that another path
	// already counts (the first name in path order counts it).
	Hardlink bool
	// Visible is false for a ghost: a path only hidden copies have.
	Visible bool
	// Hidden are the stored copies of this very path that the final file
	// system cannot see (wasted bytes); HiddenBytes sums them at and below
	// the node.
	Hidden      []fsview.Copy
	HiddenBytes int64
	// Rules are the IDs of the findings that name this path.
	Rules []string
	// Mode, UID and GID are the entry's (Attrs is false for a directory
	// no entry listed and for a ghost of the final tree).
	Mode     uint32
	UID, GID int
	Attrs    bool
	// Change is what the layer of a layer's view did at the path (always
	// ChangeNone in the final tree); Before is the entry it replaced.
	Change   fsview.ChangeKind
	Before   *Before
	Parent   *TreeNode
	Children []*TreeNode // sorted by name
}

// Before is the entry a layer replaced at a path, and its layer.
type Before struct {
	Entry layer.Entry
	Layer int
}

// IsDir reports whether the node is a directory.
func (n *TreeNode) IsDir() bool { return n.Kind == layer.KindDir }

// BuildTree copies the merged view of fs into a tree the files view can
// sort and filter, adds the hidden copies (as ghosts where their path is
// gone) and marks the paths the findings name with their rule IDs.
func BuildTree(fs *fsview.FileSystem, findings []rules.Finding) *TreeNode {
	root := &TreeNode{Name: "/", Path: "/", Kind: layer.KindDir, Layer: -1, Visible: true}
	if fs == nil {
		return root
	}
	dirs := map[string]*TreeNode{"/": root}
	type inodeKey struct {
		layer int
		path  string
	}
	counted := map[inodeKey]bool{}
	fs.Walk(func(n *fsview.Node) bool {
		parent := dirs[path.Dir(n.Path)]
		if parent == nil { // cannot happen: Walk visits parents first
			return false
		}
		t := &TreeNode{
			Name: n.Name(), Path: n.Path, Kind: n.Kind, Link: n.Link, Size: n.Size,
			Layer: n.Layer, Visible: true, Parent: parent,
			Mode: n.Mode, UID: n.UID, GID: n.GID, Attrs: n.Layer >= 0,
		}
		if l, p := n.InodeKey(); n.Kind == layer.KindFile && p != "" {
			k := inodeKey{l, p}
			t.Hardlink = counted[k]
			counted[k] = true
		}
		parent.Children = append(parent.Children, t)
		if n.Kind == layer.KindDir {
			dirs[n.Path] = t
		}
		return true
	})
	for _, c := range fs.Hidden {
		t := root.ensure(c.Path)
		t.Hidden = append(t.Hidden, c)
	}
	for _, f := range findings {
		for _, p := range f.Paths {
			if t := root.Find(p); t != nil && !slices.Contains(t.Rules, f.Rule) {
				t.Rules = append(t.Rules, f.Rule)
			}
		}
	}
	root.total()
	return root
}

// Find returns the node at the absolute path p (ghosts included), or nil.
func (n *TreeNode) Find(p string) *TreeNode {
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		if n = n.child(part); n == nil {
			return nil
		}
	}
	return n
}

func (n *TreeNode) child(name string) *TreeNode {
	i := sort.Search(len(n.Children), func(i int) bool { return n.Children[i].Name >= name })
	if i < len(n.Children) && n.Children[i].Name == name {
		return n.Children[i]
	}
	return nil
}

// ensure returns the node at p, adding ghost directories and a ghost file
// where the path is gone from the merged view.
func (n *TreeNode) ensure(p string) *TreeNode {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	for i, part := range parts {
		if part == "" {
			continue
		}
		c := n.child(part)
		if c == nil {
			kind := layer.KindDir
			if i == len(parts)-1 {
				kind = layer.KindFile
			}
			c = &TreeNode{Name: part, Path: path.Join(n.Path, part), Kind: kind, Layer: -1, Parent: n}
			j := sort.Search(len(n.Children), func(j int) bool { return n.Children[j].Name >= part })
			n.Children = slices.Insert(n.Children, j, c)
		}
		n = c
	}
	return n
}

// total fills Size (of directories), Files and HiddenBytes bottom-up. A
// file can have ghost children too: a directory that a file replaced.
func (n *TreeNode) total() {
	for _, c := range n.Hidden {
		n.HiddenBytes += c.Size
	}
	if n.IsDir() {
		n.Size = 0
	} else if n.Visible && n.Kind == layer.KindFile && !n.Hardlink {
		n.Files = 1
	}
	for _, c := range n.Children {
		c.total()
		if n.IsDir() {
			n.Size += c.counted()
			n.Files += c.Files
		}
		n.HiddenBytes += c.HiddenBytes
	}
}

// counted is what the node adds to its directory's size: hardlinks and
// ghosts add nothing.
func (n *TreeNode) counted() int64 {
	if !n.Visible || n.Hardlink {
		return 0
	}
	return n.Size
}
