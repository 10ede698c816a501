package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// autoOpenLimit: a tree (a layer's, or the final one under a filter) that
// shows at most this many paths opens every directory on the way to them;
// a larger one opens only the top level.
const autoOpenLimit = 2000

// fileDetailLines is the height of the panel below the tree.
const fileDetailLines = 4

// attrsMinWidth is the width from which rows show mode, owner and group.
const attrsMinWidth = 100

// treeCacheSize is how many layer trees are kept for going back and forth
// (a tree as of a late layer is the size of the final tree).
const treeCacheSize = 2

// scope is which tree the files view shows.
type scope uint8

const (
	scopeFinal scope = iota // the merged file system of every layer
	scopeLayer              // what one layer changed
	scopeAsOf               // the file system as of one layer
)

// editKind is the field being edited.
type editKind uint8

const (
	editNone editKind = iota
	editPath
	editSize
)

// fileRow is one line of the tree: a node, or one hidden copy of it.
type fileRow struct {
	node      *TreeNode
	depth     int
	copy      int      // -1 for the node itself, else an index into node.Hidden
	inherited []string // rules of a flagged directory above
}

// nodeStat is what a node shows under a filter.
type nodeStat struct {
	size, hidden int64
	files        int
}

type treeKey struct {
	layer int
	asOf  bool
}

// treeCache keeps the last few layer trees; it is shared by the copies of
// the view (bubbletea's models are values) and only ever added to.
type treeCache struct {
	trees map[treeKey]*TreeNode
	order []treeKey
}

// filesView is the file explorer: the final merged tree, one layer's own
// changes or the tree as of a layer, with sizes, change marks, owners and
// modes; filterable by path (substring, regex, glob), change type and
// size, with the findings' rules beside the paths they flag and the
// hidden (wasted) copies on demand.
type filesView struct {
	final      *TreeNode
	root       *TreeNode
	layers     []inspect.LayerReport
	idx        *fsview.LayerIndex
	idxErr     error
	indexing   bool   // Input.Index is working
	building   bool   // Input.Tree is working
	revealing  string // the path to reveal once the tree is built
	cache      *treeCache
	scope      scope
	layer      int             // of scopeLayer and scopeAsOf; -1 in scopeFinal
	explicit   map[string]bool // directories the user opened or closed
	auto       map[string]bool // directories the filters or the layer open
	bySize     bool
	showHidden bool
	filter     pathFilter
	mode       filterMode // for the next filter typed
	types      changeSet
	minSize    int64
	input      textinput.Model
	editing    editKind
	selectAll  bool   // the field's old text is selected: typing replaces it
	fieldErr   string // why the text typed is not applied
	status     string // a one-off message in place of the column header
	// stats holds the included nodes under a filter; nil without one.
	stats  map[*TreeNode]nodeStat
	rows   []fileRow
	c      cursor
	width  int
	height int
}

var fileKeys = struct {
	Toggle, Open, Close, Sort, Filter, Hidden, Clear, ExpandAll, CollapseAll,
	PrevLayer, NextLayer, AsOf, Types, MinSize, Apply, Cancel, Mode key.Binding
}{
	Toggle:      key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", "open")),
	Open:        key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open")),
	Close:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close/parent")),
	Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
	Filter:      key.NewBinding(key.WithKeys("/", "ctrl+f"), key.WithHelp("/", "filter")),
	Hidden:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hidden")),
	Clear:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear/final")),
	ExpandAll:   key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "open all")),
	CollapseAll: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "close all")),
	PrevLayer:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "prev layer")),
	NextLayer:   key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "next layer")),
	AsOf:        key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "layer/as of")),
	Types:       key.NewBinding(key.WithKeys("+", "~", "*", "-", "="), key.WithHelp("+~*-=", "types")),
	MinSize:     key.NewBinding(key.WithKeys(">"), key.WithHelp(">", "min size")),
	Apply:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
	Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
	Mode:        key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "substring/regex/glob")),
}

var layerStepHelp = key.NewBinding(key.WithKeys("[", "]"), key.WithHelp("[ ]", "layer"))

var filesHelp = keyMap{
	short: []key.Binding{fileKeys.Toggle, layerStepHelp, fileKeys.AsOf, fileKeys.Filter, fileKeys.Types, fileKeys.Hidden},
	full: [][]key.Binding{nav.bindings(),
		{fileKeys.Toggle, fileKeys.Open, fileKeys.Close, fileKeys.ExpandAll, fileKeys.CollapseAll},
		{fileKeys.PrevLayer, fileKeys.NextLayer, fileKeys.AsOf, fileKeys.Clear, fileKeys.Sort},
		{fileKeys.Filter, fileKeys.Types, fileKeys.MinSize, fileKeys.Hidden}},
}

var filterHelp = keyMap{short: []key.Binding{fileKeys.Apply, fileKeys.Mode, fileKeys.Cancel},
	full: [][]key.Binding{{fileKeys.Apply, fileKeys.Mode, fileKeys.Cancel}}}

var sizeHelp = keyMap{short: []key.Binding{fileKeys.Apply, fileKeys.Cancel},
	full: [][]key.Binding{{fileKeys.Apply, fileKeys.Cancel}}}

func emptyRoot() *TreeNode {
	return &TreeNode{Name: "/", Path: "/", Kind: layer.KindDir, Layer: -1, Visible: true}
}

