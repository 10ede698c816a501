package tui

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
)

// autoOpenLimit: a filter that leaves at most this many paths opens every
// directory on the way to them; a wider one opens only the top level.
const autoOpenLimit = 2000

// fileDetailLines is the height of the panel below the tree.
const fileDetailLines = 4

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

// filesView is the merged file tree with sizes: sortable, filterable by
// path and by layer, with the findings' rules beside the paths they flag
// and the hidden (wasted) copies on demand.
type filesView struct {
	root       *TreeNode
	layers     []inspect.LayerReport
	open       map[*TreeNode]bool // without a filter
	fopen      map[*TreeNode]bool // under the current filter
	bySize     bool
	layer      int // -1: every layer
	showHidden bool
	input      textinput.Model
	query      string
	// stats holds the included nodes under a filter; nil without one.
	stats  map[*TreeNode]nodeStat
	rows   []fileRow
	c      cursor
	height int
}

var fileKeys = struct {
	Toggle, Open, Close, Sort, Filter, Hidden, Clear, ExpandAll, CollapseAll, Apply, Cancel key.Binding
}{
	Toggle:      key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", "open")),
	Open:        key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "open")),
	Close:       key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "close/parent")),
	Sort:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sort")),
	Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
	Hidden:      key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "hidden")),
	Clear:       key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
	ExpandAll:   key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "open all")),
	CollapseAll: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "close all")),
	Apply:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
	Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear")),
}

var filesHelp = keyMap{
	short: []key.Binding{fileKeys.Toggle, fileKeys.Sort, fileKeys.Filter, fileKeys.Hidden},
	full: [][]key.Binding{nav.bindings(),
		{fileKeys.Toggle, fileKeys.Open, fileKeys.Close, fileKeys.ExpandAll, fileKeys.CollapseAll},
		{fileKeys.Sort, fileKeys.Filter, fileKeys.Hidden, fileKeys.Clear}},
}

var filterHelp = keyMap{short: []key.Binding{fileKeys.Apply, fileKeys.Cancel}, full: [][]key.Binding{{fileKeys.Apply, fileKeys.Cancel}}}

func newFilesView(in *Input) filesView {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.Placeholder = "path contains… (lower case matches any case)"
	v := filesView{root: in.Tree, layers: in.Report.Layers, open: map[*TreeNode]bool{}, bySize: true, layer: -1, input: ti}
	if v.root == nil {
		v.root = &TreeNode{Name: "/", Path: "/", Kind: inspect.KindDir, Layer: -1, Visible: true}
	}
	v.rows = v.flatten()
	return v
}

// capturing reports whether the filter field has the keyboard.
func (v filesView) capturing() bool { return v.input.Focused() }

func (v filesView) help() keyMap {
	if v.capturing() {
		return filterHelp
	}
	return filesHelp
}

func (v filesView) listHeight() int { return max(1, v.height-2-fileDetailLines) }

func (v filesView) resize(width, height int) filesView {
	v.height = height
	v.input.SetWidth(max(10, width-2))
	v.c.clamp(len(v.rows), v.listHeight())
	return v
}

