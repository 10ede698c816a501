package fsview

import (
	"errors"
	"fmt"
	"strings"

	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// ChangeKind is what a layer did at one path, against the file system of
// the layers below it.
type ChangeKind uint8

const (
	// ChangeNone: nothing; a directory listed again with the same owner and
	// mode (every layer lists the parents of what it writes), or an entry
	// of a lower layer seen from a higher one.
	ChangeNone ChangeKind = iota
	// ChangeAdded: nothing was at the path.
	ChangeAdded
	// ChangeContent: the content changed: another kind of entry, other
	// bytes, another symlink target.
	ChangeContent
	// ChangeMetadata: stored again with the same content; the owner or the
	// mode changed, or neither (then only the time did: a touch, a copy):
	// the chown -R and chmod copies.
	ChangeMetadata
	// ChangeRemoved: a whiteout deleted it, an opaque directory hid it, or
	// a non-directory written over one of its parents replaced it.
	ChangeRemoved
)

var changeKindNames = [...]string{"unchanged", "added", "modified", "metadata only", "removed"}

func (k ChangeKind) String() string {
	if int(k) < len(changeKindNames) {
		return changeKindNames[k]
	}
	return "unknown"
}

// EntryRef names one entry of one layer: its index in that layer's
// layer.Data.Entries.
type EntryRef struct {
	Layer, Index int32
}

// NoEntry is the EntryRef of a directory that no entry listed (the merge
// made it for the entries below it) and of nothing at all.
var NoEntry = EntryRef{-1, -1}

// Valid reports whether r names an entry.
func (r EntryRef) Valid() bool { return r.Layer >= 0 }

// EntryState is what the layers above an entry, and the entry to the layers
// below it, did.
type EntryState struct {
	// Change is what writing the entry did: ChangeAdded, ChangeContent,
	// ChangeMetadata, or ChangeNone for a directory listed again as it was.
	Change ChangeKind
	// Prev is the entry it replaced at its path (NoEntry: none, or a
	// directory no entry listed).
	Prev EntryRef
	// HiddenBy is the layer that removed or replaced it, -1 while it is
	// visible at the top; its own layer when the layer wrote the path again
	// (or a hardlink to itself, which changes nothing).
	HiddenBy int32
	// Reason says how HiddenBy hid it.
	Reason HideReason
}

// Removal is one path a layer took away from the layers below: deleted
// by a whiteout, hidden by an opaque directory, or replaced by a
// non-directory written over one of its parents. Paths the layer wrote
// again are not removals: their new entry has the old one as Prev.
type Removal struct {
	Path   string
	Ref    EntryRef   // NoEntry: a directory no entry listed
	Kind   layer.Kind // of what was removed (layer.KindDir for a directory no entry listed)
	Reason HideReason
}

// LayerIndex tells, for every entry of every layer, what it changed and
// which layer hid it, and for every layer what it removed: enough to show
// any layer's own changes and the file system as of any layer without
// merging the layers again. It holds the layers' entries (no content) and
// ~16 bytes per entry; the replay that builds it costs about what the
// merge does, once.
type LayerIndex struct {
	data    []*layer.Data
	states  [][]EntryState
	removed [][]Removal
	// content maps a hardlink entry to the entry that stored its bytes.
	content map[EntryRef]EntryRef
	// linkKind is the kind of a hardlink entry whose target is no regular
	// file (a symlink or a device with two names).
	linkKind map[EntryRef]layer.Kind
	// hidden are the merge's hidden copies, by the layer that hid them.
	hidden [][]Copy
}

// ErrNoEntries: the analysis dropped its layers' entries (see
// Options.dropEntries), or never had them.
var ErrNoEntries = errors.New("the layers' entries are not kept: nothing to index")

// IndexLayers replays the layers in order, as Merge does, keeping a record
// per entry instead of a tree. hidden are Merge's hidden copies
// (FileSystem.Hidden), kept by the layer that hid them for
// LayerIndex.HiddenBy.
func IndexLayers(layers []*layer.Data, hidden []Copy) (*LayerIndex, error) {
	x := &LayerIndex{
		data:    layers,
		states:  make([][]EntryState, len(layers)),
		removed: make([][]Removal, len(layers)),
		hidden:  make([][]Copy, len(layers)),
	}
	for _, c := range hidden {
		if c.HiddenBy >= 0 && c.HiddenBy < len(layers) {
			x.hidden[c.HiddenBy] = append(x.hidden[c.HiddenBy], c)
		}
	}
	r := replay{x: x, root: &rnode{path: "/", ref: NoEntry, kind: layer.KindDir, layer: -1}}
	for i, ld := range layers {
		if ld == nil {
			return nil, fmt.Errorf("layer %d: no layer data", i)
		}
		if ld.Entries == nil && ld.StoredFiles > 0 {
			return nil, ErrNoEntries
		}
		if err := r.apply(int32(i), ld); err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
	}
	return x, nil
}

// Layers is the number of layers indexed.
func (x *LayerIndex) Layers() int { return len(x.data) }

// Entries are the entries of one layer, in tar order.
func (x *LayerIndex) Entries(layer int) []layer.Entry { return x.data[layer].Entries }

// Entry returns the entry r names.
func (x *LayerIndex) Entry(r EntryRef) layer.Entry { return x.data[r.Layer].Entries[r.Index] }

// State returns what the index knows of the entry r names.
func (x *LayerIndex) State(r EntryRef) EntryState { return x.states[r.Layer][r.Index] }

// Removed lists what one layer took away from the layers below, in the
// order it did (whiteouts, opaque markers, then entries).
func (x *LayerIndex) Removed(layer int) []Removal { return x.removed[layer] }

// HiddenBy lists the stored copies one layer made invisible (deleted,
// hidden by an opaque directory or overwritten): the bytes its changes
// hide, each stored copy once.
func (x *LayerIndex) HiddenBy(layer int) []Copy { return x.hidden[layer] }

// Content returns the entry that stored the bytes r reaches: r itself, or
// for a hardlink the file it links to.
func (x *LayerIndex) Content(r EntryRef) EntryRef {
	if c, ok := x.content[r]; ok {
		return c
	}
	return r
}

// VisibleAt reports whether the entry r names is part of the file system
// as of the layer (layers 0 to layer merged).
func (x *LayerIndex) VisibleAt(r EntryRef, layer int) bool {
	if int(r.Layer) > layer {
		return false
	}
	st := x.states[r.Layer][r.Index]
	return st.HiddenBy < 0 || int(st.HiddenBy) > layer
}

// rnode is one path of the replay's tree.
type rnode struct {
	path  string
	ref   EntryRef   // NoEntry: a directory no entry listed
	kind  layer.Kind // a hardlink is a layer.KindFile
	layer int32      // the layer that made a directory no entry listed
	// overDir: ref, an entry of the layer being replayed, took the place
	// of a directory no entry listed (removing ref removes that directory)
	overDir  bool
	gone     bool // removed or replaced
	children map[string]*rnode
}

// replay applies layers as Merge does, recording states and removals.
type replay struct {
	x    *LayerIndex
	root *rnode
	// removedAt maps the paths this layer's whiteouts and opaque markers
	// removed to their Removal, so that an entry writing one again is a
	// modification of it.
	removedAt map[string]int
	replaced  map[int]bool // removals that an entry of the layer wrote again
	stack     []*rnode
	// lastDir caches the parent of the previous entry: tar streams list a
	// directory's entries together.
	lastDir     string
	lastDirNode *rnode
}

func (r *replay) apply(i int32, ld *layer.Data) error {
	x := r.x
	x.states[i] = make([]EntryState, len(ld.Entries))
	r.removedAt = map[string]int{}
	r.replaced = map[int]bool{}
	r.lastDirNode = nil
	for _, p := range ld.Whiteouts {
		if n := r.lookup(p); n != nil && n != r.root {
			r.unlink(n)
			r.remove(i, n, Deleted, true)
		}
	}
	for _, d := range ld.Opaques {
		if n := r.lookup(d); n != nil && n.kind == layer.KindDir {
			for _, c := range n.children {
				r.remove(i, c, Opaque, true)
			}
			n.children = nil
		}
	}
	for idx := range ld.Entries {
		if err := r.write(i, int32(idx), &ld.Entries[idx]); err != nil {
			return err
		}
	}
	if len(r.replaced) > 0 {
		kept := x.removed[i][:0]
		for k, rm := range x.removed[i] {
			if !r.replaced[k] {
				kept = append(kept, rm)
			}
		}
		x.removed[i] = kept
	}
	return nil
}

func (r *replay) lookup(p string) *rnode {
	n := r.root
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if part == "" {
			continue
		}
		if n = n.children[part]; n == nil {
			return nil
		}
	}
	return n
}