func newFilesView(in *Input) filesView {
	ti := textinput.New()
	v := filesView{layers: in.Report.Layers, explicit: map[string]bool{}, bySize: true,
		layer: -1, input: ti, types: allChanges, cache: &treeCache{trees: map[treeKey]*TreeNode{}},
		indexing: in.Index != nil, building: in.Tree != nil, final: emptyRoot()}
	v.root = v.final
	v.rows = v.flatten()
	return v
}

// waiting reports whether the tree the view shows is still being worked
// out (Input.Tree, or Input.Index for a layer's trees).
func (v filesView) waiting() bool {
	if v.scope == scopeFinal {
		return v.building
	}
	return v.idx == nil && v.indexing
}

// capturing reports whether a field has the keyboard.
func (v filesView) capturing() bool { return v.editing != editNone }

func (v filesView) help() keyMap {
	switch v.editing {
	case editPath:
		return filterHelp
	case editSize:
		return sizeHelp
	}
	return filesHelp
}

// headerLines: the summary, the layer's instruction (in a layer's views)
// and the column header.
func (v filesView) headerLines() int {
	if v.scope == scopeFinal {
		return 2
	}
	return 3
}

func (v filesView) listHeight() int { return max(1, v.height-v.headerLines()-fileDetailLines) }

func (v filesView) resize(width, height int) filesView {
	v.width, v.height = width, height
	v.input.SetWidth(max(10, width-20))
	v.c.clamp(len(v.rows), v.listHeight())
	return v
}

// treeMsg carries the merged tree Input.Tree built.
type treeMsg struct{ tree *TreeNode }

// indexMsg carries the layer index Input.Index worked out.
type indexMsg struct {
	idx *fsview.LayerIndex
	err error
}

// layerShownMsg tells the root which layer the files view shows (-1: the
// final tree), so that the layer list follows.
type layerShownMsg struct{ layer int }

func (v filesView) Update(msg tea.Msg) (filesView, tea.Cmd) {
	switch msg := msg.(type) {
	case treeMsg:
		v.final, v.building = msg.tree, false
		if v.scope == scopeFinal {
			v = v.show(scopeFinal, -1)
		}
		if p := v.revealing; p != "" {
			v.revealing = ""
			v = v.reveal(p)
		}
		return v, nil
	case indexMsg:
		v.idx, v.idxErr, v.indexing = msg.idx, msg.err, false
		if v.scope != scopeFinal {
			return v.show(v.scope, v.layer), nil
		}
		return v, nil
	case filterLayerMsg:
		if msg.layer < 0 {
			return v.show(scopeFinal, -1), nil
		}
		sc := v.scope
		if sc == scopeFinal {
			sc = scopeLayer
		}
		return v.show(sc, msg.layer), nil
	case revealMsg:
		return v.reveal(msg.path), nil
	case clickMsg:
		return v.click(msg)
	case tea.KeyPressMsg:
		if v.capturing() {
			return v.updateField(msg)
		}
		v.status = ""
		return v.updateKey(msg)
	}
	if v.capturing() {
		var cmd tea.Cmd
		v.input, cmd = v.input.Update(msg)
		return v, cmd
	}
	v.c.navigate(msg, len(v.rows), v.listHeight())
	return v, nil
}

// click selects the row clicked; a click on the selected row opens or
// closes it, as enter does.
func (v filesView) click(msg clickMsg) (filesView, tea.Cmd) {
	i := v.c.offset + msg.y - v.headerLines()
	if msg.y < v.headerLines() || i < 0 || i >= len(v.rows) || i >= v.c.offset+v.listHeight() {
		return v, nil
	}
	if i == v.c.pos {
		return v.updateKey(enterKey)
	}
	v.c.pos = i
	return v, nil
}

// show switches to a tree: the final one, or a layer's.
func (v filesView) show(sc scope, layer int) filesView {
	var keep string
	if len(v.rows) > 0 {
		keep = v.rows[v.c.pos].node.Path
	}
	v.scope, v.layer = sc, layer
	switch {
	case sc == scopeFinal:
		v.root, v.layer = v.final, -1
	case v.idx != nil:
		v.root = v.tree(layer, sc == scopeAsOf)
	default:
		v.root = emptyRoot()
	}
	return v.refilter(keep)
}

// tree returns a layer's tree, from the cache when it was built lately.
func (v filesView) tree(layer int, asOf bool) *TreeNode {
	k := treeKey{layer, asOf}
	c := v.cache
	if t := c.trees[k]; t != nil {
		return t
	}
	t := LayerTree(v.idx, layer, asOf)
	c.trees[k] = t
	c.order = append(c.order, k)
	if len(c.order) > treeCacheSize {
		delete(c.trees, c.order[0])
		c.order = c.order[1:]
	}
	return t
}

// step moves to the previous or next layer; from the final tree, to the
// last or first one.
func (v filesView) step(delta int) (filesView, tea.Cmd) {
	n := len(v.layers)
	if n == 0 {
		return v, nil
	}
	layer, sc := v.layer+delta, v.scope
	if sc == scopeFinal {
		sc, layer = scopeLayer, 0
		if delta < 0 {
			layer = n - 1
		}
	}
	layer = max(0, min(n-1, layer))
	v = v.show(sc, layer)
	return v, layerShown(layer)
}

func layerShown(layer int) tea.Cmd {
	return func() tea.Msg { return layerShownMsg{layer: layer} }
}