func (v filesView) Update(msg tea.Msg) (filesView, tea.Cmd) {
	switch msg := msg.(type) {
	case filterLayerMsg:
		v.layer = msg.layer
		v = v.refilter()
		return v, nil
	case revealMsg:
		return v.reveal(msg.path), nil
	case tea.KeyPressMsg:
		if v.capturing() {
			return v.updateFilter(msg)
		}
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

// updateFilter edits the path filter; the tree follows as one types.
func (v filesView) updateFilter(msg tea.KeyPressMsg) (filesView, tea.Cmd) {
	switch {
	case key.Matches(msg, fileKeys.Apply):
		v.input.Blur()
		return v, nil
	case key.Matches(msg, fileKeys.Cancel):
		v.input.Blur()
		v.input.SetValue("")
		v.query = ""
		return v.refilter(), nil
	}
	var cmd tea.Cmd
	v.input, cmd = v.input.Update(msg)
	if q := v.input.Value(); q != v.query {
		v.query = q
		v = v.refilter()
	}
	return v, cmd
}

func (v filesView) updateKey(msg tea.KeyPressMsg) (filesView, tea.Cmd) {
	var row fileRow
	if len(v.rows) > 0 {
		row = v.rows[v.c.pos]
	}
	switch {
	case key.Matches(msg, fileKeys.Filter):
		v.input.SetValue(v.query)
		v.input.CursorEnd()
		return v, v.input.Focus()
	case key.Matches(msg, fileKeys.Clear):
		if v.query == "" && v.layer < 0 {
			return v, nil
		}
		v.query, v.layer = "", -1
		v.input.SetValue("")
		v = v.refilter()
		return v, func() tea.Msg { return layerFilterClearedMsg{} }
	case key.Matches(msg, fileKeys.Sort):
		v.bySize = !v.bySize
		return v.rebuild(row.node), nil
	case key.Matches(msg, fileKeys.Hidden):
		v.showHidden = !v.showHidden
		if v.filtered() {
			v.stats = v.computeStats()
		}
		return v.rebuild(row.node), nil
	case key.Matches(msg, fileKeys.ExpandAll):
		v.setOpenAll(true)
		return v.rebuild(row.node), nil
	case key.Matches(msg, fileKeys.CollapseAll):
		v.setOpenAll(false)
		return v.rebuild(nil), nil
	}
	if row.node == nil {
		v.c.navigate(msg, len(v.rows), v.listHeight())
		return v, nil
	}
	n := row.node
	hasKids := len(n.Children) > 0 && row.copy < 0
	switch {
	case key.Matches(msg, fileKeys.Toggle) && hasKids:
		v.setOpen(n, !v.openMap()[n])
		return v.rebuild(n), nil
	case key.Matches(msg, fileKeys.Open) && hasKids:
		v.setOpen(n, true)
		return v.rebuild(n), nil
	case key.Matches(msg, fileKeys.Close):
		if hasKids && v.openMap()[n] {
			v.setOpen(n, false)
			return v.rebuild(n), nil
		}
		target := n
		if row.copy < 0 {
			target = n.Parent
		}
		if target != nil && target != v.root {
			v.setOpen(target, false)
			return v.rebuild(target), nil
		}
		return v, nil
	}
	v.c.navigate(msg, len(v.rows), v.listHeight())
	return v, nil
}

// layerFilterClearedMsg tells the layers view that the files view shows
// every layer again.
type layerFilterClearedMsg struct{}

func (v filesView) filtered() bool { return v.layer >= 0 || v.query != "" }

func (v filesView) openMap() map[*TreeNode]bool {
	if v.filtered() {
		return v.fopen
	}
	return v.open
}

func (v *filesView) setOpen(n *TreeNode, open bool) {
	m := mapsClone(v.openMap())
	m[n] = open
	if v.filtered() {
		v.fopen = m
	} else {
		v.open = m
	}
}

func (v *filesView) setOpenAll(open bool) {
	m := map[*TreeNode]bool{}
	if open {
		var walk func(n *TreeNode)
		walk = func(n *TreeNode) {
			for _, c := range n.Children {
				if len(c.Children) > 0 && v.included(c) {
					m[c] = true
					walk(c)
				}
			}
		}
		walk(v.root)
	}
	if v.filtered() {
		v.fopen = m
	} else {
		v.open = m
	}
}

// refilter recomputes what the filters include, opens the directories on
// the way to the matches and puts the cursor on the first row.
func (v filesView) refilter() filesView {
	v.stats = nil
	v.fopen = nil
	if v.filtered() {
		v.stats = v.computeStats()
		v.fopen = map[*TreeNode]bool{}
		deep := len(v.stats) <= autoOpenLimit
		for n := range v.stats {
			if len(n.Children) > 0 && (deep || n.Parent == v.root) {
				v.fopen[n] = true
			}
		}
	}
	v.rows = v.flatten()
	v.c = cursor{}
	return v
}

// rebuild lists the rows again and keeps the cursor on keep.
func (v filesView) rebuild(keep *TreeNode) filesView {
	v.rows = v.flatten()
	if keep != nil {
		for i, r := range v.rows {
			if r.node == keep && r.copy < 0 {
				v.c.pos = i
				break
			}
		}
	}
	v.c.clamp(len(v.rows), v.listHeight())
	return v
}

// matches reports whether the node itself passes the filters.
func (v filesView) matches(n *TreeNode) bool {
	if !n.Visible && !v.showHidden {
		return false
	}
	if v.query != "" {
		p := n.Path
		if strings.ToLower(v.query) == v.query {
			p = strings.ToLower(p)
		}
		if !strings.Contains(p, v.query) {
			return false
		}
	}
	if v.layer >= 0 {
		if n.Visible && !n.IsDir() && n.Layer == v.layer {
			return true
		}
		if v.showHidden {
			for _, c := range n.Hidden {
				if c.Layer == v.layer {
					return true
				}
			}
		}
		return false
	}
	return true
}

// computeStats walks the whole tree once and keeps the nodes that match
// or lead to a match, with their sizes under the filters.
func (v filesView) computeStats() map[*TreeNode]nodeStat {
	stats := map[*TreeNode]nodeStat{}
	var walk func(n *TreeNode) bool
	walk = func(n *TreeNode) bool {
		var st nodeStat
		any := false
		for _, c := range n.Children {
			if walk(c) {
				any = true
				cs := stats[c]
				st.size += cs.size
				st.hidden += cs.hidden
				st.files += cs.files
			}
		}
		self := n != v.root && v.matches(n)
		if self && !n.IsDir() {
			if v.layer < 0 || n.Layer == v.layer {
				st.size += n.counted()
				st.files += n.Files
			}
			for _, c := range n.Hidden {
				if v.layer < 0 || c.Layer == v.layer {
					st.hidden += c.Size
				}
			}
		}
		if !self && !any {
			return false
		}
		stats[n] = st
		return true
	}
	walk(v.root)
	return stats
}

func (v filesView) included(n *TreeNode) bool {
	if v.stats != nil {
		_, ok := v.stats[n]
		return ok
	}
	return n.Visible || v.showHidden
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
	open := v.openMap()
	var walk func(n *TreeNode, depth int, inherited []string)
	walk = func(n *TreeNode, depth int, inherited []string) {
		for _, c := range v.children(n) {
			rows = append(rows, fileRow{node: c, depth: depth, copy: -1, inherited: inherited})
			if v.showHidden {
				for i, h := range c.Hidden {
					if v.layer < 0 || h.Layer == v.layer {
						rows = append(rows, fileRow{node: c, depth: depth + 1, copy: i})
					}
				}
			}
			if open[c] && len(c.Children) > 0 {
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

// reveal shows the path p: the filters that hide it go, the directories
// above it open, and the cursor lands on it.
func (v filesView) reveal(p string) filesView {
	n := v.root.Find(p)
	if n == nil {
		return v
	}
	if !n.Visible {
		v.showHidden = true
	}
	if v.filtered() {
		if _, ok := v.computeStats()[n]; !ok {
			v.query, v.layer = "", -1
			v.input.SetValue("")
		}
		v = v.refilter()
	}
	m := mapsClone(v.openMap())
	for a := n.Parent; a != nil; a = a.Parent {
		m[a] = true
	}
	if v.filtered() {
		v.fopen = m
	} else {
		v.open = m
	}
	v = v.rebuild(n)
	// Show the path in the middle of the list.
	h := v.listHeight()
	v.c.offset = max(0, v.c.pos-h/2)
	v.c.clamp(len(v.rows), h)
	return v
}

func (v filesView) View(width, height int) string {
	var b strings.Builder
	b.WriteString(v.header(width) + "\n")
	if v.capturing() {
		b.WriteString(v.input.View() + "\n")
	} else {
		b.WriteString(styleDim.Render(fmt.Sprintf("  %8s %3s  %s", "SIZE", "L", "PATH")) + "\n")
	}
	listH := v.listHeight()
	start, end := v.c.window(len(v.rows), listH)
	for i := start; i < end; i++ {
		row := v.row(v.rows[i])
		row = listRow(row, i == v.c.pos, width)
		b.WriteString(row + "\n")
	}
	if len(v.rows) == 0 {
		b.WriteString(styleDim.Render("  nothing matches the filters (esc clears them)") + "\n")
		end++
	}
	for i := end - start; i < listH; i++ {
		b.WriteString("\n")
	}
	b.WriteString(v.detail(width))
	return fit(b.String(), width, height)
}

// header sums up what the tree shows and how.
func (v filesView) header(width int) string {
	st := v.stat(v.root)
	if v.stats == nil {
		st = nodeStat{size: v.root.Size, hidden: v.root.HiddenBytes, files: v.root.Files}
	}
	parts := []string{fmt.Sprintf("%s in %s", styleBytes.Render(humanize.Bytes(uint64(st.size))), files(st.files))}
	if st.hidden > 0 {
		parts = append(parts, styleHidden.Render(humanize.Bytes(uint64(st.hidden))+" hidden"))
	}
	sort := "size"
	if !v.bySize {
		sort = "name"
	}
	parts = append(parts, "sort: "+sort)
	if v.layer >= 0 {
		parts = append(parts, styleStatus.Render(fmt.Sprintf("layer %d only", v.layer)))
	}
	if v.query != "" {
		parts = append(parts, styleStatus.Render("filter: "+v.query))
	}
	if v.showHidden {
		parts = append(parts, "hidden shown")
	}
	return truncate(strings.Join(parts, " · "), width)
}

func (v filesView) row(r fileRow) string {
	n := r.node
	indent := strings.Repeat("  ", r.depth)
	if r.copy >= 0 {
		c := n.Hidden[r.copy]
		return styleHidden.Render(fmt.Sprintf("%8s %3s  %s✗ hidden copy: stored by layer %d, %s by layer %d",
			humanize.Bytes(uint64(c.Size)), fmt.Sprintf("L%d", c.Layer), indent, c.Layer, c.Reason, c.HiddenBy))
	}
	st := v.stat(n)
	size := humanize.Bytes(uint64(st.size))
	if !n.Visible || (!n.IsDir() && n.Kind != inspect.KindFile) {
		size = ""
	}
	layer := ""
	if n.Visible && n.Layer >= 0 {
		// A directory's layer only wrote its entry: dim, as a hint.
		layer = fmt.Sprintf("L%d", n.Layer)
		if n.IsDir() {
			layer = styleDim.Render(padLeft(layer, 3))
		}
	}
	marker := "  "
	name := n.Name
	switch {
	case !n.Visible:
		marker = "✗ "
		name = styleHidden.Render(name + " (gone)")
	case n.IsDir():
		marker = "▸ "
		if v.openMap()[n] {
			marker = "▾ "
		}
		if len(n.Children) == 0 {
			marker = "  "
		}
		name = styleDir.Render(name + "/")
	case n.Kind == inspect.KindSymlink:
		name += styleLink.Render(" → " + n.Link)
	case n.Hardlink:
		name += styleDim.Render(" (hardlink)")
	}
	line := fmt.Sprintf("%8s %3s  %s%s%s", size, layer, indent, marker, name)
	if len(n.Rules) > 0 {
		line += " " + styleRule.Render("["+strings.Join(n.Rules, " ")+"]")
	} else if len(r.inherited) > 0 {
		line += " " + styleDim.Render("["+strings.Join(r.inherited, " ")+"]")
	}
	if st.hidden > 0 && !(v.showHidden && !n.IsDir()) {
		line += " " + styleHidden.Render("+"+humanize.Bytes(uint64(st.hidden))+" hidden")
	}
	return line
}

// detail is the panel below the tree: the selected path, its layer's
// instruction and what flags it.
func (v filesView) detail(width int) string {
	var b strings.Builder
	b.WriteString(rule("", width) + "\n")
	if len(v.rows) == 0 {
		return b.String()
	}
	r := v.rows[v.c.pos]
	n := r.node
	var lines []string
	if r.copy >= 0 {
		c := n.Hidden[r.copy]
		lines = append(lines, styleTitle.Render(n.Path)+styleHidden.Render(fmt.Sprintf(" · hidden copy of %s", humanize.Bytes(uint64(c.Size)))),
			v.instruction("stored by", c.Layer), v.instruction(c.Reason.String()+" by", c.HiddenBy))
	} else {
		head := styleTitle.Render(n.Path) + " · " + n.Kind.String()
		if n.IsDir() {
			st := v.stat(n)
			head += fmt.Sprintf(" · %s in %s", humanize.Bytes(uint64(st.size)), files(st.files))
			if v.filtered() {
				head += " that match"
			}
		} else if n.Visible {
			head += " · " + humanize.Bytes(uint64(n.Size))
		}
		lines = append(lines, head)
		if n.Visible && n.Layer >= 0 {
			lines = append(lines, v.instruction("written by", n.Layer))
		} else if !n.Visible {
			lines = append(lines, styleHidden.Render(fmt.Sprintf("gone from the final file system; %s of hidden copies (x shows them)", humanize.Bytes(uint64(n.HiddenBytes)))))
		}
		rules := n.Rules
		if len(rules) == 0 {
			rules = r.inherited
		}
		if len(rules) > 0 {
			var names []string
			for _, id := range rules {
				if rule := inspect.RuleByID(id); rule != nil {
					names = append(names, id+" "+rule.Name)
				} else {
					names = append(names, id)
				}
			}
			lines = append(lines, styleRule.Render("flagged: "+strings.Join(names, ", ")))
		}
	}
	for _, l := range lines {
		b.WriteString(truncate(l, width) + "\n")
	}
	return b.String()
}

func (v filesView) instruction(what string, layer int) string {
	s := fmt.Sprintf("%s layer %d", what, layer)
	if layer >= 0 && layer < len(v.layers) {
		s += ": " + oneLine(v.layers[layer].CreatedBy)
	}
	return styleDim.Render(s)
}