// unlink takes n out of its parent's children.
func (r *replay) unlink(n *rnode) {
	dir, name := layer.SplitAbs(n.path)
	if parent := r.lookup(dir); parent != nil && parent.children[name] == n {
		delete(parent.children, name)
	}
}

// remove records that layer i removed n and everything below it (n itself
// only when self is set: a path written again is its new entry's Prev).
func (r *replay) remove(i int32, n *rnode, why HideReason, self bool) {
	x := r.x
	stack := append(r.stack[:0], n)
	for len(stack) > 0 {
		c := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, k := range c.children {
			stack = append(stack, k)
		}
		c.gone = true
		if c == n && !self {
			continue
		}
		rm := Removal{Path: c.path, Ref: c.ref, Kind: c.kind, Reason: why}
		if c.ref.Valid() {
			st := &x.states[c.ref.Layer][c.ref.Index]
			st.HiddenBy, st.Reason = i, why
			if c.ref.Layer == i {
				// Written by this very layer, which then hid it: what the
				// layer removed from below is what that entry replaced.
				switch {
				case st.Prev.Valid():
					rm.Ref, rm.Kind = st.Prev, x.kindOf(st.Prev)
				case c.overDir:
					rm.Ref, rm.Kind = NoEntry, layer.KindDir
				default:
					continue
				}
			}
		} else if c.layer == i {
			continue // a directory this layer made for its own entries
		}
		if why != Overwritten {
			r.removedAt[c.path] = len(x.removed[i])
		}
		x.removed[i] = append(x.removed[i], rm)
	}
	r.stack = stack[:0]
}