// openField starts editing the path filter or the minimum size: with the
// old text selected, so that typing replaces it and an arrow key keeps it.
func (v filesView) openField(k editKind) (filesView, tea.Cmd) {
	v.editing, v.fieldErr = k, ""
	old := v.filter.text
	v.input.Placeholder = "path contains… (lower case matches any case)"
	if k == editSize {
		old = ""
		if v.minSize > 0 {
			old = humanize.Bytes(uint64(v.minSize))
		}
		v.input.Placeholder = "e.g. 1MB, 500kB (empty: any size)"
	} else if v.filter.active() {
		v.mode = v.filter.mode
	}
	v.setPrompt()
	v.input.SetValue(old)
	v.input.CursorEnd()
	v.selectAll = old != ""
	return v, v.input.Focus()
}

func (v *filesView) setPrompt() {
	if v.editing == editSize {
		v.input.Prompt = "size at least: "
		return
	}
	v.input.Prompt = v.mode.String() + " /"
}

// updateField edits the path filter (the tree follows as one types) or
// the minimum size (applied with enter).
func (v filesView) updateField(msg tea.KeyPressMsg) (filesView, tea.Cmd) {
	switch {
	case key.Matches(msg, fileKeys.Apply):
		if v.editing == editSize {
			return v.applySize()
		}
		v.input.Blur()
		v.editing, v.selectAll = editNone, false
		return v, nil
	case key.Matches(msg, fileKeys.Cancel):
		v.input.Blur()
		if v.editing == editPath {
			v.filter = pathFilter{mode: v.mode}
			v = v.refilter("")
		}
		v.editing, v.selectAll, v.fieldErr = editNone, false, ""
		return v, nil
	case v.editing == editPath && key.Matches(msg, fileKeys.Mode):
		v.mode = (v.mode + 1) % numFilterModes
		v.setPrompt()
		return v.applyPath(), nil
	}
	if v.selectAll {
		v.selectAll = false
		switch s := msg.String(); {
		case s == "backspace" || s == "delete" || s == "ctrl+h":
			v.input.SetValue("")
			return v.afterEdit(), nil
		case msg.Text != "":
			v.input.SetValue("") // typing replaces the selected text
		}
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	return v.afterEdit(), cmd
}

func (v filesView) afterEdit() filesView {
	if v.editing == editPath {
		return v.applyPath()
	}
	return v
}

// applyPath compiles the text typed; an invalid regex or glob keeps the
// filter before it and says why.
func (v filesView) applyPath() filesView {
	f, err := newPathFilter(v.mode, v.input.Value())
	if err != nil {
		v.fieldErr = err.Error()
		return v
	}
	v.fieldErr = ""
	if f.text == v.filter.text && f.mode == v.filter.mode {
		return v
	}
	v.filter = f
	return v.refilter("")
}

func (v filesView) applySize() (filesView, tea.Cmd) {
	text := strings.TrimSpace(v.input.Value())
	var n uint64
	if text != "" {
		var err error
		if n, err = humanize.ParseBytes(text); err != nil {
			v.fieldErr = fmt.Sprintf("not a size: %q (e.g. 1MB)", text)
			return v, nil
		}
	}
	v.minSize = int64(min(n, 1<<62))
	v.input.Blur()
	v.editing, v.selectAll, v.fieldErr = editNone, false, ""
	return v.refilter(""), nil
}

func (v filesView) updateKey(msg tea.KeyPressMsg) (filesView, tea.Cmd) {
	var row fileRow
	if len(v.rows) > 0 {
		row = v.rows[v.c.pos]
	}
	switch {
	case key.Matches(msg, fileKeys.Filter):
		return v.openField(editPath)
	case key.Matches(msg, fileKeys.MinSize):
		return v.openField(editSize)
	case key.Matches(msg, fileKeys.PrevLayer):
		return v.step(-1)
	case key.Matches(msg, fileKeys.NextLayer):
		return v.step(1)
	case key.Matches(msg, fileKeys.AsOf):
		if v.scope == scopeFinal {
			if len(v.layers) == 0 {
				return v, nil
			}
			v = v.show(scopeAsOf, len(v.layers)-1)
			return v, layerShown(v.layer)
		}
		sc := scopeAsOf
		if v.scope == scopeAsOf {
			sc = scopeLayer
		}
		return v.show(sc, v.layer), nil
	case key.Matches(msg, fileKeys.Types):
		if v.scope == scopeFinal {
			v.status = "change types are a layer's: [ or ] picks one"
			return v, nil
		}
		for _, k := range changeOrder {
			if msg.String() == changeStyles[k].key {
				v.types = v.types.toggle(k)
			}
		}
		return v.refilter(pathOf(row)), nil
	case key.Matches(msg, fileKeys.Clear):
		if v.filtered() {
			v.filter, v.types, v.minSize = pathFilter{mode: v.filter.mode}, allChanges, 0
			return v.refilter(pathOf(row)), nil
		}
		if v.scope != scopeFinal {
			v = v.show(scopeFinal, -1)
			return v, layerShown(-1)
		}
		return v, nil
	case key.Matches(msg, fileKeys.Sort):
		v.bySize = !v.bySize
		return v.rebuild(pathOf(row)), nil
	case key.Matches(msg, fileKeys.Hidden):
		v.showHidden = !v.showHidden
		return v.refilter(pathOf(row)), nil
	case key.Matches(msg, fileKeys.ExpandAll):
		v.setOpenAll(true)
		return v.rebuild(pathOf(row)), nil
	case key.Matches(msg, fileKeys.CollapseAll):
		v.setOpenAll(false)
		return v.rebuild(""), nil
	}
	if row.node == nil {
		v.c.navigate(msg, len(v.rows), v.listHeight())
		return v, nil
	}
	n := row.node
	hasKids := len(n.Children) > 0 && row.copy < 0
	switch {
	case key.Matches(msg, fileKeys.Toggle) && hasKids:
		v.setOpen(n, !v.isOpen(n))
		return v.rebuild(n.Path), nil
	case key.Matches(msg, fileKeys.Open) && hasKids:
		v.setOpen(n, true)
		return v.rebuild(n.Path), nil
	case key.Matches(msg, fileKeys.Close):
		if hasKids && v.isOpen(n) {
			v.setOpen(n, false)
			return v.rebuild(n.Path), nil
		}
		target := n
		if row.copy < 0 {
			target = n.Parent
		}
		if target != nil && target != v.root {
			v.setOpen(target, false)
			return v.rebuild(target.Path), nil
		}
		return v, nil
	}
	v.c.navigate(msg, len(v.rows), v.listHeight())
	return v, nil
}

func pathOf(r fileRow) string {
	if r.node == nil {
		return ""
	}
	return r.node.Path
}

// filtered: a filter narrows the tree (the path, the change types of a
// layer's view, the size).
func (v filesView) filtered() bool {
	return v.filter.active() || (v.scope != scopeFinal && v.types != allChanges) || v.minSize > 0
}

func (v filesView) isOpen(n *TreeNode) bool {
	if open, ok := v.explicit[n.Path]; ok {
		return open
	}
	return v.auto[n.Path]
}

func (v *filesView) setOpen(n *TreeNode, open bool) {
	v.explicit = mapsClone(v.explicit)
	v.explicit[n.Path] = open
}

func (v *filesView) setOpenAll(open bool) {
	m := map[string]bool{}
	var walk func(n *TreeNode)
	walk = func(n *TreeNode) {
		for _, c := range n.Children {
			if len(c.Children) > 0 && v.included(c) {
				m[c.Path] = open
				walk(c)
			}
		}
	}
	walk(v.root)
	v.explicit = m
}

// refilter recomputes what the filters include and which directories
// open by themselves, and keeps the cursor on the path keep (else the
// first row).
func (v filesView) refilter(keep string) filesView {
	v.stats = nil
	v.auto = map[string]bool{}
	if v.filtered() {
		v.stats = v.computeStats()
	}
	if v.filtered() || v.scope != scopeFinal {
		v.autoOpen()
	}
	v.c = cursor{}
	return v.rebuild(keep)
}

// autoOpen opens the directories of a filtered tree or a layer's: all of
// them when the tree is small, else level by level, the largest first,
// as long as the rows fit on a screen or two.
func (v *filesView) autoOpen() {
	n := len(v.stats)
	if v.stats == nil {
		n = countNodes(v.root, autoOpenLimit+1)
	}
	if n <= autoOpenLimit {
		var walk func(n *TreeNode)
		walk = func(n *TreeNode) {
			for _, c := range n.Children {
				if len(c.Children) > 0 && v.included(c) {
					v.auto[c.Path] = true
					walk(c)
				}
			}
		}
		walk(v.root)
		return
	}
	budget := max(40, 2*v.listHeight())
	rows := len(v.children(v.root))
	level := []*TreeNode{v.root}
	for len(level) > 0 && rows < budget {
		var next []*TreeNode
		for _, d := range level {
			for _, c := range v.children(d) {
				if len(c.Children) == 0 {
					continue
				}
				kids := len(v.children(c))
				if rows+kids > budget && len(next) > 0 {
					return
				}
				v.auto[c.Path] = true
				rows += kids
				next = append(next, c)
			}
		}
		level = next
	}
}

// countNodes counts the nodes below n, stopping at limit.
func countNodes(n *TreeNode, limit int) int {
	count := 0
	stack := []*TreeNode{n}
	for len(stack) > 0 && count < limit {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		count += len(n.Children)
		stack = append(stack, n.Children...)
	}
	return count
}

// rebuild lists the rows again and keeps the cursor on the path keep.
func (v filesView) rebuild(keep string) filesView {
	v.rows = v.flatten()
	if keep != "" {
		for i, r := range v.rows {
			if r.node.Path == keep && r.copy < 0 {
				v.c.pos = i
				break
			}
		}
	}
	v.c.clamp(len(v.rows), v.listHeight())
	return v
}

// matches reports whether the node itself passes the filters; under: a
// directory above it matched the path filter (its contents match too).
func (v filesView) matches(n *TreeNode, under bool) bool {
	if v.scope == scopeFinal && !n.Visible && !v.showHidden {
		return false
	}
	if v.scope != scopeFinal && !v.types.has(n.Change) {
		return false
	}
	if v.minSize > 0 && (n.IsDir() || nodeBytes(n) < v.minSize) {
		return false
	}
	return under || !v.filter.active() || v.filter.match(n.Path)
}

// nodeBytes is a file's size, or for a path that is gone the bytes its
// hidden copies hold.
func nodeBytes(n *TreeNode) int64 {
	if n.Visible {
		return n.Size
	}
	var b int64
	for _, c := range n.Hidden {
		b += c.Size
	}
	return b
}

// computeStats walks the tree once and keeps the nodes that match or lead
// to a match, with their sizes under the filters.
func (v filesView) computeStats() map[*TreeNode]nodeStat {
	stats := map[*TreeNode]nodeStat{}
	var walk func(n *TreeNode, under bool) bool
	walk = func(n *TreeNode, under bool) bool {
		self := n != v.root && v.matches(n, under)
		kidsUnder := under || (n != v.root && n.IsDir() && v.filter.active() && v.filter.match(n.Path))
		var st nodeStat
		any := false
		for _, c := range n.Children {
			if walk(c, kidsUnder) {
				any = true
				cs := stats[c]
				st.size += cs.size
				st.hidden += cs.hidden
				st.files += cs.files
			}
		}
		if self && !n.IsDir() {
			st.size += n.counted()
			st.files += n.Files
			for _, c := range n.Hidden {
				st.hidden += c.Size
			}
		}
		if !self && !any {
			return false
		}
		stats[n] = st
		return true
	}
	walk(v.root, false)
	return stats
}

func (v filesView) included(n *TreeNode) bool {
	if v.stats != nil {
		_, ok := v.stats[n]
		return ok
	}
	return n.Visible || v.showHidden || v.scope != scopeFinal
}

// stat is what the node shows: its own figures, or those under the filters.
func (v filesView) stat(n *TreeNode) nodeStat {
	if v.stats != nil {
		return v.stats[n]
	}
	return nodeStat{size: n.counted(), hidden: n.HiddenBytes, files: n.Files}
}

// children are the node's included children in the sort order.
func (v filesView) children(n *TreeNode) []*TreeNode {
	kids := make([]*TreeNode, 0, len(n.Children))
	for _, c := range n.Children {
		if v.included(c) {
			kids = append(kids, c)
		}
	}
	if v.bySize {
		slices.SortStableFunc(kids, func(a, b *TreeNode) int {
			sa, sb := v.stat(a), v.stat(b)
			if c := cmp.Compare(sb.size, sa.size); c != 0 {
				return c
			}
			return cmp.Compare(sb.hidden, sa.hidden)
		})
	}
	return kids
}

// flatten lists the rows of the open directories.
func (v filesView) flatten() []fileRow {
	var rows []fileRow
	var walk func(n *TreeNode, depth int, inherited []string)
	walk = func(n *TreeNode, depth int, inherited []string) {
		for _, c := range v.children(n) {
			rows = append(rows, fileRow{node: c, depth: depth, copy: -1, inherited: inherited})
			if v.showHidden {
				for i := range c.Hidden {
					rows = append(rows, fileRow{node: c, depth: depth + 1, copy: i})
				}
			}
			if v.isOpen(c) && len(c.Children) > 0 {
				inh := inherited
				if len(c.Rules) > 0 {
					inh = append(slices.Clip(inherited), c.Rules...)
				}
				walk(c, depth+1, inh)
			}
		}
	}
	walk(v.root, 0, nil)
	return rows
}

// reveal shows the path p of the final tree: the filters that hide it go,
// the directories above it open, and the cursor lands on it.
func (v filesView) reveal(p string) filesView {
	if v.scope != scopeFinal {
		v = v.show(scopeFinal, -1)
	}
	if v.building {
		v.revealing = p
		return v
	}
	n := v.root.Find(p)
	if n == nil {
		return v
	}
	if !n.Visible {
		v.showHidden = true
	}
	if v.filtered() {
		if _, ok := v.computeStats()[n]; !ok {
			v.filter, v.minSize = pathFilter{mode: v.filter.mode}, 0
		}
	}
	v = v.refilter("")
	v.explicit = mapsClone(v.explicit)
	for a := n.Parent; a != nil; a = a.Parent {
		v.explicit[a.Path] = true
	}
	v = v.rebuild(n.Path)
	// Show the path in the middle of the list.
	h := v.listHeight()
	v.c.offset = max(0, v.c.pos-h/2)
	v.c.clamp(len(v.rows), h)
	return v
}

func (v filesView) View(width, height int) string {
	var b strings.Builder
	b.WriteString(v.header(width) + "\n")
	if v.scope != scopeFinal {
		b.WriteString(styleDim.Render(truncate(v.instruction("", v.layer), width)) + "\n")
	}
	attrs := width >= attrsMinWidth
	switch {
	case v.capturing():
		b.WriteString(v.fieldView(width) + "\n")
	case v.status != "":
		b.WriteString(styleStatus.Render(truncate(v.status, width)) + "\n")
	default:
		head := fmt.Sprintf("  %8s %3s  ", "SIZE", "L")
		if attrs {
			head += fmt.Sprintf("%-10s %-11s ", "MODE", "UID:GID")
		}
		if v.scope != scopeFinal {
			head += "  "
		}
		b.WriteString(styleDim.Render(head+"PATH") + "\n")
	}
	listH := v.listHeight()
	start, end := v.c.window(len(v.rows), listH)
	for i := start; i < end; i++ {
		row := v.row(v.rows[i], width-2, attrs)
		b.WriteString(listRow(row, i == v.c.pos, width) + "\n")
	}
	if len(v.rows) == 0 {
		msg := "nothing matches the filters (esc clears them)"
		switch {
		case v.waiting() && v.scope == scopeFinal:
			msg = "building the file tree…"
		case v.waiting():
			msg = "working out what each layer changed…"
		case v.scope != scopeFinal && v.idx == nil:
			msg = "what each layer changed is not known here"
			if v.idxErr != nil {
				msg += ": " + v.idxErr.Error()
			}
		case v.scope == scopeLayer && !v.filtered():
			msg = "this layer changes nothing in the file system"
		}
		b.WriteString(styleDim.Render("  "+msg) + "\n")
		end++
	}
	for i := end - start; i < listH; i++ {
		b.WriteString("\n")
	}
	b.WriteString(v.detail(width))
	return fit(b.String(), width, height)
}

// fieldView is the field being edited: its selected text in reverse, and
// why the text is not applied.
func (v filesView) fieldView(width int) string {
	s := v.input.View()
	if v.selectAll {
		s = v.input.Prompt + styleSelected.Render(v.input.Value())
	}
	if v.fieldErr != "" {
		s += "  " + styleError.Render(v.fieldErr)
	}
	return truncate(s, width)
}

// header sums up what the tree shows and how.
func (v filesView) header(width int) string {
	st := v.stat(v.root)
	if v.stats == nil {
		st = nodeStat{size: v.root.Size, hidden: v.root.HiddenBytes, files: v.root.Files}
	}
	var parts []string
	switch v.scope {
	case scopeFinal:
		parts = append(parts, "final")
	case scopeLayer:
		parts = append(parts, styleStatus.Render(fmt.Sprintf("layer %d of %d only", v.layer, len(v.layers)-1)))
	case scopeAsOf:
		parts = append(parts, styleStatus.Render(fmt.Sprintf("as of layer %d of %d", v.layer, len(v.layers)-1)))
	}
	// No figures for a tree not built yet (0 B in 0 files would be wrong).
	if !v.waiting() {
		figures := fmt.Sprintf("%s in %s", styleBytes.Render(humanize.Bytes(uint64(st.size))), files(st.files))
		if v.scope == scopeLayer {
			figures = "writes " + figures
		}
		if v.filtered() {
			figures += " that match"
		}
		parts = append(parts, figures)
		switch {
		case st.hidden > 0 && v.scope == scopeFinal:
			parts = append(parts, styleHidden.Render(humanize.Bytes(uint64(st.hidden))+" hidden"))
		case st.hidden > 0:
			parts = append(parts, styleHidden.Render("hides "+humanize.Bytes(uint64(st.hidden))))
		}
	}
	if v.filter.active() {
		parts = append(parts, styleStatus.Render(fmt.Sprintf("%s: %s", v.filter.mode, safeLine(v.filter.text))))
	}
	if v.scope != scopeFinal {
		if d := v.types.describe(); d != "" {
			parts = append(parts, styleStatus.Render(d))
		}
	}
	if v.minSize > 0 {
		parts = append(parts, styleStatus.Render("≥ "+humanize.Bytes(uint64(v.minSize))))
	}
	if v.showHidden {
		parts = append(parts, "hidden shown")
	}
	sort := "size"
	if !v.bySize {
		sort = "name"
	}
	parts = append(parts, "sort: "+sort)
	return truncate(strings.Join(parts, " · "), width)
}

// changeMark is a node's change marker, in its colour.
func changeMark(k fsview.ChangeKind) string {
	return changeColour(k).Render(changeStyles[k].marker)
}

// row renders a node or a hidden copy in width cells; attrs adds mode,
// owner and group. What gives way to a narrow screen: the rule tags, the
// hidden bytes, the indentation, then the middle of the name; never the
// size.
func (v filesView) row(r fileRow, width int, attrs bool) string {
	n := r.node
	var b strings.Builder
	if r.copy >= 0 {
		c := n.Hidden[r.copy]
		fmt.Fprintf(&b, "%8s %3s  ", humanize.Bytes(uint64(c.Size)), fmt.Sprintf("L%d", c.Layer))
		if attrs {
			b.WriteString(strings.Repeat(" ", 23))
		}
		if v.scope != scopeFinal {
			b.WriteString("  ")
		}
		lead := b.String()
		text := fmt.Sprintf("✗ hidden copy: stored by layer %d, %s by layer %d", c.Layer, c.Reason, c.HiddenBy)
		indent := indentFor(r.depth, width-ansi.StringWidth(lead)-ansi.StringWidth(text))
		return styleHidden.Render(truncate(lead+indent+text, width))
	}
	st := v.stat(n)
	size := humanize.Bytes(uint64(st.size))
	sizeStyle := styleNone
	switch {
	case !n.Visible:
		size, sizeStyle = humanize.Bytes(uint64(st.hidden)), styleHidden
	case !n.IsDir() && n.Kind != layer.KindFile:
		size = ""
	}
	lcol := ""
	if n.Layer >= 0 && (n.Visible || v.scope != scopeFinal) {
		// A directory's layer only wrote its entry: dim, as a hint.
		lcol = fmt.Sprintf("L%d", n.Layer)
		if n.IsDir() || !n.Visible {
			lcol = styleDim.Render(padLeft(lcol, 3))
		}
	}
	b.WriteString(sizeStyle.Render(padLeft(size, 8)) + " " + padLeft(lcol, 3) + "  ")
	if attrs {
		b.WriteString(styleDim.Render(attrColumn(n)) + " ")
	}
	if v.scope != scopeFinal {
		b.WriteString(changeMark(n.Change) + " ")
	}
	marker := "  "
	name := textsafe.Term(n.Name)
	nameStyle := changeColour(n.Change)
	switch {
	case !n.Visible && v.scope == scopeFinal:
		marker = "✗ "
		name += " (gone)"
		nameStyle = styleHidden
	case n.IsDir():
		marker = "▸ "
		if v.isOpen(n) {
			marker = "▾ "
		}
		if len(n.Children) == 0 {
			marker = "  "
			if !n.Visible {
				marker = "✗ "
			}
		}
		name += "/"
		if n.Change == fsview.ChangeNone {
			nameStyle = styleDir
		}
	case !n.Visible:
		marker = "✗ "
	}
	var suffix []string
	switch {
	case n.Kind == layer.KindSymlink:
		suffix = append(suffix, styleLink.Render("→ "+textsafe.Term(n.Link)))
	case n.Hardlink:
		suffix = append(suffix, styleDim.Render("(hardlink)"))
	}
	if len(n.Rules) > 0 {
		suffix = append(suffix, styleRule.Render("["+strings.Join(n.Rules, " ")+"]"))
	} else if len(r.inherited) > 0 {
		suffix = append(suffix, styleDim.Render("["+strings.Join(r.inherited, " ")+"]"))
	}
	if st.hidden > 0 && n.Visible && !(v.showHidden && !n.IsDir()) {
		suffix = append(suffix, styleHidden.Render("+"+humanize.Bytes(uint64(st.hidden))+" hidden"))
	}
	lead := b.String()
	room := width - ansi.StringWidth(lead) - ansi.StringWidth(marker)
	// Drop the suffixes that do not fit, last first.
	for len(suffix) > 0 && ansi.StringWidth(name)+1+ansi.StringWidth(strings.Join(suffix, " "))+2*r.depth > room {
		suffix = suffix[:len(suffix)-1]
	}
	tail := ""
	if len(suffix) > 0 {
		tail = " " + strings.Join(suffix, " ")
	}
	indent := indentFor(r.depth, room-ansi.StringWidth(tail)-min(ansi.StringWidth(name), room*2/3))
	name = cutMiddle(name, room-len(indent)-ansi.StringWidth(tail))
	return lead + indent + marker + nameStyle.Render(name) + tail
}

// indentFor is the indentation of a row at depth, in at most room cells.
func indentFor(depth, room int) string {
	return strings.Repeat(" ", max(0, min(2*depth, room)))
}

// attrColumn is a node's mode and owner as ls -n shows them.
func attrColumn(n *TreeNode) string {
	if !n.Attrs {
		return strings.Repeat(" ", 22)
	}
	return fmt.Sprintf("%-10s %-11s", modeString(n.Kind, n.Mode), fmt.Sprintf("%d:%d", n.UID, n.GID))
}

// modeString is ls's: the type, then rwx with s, S, t and T.
func modeString(k layer.Kind, mode uint32) string {
	b := []byte("----------")
	switch k {
	case layer.KindDir:
		b[0] = 'd'
	case layer.KindSymlink:
		b[0] = 'l'
	case layer.KindChar:
		b[0] = 'c'
	case layer.KindBlock:
		b[0] = 'b'
	case layer.KindFifo:
		b[0] = 'p'
	}
	const rwx = "rwxrwxrwx"
	for i := 0; i < 9; i++ {
		if mode&(1<<(8-i)) != 0 {
			b[1+i] = rwx[i]
		}
	}
	special := func(bit uint32, at int, set, unset byte) {
		if mode&bit != 0 {
			if b[at] == 'x' {
				b[at] = set
			} else {
				b[at] = unset
			}
		}
	}
	special(0o4000, 3, 's', 'S')
	special(0o2000, 6, 's', 'S')
	special(0o1000, 9, 't', 'T')
	return string(b)
}

// detail is the panel below the tree: the selected path, what the layer
// did there (or which layer wrote it), and what flags it.
func (v filesView) detail(width int) string {
	var b strings.Builder
	b.WriteString(rule("", width) + "\n")
	if len(v.rows) == 0 {
		return b.String()
	}
	r := v.rows[v.c.pos]
	n := r.node
	p := textsafe.Term(n.Path)
	var lines []string
	if r.copy >= 0 {
		c := n.Hidden[r.copy]
		what := fmt.Sprintf(" · hidden copy of %s", humanize.Bytes(uint64(c.Size)))
		lines = append(lines, styleTitle.Render(cutMiddle(p, pathRoom(p, what, width)))+styleHidden.Render(what),
			v.instructionLine("stored by", c.Layer), v.instructionLine(c.Reason.String()+" by", c.HiddenBy))
	} else {
		head := " · " + n.Kind.String()
		if n.IsDir() {
			st := v.stat(n)
			head += fmt.Sprintf(" · %s in %s", humanize.Bytes(uint64(st.size)), files(st.files))
			if v.filtered() {
				head += " that match"
			}
		} else if n.Visible {
			head += " · " + humanize.Bytes(uint64(n.Size))
		}
		if n.Attrs {
			head += fmt.Sprintf(" · %s %d:%d", modeString(n.Kind, n.Mode), n.UID, n.GID)
		}
		lines = append(lines, styleTitle.Render(cutMiddle(p, pathRoom(p, head, width)))+head)
		lines = append(lines, v.changeLines(n)...)
		ids := n.Rules
		if len(ids) == 0 {
			ids = r.inherited
		}
		if len(ids) > 0 {
			var names []string
			for _, id := range ids {
				if rule := rules.RuleByID(id); rule != nil {
					names = append(names, id+" "+rule.Name)
				} else {
					names = append(names, id)
				}
			}
			lines = append(lines, styleRule.Render("flagged: "+strings.Join(names, ", ")))
		}
	}
	for _, l := range lines[:min(len(lines), fileDetailLines-1)] {
		b.WriteString(truncate(l, width) + "\n")
	}
	return b.String()
}

// pathRoom is the room for a path before its description on a line: what
// the description leaves, but at least half the line (the line is cut
// after, with an ellipsis).
func pathRoom(p, rest string, width int) int {
	return max(width-ansi.StringWidth(rest), min(ansi.StringWidth(p), width/2))
}

// changeLines say what the layer did at the node, or which layer wrote it.
func (v filesView) changeLines(n *TreeNode) []string {
	hidden := func() string {
		if n.HiddenBytes > 0 && !n.IsDir() {
			return fmt.Sprintf(" · hides %s stored below", humanize.Bytes(uint64(n.HiddenBytes)))
		}
		return ""
	}
	switch {
	case v.scope == scopeFinal && n.Visible && n.Layer >= 0 && len(n.Hidden) > 0:
		// Every layer that stored the path, as dive users ask (#107).
		return []string{styleDim.Render(fmt.Sprintf("written by layer %d, before it by %s (%s hidden): %s", n.Layer,
			copyLayers(n.Hidden), humanize.Bytes(uint64(n.HiddenBytes)), v.command(n.Layer)))}
	case v.scope == scopeFinal && n.Visible && n.Layer >= 0:
		return []string{v.instructionLine("written by", n.Layer)}
	case v.scope == scopeFinal && !n.Visible && len(n.Hidden) > 0:
		// The copy hidden last is the one whose layer removed the path.
		last := slices.MaxFunc(n.Hidden, func(a, b fsview.Copy) int { return cmp.Compare(a.HiddenBy, b.HiddenBy) })
		return []string{styleHidden.Render(fmt.Sprintf("gone: stored by %s, %s by layer %d (%s hidden; x shows them)",
			copyLayers(n.Hidden), last.Reason, last.HiddenBy, humanize.Bytes(uint64(n.HiddenBytes))))}
	case v.scope == scopeFinal && !n.Visible:
		return []string{styleHidden.Render(fmt.Sprintf("gone from the final file system; %s of hidden copies (x shows them)", humanize.Bytes(uint64(n.HiddenBytes))))}
	case v.scope == scopeFinal:
		return nil
	}
	k := n.Change
	st := changeColour(k)
	switch k {
	case fsview.ChangeRemoved:
		line := st.Render(fmt.Sprintf("removed by layer %d", v.layer))
		if n.HiddenBytes > 0 {
			line += st.Render(fmt.Sprintf(", which hides the %s stored below", humanize.Bytes(uint64(n.HiddenBytes))))
		}
		out := []string{line}
		if n.Layer >= 0 {
			out = append(out, v.instructionLine("stored by", n.Layer))
		}
		return out
	case fsview.ChangeAdded:
		return []string{st.Render(fmt.Sprintf("added by layer %d", v.layer))}
	case fsview.ChangeContent:
		line := st.Render(fmt.Sprintf("content changed by layer %d", v.layer)) + hidden()
		if bf := n.Before; bf != nil {
			was := bf.Entry.Kind.String()
			if bf.Entry.Kind == layer.KindFile {
				was = humanize.Bytes(uint64(bf.Entry.Size))
			}
			return []string{line, styleDim.Render(fmt.Sprintf("was %s, %s", was, v.instruction("from layer", bf.Layer)))}
		}
		return []string{line}
	case fsview.ChangeMetadata:
		line := st.Render(fmt.Sprintf("metadata only, by layer %d", v.layer)) + hidden()
		if bf := n.Before; bf != nil {
			return []string{line, styleDim.Render(metadataChange(bf, n))}
		}
		return []string{line}
	}
	if n.Layer >= 0 && n.Layer != v.layer {
		return []string{v.instructionLine("unchanged, written by", n.Layer)}
	}
	if n.Layer == v.layer {
		return []string{styleDim.Render(fmt.Sprintf("listed again by layer %d, unchanged", v.layer))}
	}
	return nil
}

// metadataChange says what a metadata-only rewrite changed.
func metadataChange(bf *Before, n *TreeNode) string {
	var what []string
	if bf.Entry.UID != n.UID || bf.Entry.GID != n.GID {
		what = append(what, fmt.Sprintf("owner %d:%d → %d:%d", bf.Entry.UID, bf.Entry.GID, n.UID, n.GID))
	}
	if bf.Entry.Mode != n.Mode {
		what = append(what, fmt.Sprintf("mode %s → %s", modeString(n.Kind, bf.Entry.Mode), modeString(n.Kind, n.Mode)))
	}
	if len(what) == 0 {
		what = append(what, "same owner and mode: only the time changed")
	}
	s := strings.Join(what, " · ")
	if n.Kind == layer.KindFile && !n.Hardlink && n.Size > 0 {
		s += fmt.Sprintf(" · the same %s stored again (layer %d has it)", humanize.Bytes(uint64(n.Size)), bf.Layer)
	}
	return s
}

// copyLayers names the layers that stored the copies: "layer 1", "layers 1, 2".
func copyLayers(copies []fsview.Copy) string {
	var ls []string
	for _, c := range copies {
		if l := strconv.Itoa(c.Layer); !slices.Contains(ls, l) {
			ls = append(ls, l)
		}
	}
	if len(ls) == 1 {
		return "layer " + ls[0]
	}
	return "layers " + strings.Join(ls, ", ")
}

// command is a layer's instruction, on one line.
func (v filesView) command(layer int) string {
	if layer < 0 || layer >= len(v.layers) {
		return ""
	}
	return imageText(v.layers[layer].CreatedBy)
}

func (v filesView) instructionLine(what string, layer int) string {
	return styleDim.Render(v.instruction(what+" layer", layer))
}

// instruction is "what N: the layer's instruction"; with what empty, the
// layer's instruction alone.
func (v filesView) instruction(what string, layer int) string {
	if what == "" && layer >= 0 && layer < len(v.layers) {
		return fmt.Sprintf("#%d %s", layer, v.command(layer))
	}
	s := fmt.Sprintf("%s %d", what, layer)
	if layer >= 0 && layer < len(v.layers) {
		s += ": " + v.command(layer)
	}
	return s
}
