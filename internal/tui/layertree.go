package tui

import (
	"cmp"
	"path"
	"slices"

	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// LayerTree builds the tree of one layer from the index: with asOf unset,
// what the layer itself did (the entries it wrote, marked added, modified
// or metadata only, and the paths it removed, with the bytes they hide);
// with asOf set, the whole file system as of the layer (layers 0 to at
// merged) with the same marks, the paths the layer removed included and
// the rest unchanged. It is built from the index in one pass over the
// entries it shows, never by stacking the layers.
func LayerTree(idx *fsview.LayerIndex, at int, asOf bool) *TreeNode {
	from := at
	if asOf {
		from = 0
	}
	size := len(idx.Removed(at)) + 1
	for l := from; l <= at; l++ {
		size += len(idx.Entries(l))
	}
	b := treeBuilder{root: &TreeNode{Name: "/", Path: "/", Kind: layer.KindDir, Layer: -1, Visible: true},
		nodes: make(map[string]*TreeNode, size)}
	b.nodes["/"] = b.root
	for l := from; l <= at; l++ {
		for i := range idx.Entries(l) {
			ref := fsview.EntryRef{Layer: int32(l), Index: int32(i)}
			st := idx.State(ref)
			if asOf && !idx.VisibleAt(ref, at) || !asOf && st.HiddenBy == int32(at) {
				continue // hidden, or written again by its own layer
			}
			change := st.Change
			if l != at {
				change = fsview.ChangeNone
			}
			b.entry(idx, ref, change, st.Prev)
		}
	}
	for _, rm := range idx.Removed(at) {
		n := b.put(rm.Path, rm.Kind)
		if n.Attrs && n.Visible && n.Change != fsview.ChangeRemoved {
			continue // removed, then made again by the layer
		}
		n.Visible, n.Change, n.Kind, n.Layer = false, fsview.ChangeRemoved, rm.Kind, -1
		if rm.Ref.Valid() {
			b.attrs(n, idx.Entry(rm.Ref), int(rm.Ref.Layer))
		}
	}
	for _, c := range idx.HiddenBy(at) {
		n := b.nodes[c.Path]
		if n == nil {
			// A hardlink's bytes, stored at a path an earlier layer
			// removed: they go with the last name, which this layer took.
			n = b.put(c.Path, layer.KindFile)
			n.Visible, n.Change = false, fsview.ChangeRemoved
		}
		n.Hidden = append(n.Hidden, c)
	}
	b.sort(b.root)
	b.root.total()
	return b.root
}

// treeBuilder makes a tree from paths in any order.
type treeBuilder struct {
	root  *TreeNode
	nodes map[string]*TreeNode
}

// put returns the node at p, making it (and the directories above it) when
// missing; directories no entry lists are visible, with no attributes.
func (b *treeBuilder) put(p string, kind layer.Kind) *TreeNode {
	if n := b.nodes[p]; n != nil {
		return n
	}
	parent := b.put(path.Dir(p), layer.KindDir)
	n := &TreeNode{Name: path.Base(p), Path: p, Kind: kind, Layer: -1, Visible: true, Parent: parent}
	parent.Children = append(parent.Children, n)
	b.nodes[p] = n
	return n
}

// entry adds a visible entry.
func (b *treeBuilder) entry(idx *fsview.LayerIndex, ref fsview.EntryRef, change fsview.ChangeKind, prev fsview.EntryRef) {
	e := idx.Entry(ref)
	kind := e.Kind
	if kind == layer.KindHardlink {
		kind = layer.KindFile
	}
	n := b.put(e.Path, kind)
	n.Kind, n.Visible, n.Change = kind, true, change
	b.attrs(n, e, int(ref.Layer))
	if e.Kind == layer.KindHardlink {
		// No bytes of its own: the file it links to counts them.
		n.Hardlink, n.Size = true, idx.Entry(idx.Content(ref)).Size
	}
	if prev.Valid() && change != fsview.ChangeNone && change != fsview.ChangeAdded {
		n.Before = &Before{Entry: idx.Entry(prev), Layer: int(prev.Layer)}
	}
}

func (b *treeBuilder) attrs(n *TreeNode, e layer.Entry, at int) {
	n.Link, n.Size, n.Layer = e.Link, e.Size, at
	n.Mode, n.UID, n.GID, n.Attrs = e.Mode, e.UID, e.GID, true
}

// sort orders every directory's children by name, as BuildTree's are.
func (b *treeBuilder) sort(n *TreeNode) {
	stack := []*TreeNode{n}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		slices.SortFunc(n.Children, func(a, b *TreeNode) int { return cmp.Compare(a.Name, b.Name) })
		stack = append(stack, n.Children...)
	}
}