// kindOf is the kind of what r names, a hardlink being a file.
func (x *LayerIndex) kindOf(r EntryRef) layer.Kind {
	if k := x.Entry(r).Kind; k != layer.KindHardlink {
		return k
	}
	if k, ok := x.linkKind[r]; ok {
		return k
	}
	return layer.KindFile
}

// ensureDir returns the directory at p, making the missing ones and
// replacing non-directories on the way, as Merge does.
func (r *replay) ensureDir(i int32, p string) *rnode {
	n := r.root
	for start := 1; start < len(p); {
		end := strings.IndexByte(p[start:], '/')
		if end < 0 {
			end = len(p)
		} else {
			end += start
		}
		part := p[start:end]
		c := n.children[part]
		if c == nil || c.kind != layer.KindDir {
			if c != nil {
				r.remove(i, c, Overwritten, true)
			}
			c = &rnode{path: p[:end], ref: NoEntry, kind: layer.KindDir, layer: i}
			if n.children == nil {
				n.children = map[string]*rnode{}
			}
			n.children[part] = c
		}
		n = c
		start = end + 1
	}
	return n
}

func (r *replay) write(i, idx int32, e *layer.Entry) error {
	x := r.x
	ref := EntryRef{i, idx}
	st := &x.states[i][idx]
	st.HiddenBy, st.Prev = -1, NoEntry
	dir, name := layer.SplitAbs(e.Path)
	parent := r.lastDirNode
	if parent == nil || parent.gone || dir != r.lastDir {
		parent = r.ensureDir(i, dir)
		r.lastDir, r.lastDirNode = dir, parent
	}
	old := parent.children[name]
	kind := e.Kind
	if kind == layer.KindHardlink {
		target := r.lookup(e.Link)
		if target == nil {
			return fmt.Errorf("hardlink %q points to %q, which is not in this or a lower layer", e.Path, e.Link)
		}
		if target.kind == layer.KindDir {
			return fmt.Errorf("hardlink %q points to %q, a directory", e.Path, e.Link)
		}
		if target == old {
			st.HiddenBy, st.Reason, st.Prev = i, Overwritten, old.ref
			return nil // a link to itself changes nothing
		}
		if target.kind == layer.KindFile {
			if x.content == nil {
				x.content = map[EntryRef]EntryRef{}
			}
			x.content[ref] = x.Content(target.ref)
		} else {
			// As Merge: a second name of a symlink or a device stores no
			// bytes and is one of its kind.
			if x.linkKind == nil {
				x.linkKind = map[EntryRef]layer.Kind{}
			}
			x.linkKind[ref] = target.kind
		}
		kind = target.kind
	}
	existed := false // a directory no entry listed was there before the layer
	if old != nil {
		prev := old.ref
		if prev.Valid() {
			ost := &x.states[prev.Layer][prev.Index]
			ost.HiddenBy, ost.Reason = i, Overwritten
			if prev.Layer == i {
				prev = ost.Prev // what the layer's first write found
				existed = old.overDir
			}
		} else {
			existed = old.layer < i
		}
		st.Prev = prev
		if old.kind == layer.KindDir && kind == layer.KindDir {
			old.ref, old.overDir = ref, existed && !prev.Valid()
			st.Change = x.classify(ref, prev, existed)
			return nil
		}
		r.remove(i, old, Overwritten, false)
	} else if k, ok := r.removedAt[e.Path]; ok && !r.replaced[k] {
		// Deleted and written again by this layer: a modification.
		r.replaced[k] = true
		st.Prev = x.removed[i][k].Ref
		existed = !st.Prev.Valid()
	}
	st.Change = x.classify(ref, st.Prev, existed)
	if parent.children == nil {
		parent.children = map[string]*rnode{}
	}
	parent.children[name] = &rnode{path: e.Path, ref: ref, kind: kind, layer: i, overDir: existed && !st.Prev.Valid()}
	return nil
}

// classify compares an entry with the one it replaced. existed: a
// directory no entry listed was there (its owner root, its mode 0755).
func (x *LayerIndex) classify(ref, prev EntryRef, existed bool) ChangeKind {
	e := x.Entry(ref)
	var p layer.Entry
	switch {
	case prev.Valid():
		p = x.Entry(prev)
	case existed:
		p = layer.Entry{Kind: layer.KindDir, Mode: 0o755}
	default:
		return ChangeAdded
	}
	ek, pk := x.kindOf(ref), p.Kind
	if prev.Valid() {
		pk = x.kindOf(prev)
	}
	if ek != pk {
		return ChangeContent
	}
	sameAttrs := e.Mode == p.Mode && e.UID == p.UID && e.GID == p.GID
	switch ek {
	case layer.KindFile:
		c, pc := x.Entry(x.Content(ref)), p
		if prev.Valid() {
			pc = x.Entry(x.Content(prev))
		}
		if c.Size != pc.Size || c.Hash != pc.Hash {
			return ChangeContent
		}
	case layer.KindSymlink:
		if e.Link != p.Link {
			return ChangeContent
		}
	case layer.KindDir:
		if sameAttrs {
			return ChangeNone
		}
	}
	return ChangeMetadata
}
