package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// filterLayerMsg asks the files view to show only what one layer wrote
// (-1: every layer) and the root to switch to it.
type filterLayerMsg struct{ layer int }

// layersView lists the layers: size, wasted bytes, instruction. Enter
// filters the files view to the selected layer.
type layersView struct {
	layers []inspect.LayerReport
	c      cursor
	height int
	// filtered is the layer the files view shows; -1 for all.
	filtered int
}

var layerKeys = struct{ Select, Clear key.Binding }{
	Select: key.NewBinding(key.WithKeys("enter", "space"), key.WithHelp("enter", "its files")),
	Clear:  key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "all layers")),
}

var layersHelp = keyMap{
	short: []key.Binding{navHelp, layerKeys.Select, layerKeys.Clear},
	full:  [][]key.Binding{nav.bindings(), {layerKeys.Select, layerKeys.Clear}},
}

// splitLayersHelp is the layer list's help in the split view, where the
// tree's filter and as-of keys work from the list too.
var splitLayersHelp = keyMap{
	short: []key.Binding{navHelp, layerKeys.Select, fileKeys.AsOf, fileKeys.Filter, layerKeys.Clear},
	full: [][]key.Binding{nav.bindings(), {layerKeys.Select, layerKeys.Clear},
		{fileKeys.AsOf, fileKeys.Filter, fileKeys.Types, fileKeys.MinSize, fileKeys.Hidden, fileKeys.Sort}},
}

// layerDetailLines is the height of the panel below the table.
const layerDetailLines = 6

func newLayersView(r inspect.Report) layersView {
	return layersView{layers: r.Layers, filtered: -1}
}

func (v layersView) listHeight() int { return max(1, v.height-1-layerDetailLines) }

func (v layersView) Update(msg tea.Msg) (layersView, tea.Cmd) {
	switch msg := msg.(type) {
	case filterLayerMsg:
		v.filtered = msg.layer
		return v, nil
	case clickMsg:
		i := v.c.offset + msg.y - 1
		if msg.y < 1 || i >= len(v.layers) || i >= v.c.offset+v.listHeight() {
			return v, nil
		}
		if i == v.c.pos {
			return v.Update(enterKey)
		}
		v.c.pos = i
		return v, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, layerKeys.Select) && len(v.layers) > 0:
			l := v.layers[v.c.pos].Index
			return v, func() tea.Msg { return filterLayerMsg{layer: l} }
		case key.Matches(msg, layerKeys.Clear) && v.filtered >= 0:
			return v, func() tea.Msg { return filterLayerMsg{layer: -1} }
		}
	}
	v.c.navigate(msg, len(v.layers), v.listHeight())
	return v, nil
}

func (v layersView) resize(_, height int) layersView {
	v.height = height
	v.c.clamp(len(v.layers), v.listHeight())
	return v
}

// compactRowAt is the layer of the compact list's line y (-1: the final
// tree); ok is false for a line that is no row.
func (v layersView) compactRowAt(y, height, shown int) (layer int, ok bool) {
	start, end := v.compactWindow(height, shown)
	i := start + y - 1
	if y < 1 || i >= end {
		return 0, false
	}
	return i - 1, true
}

// compactDetailLines is the height of the layer's panel below the
// compact list.
func compactDetailLines(height int) int { return min(9, height/3) }

// compactWindow is the range of rows the compact list shows: row 0 is the
// final tree, row i+1 layer i; the shown one stays on screen.
func (v layersView) compactWindow(height, shown int) (start, end int) {
	n := len(v.layers) + 1
	rows := max(1, height-1-compactDetailLines(height))
	c := cursor{pos: shown + 1, offset: max(0, shown+1-rows/2)}
	return c.window(n, rows)
}

// compact is the layer list beside the tree in the split view: the final
// tree, then every layer with its size and instruction; the one the tree
// shows is highlighted, and its panel follows.
func (v layersView) compact(width, height int, focused bool, shown int) string {
	var b strings.Builder
	title := "Layers"
	if focused {
		title = "Layers · j/k steps, the tree follows"
		b.WriteString(styleTitle.Render(truncate(title, width)) + "\n")
	} else {
		b.WriteString(styleDim.Render(truncate(title+" · [ ] steps", width)) + "\n")
	}
	start, end := v.compactWindow(height, shown)
	for i := start; i < end; i++ {
		var row string
		if i == 0 {
			row = styleDir.Render("final file system")
		} else {
			l := v.layers[i-1]
			row = fmt.Sprintf("%2d %7s  %s", l.Index, humanize.Bytes(uint64(l.Size)), imageText(l.CreatedBy))
		}
		b.WriteString(listRow(truncate(row, width-2), i == shown+1, width) + "\n")
	}
	rows := max(1, height-1-compactDetailLines(height))
	for i := end - start; i < rows; i++ {
		b.WriteString("\n")
	}
	if shown >= 0 && shown < len(v.layers) {
		b.WriteString(v.panel(v.layers[shown], width, compactDetailLines(height)))
	}
	return fit(b.String(), width, height)
}

func (v layersView) View(width, height int) string {
	listH := v.listHeight()
	var b strings.Builder
	instrW := max(10, width-38)
	b.WriteString(styleDim.Render(fmt.Sprintf("     %3s %9s %9s %7s  %s", "#", "SIZE", "WASTED", "FILES", "INSTRUCTION")) + "\n")
	start, end := v.c.window(len(v.layers), listH)
	for i := start; i < end; i++ {
		l := v.layers[i]
		mark := "  "
		if l.Index == v.filtered {
			mark = styleStatus.Render("● ")
		}
		wasted := humanize.Bytes(uint64(l.WastedBytes))
		if l.WastedBytes > 0 {
			wasted = styleBad.Render(padLeft(wasted, 9))
		} else {
			wasted = styleDim.Render(padLeft(wasted, 9))
		}
		row := fmt.Sprintf("%s %3d %9s %s %7s  %s", mark, l.Index, humanize.Bytes(uint64(l.Size)), wasted,
			humanize.Comma(int64(l.Files)), truncate(imageText(l.CreatedBy), instrW))
		row = listRow(row, i == v.c.pos, width)
		b.WriteString(row + "\n")
	}
	for i := end - start; i < listH; i++ {
		b.WriteString("\n")
	}
	b.WriteString(v.detail(width))
	return fit(b.String(), width, height)
}

// detail describes the selected layer: what it changed and its whole
// instruction.
func (v layersView) detail(width int) string {
	if len(v.layers) == 0 {
		return styleDim.Render("no layers")
	}
	return v.panel(v.layers[v.c.pos], width, layerDetailLines)
}

// panel is a layer's figures and its instruction, wrapped, in lines lines.
func (v layersView) panel(l inspect.LayerReport, width, lines int) string {
	var b strings.Builder
	b.WriteString(rule("", width) + "\n")
	parts := []string{fmt.Sprintf("layer %d", l.Index)}
	for _, c := range []struct {
		what  string
		bytes int64
		files int
	}{{"added", l.AddedBytes, l.AddedFiles}, {"modified", l.ModifiedBytes, l.ModifiedFiles}, {"removed", l.RemovedBytes, l.RemovedFiles}} {
		if c.files > 0 {
			parts = append(parts, fmt.Sprintf("%s %s in %s", c.what, humanize.Bytes(uint64(c.bytes)), files(c.files)))
		}
	}
	if l.WastedBytes > 0 {
		parts = append(parts, "hides "+humanize.Bytes(uint64(l.WastedBytes)))
	}
	head := strings.Join(parts, " · ")
	if l.Cached {
		head += " · cached"
	}
	heads := wrap(head, width)
	if len(heads) > 2 {
		heads = heads[:2]
	}
	for _, h := range heads {
		b.WriteString(styleTitle.Render(h) + "\n")
	}
	// The layer's digests, as docker inspect and crane name it: the
	// diff_id (of the uncompressed tar), and the blob's where the source
	// has one of its own.
	ids := []string{"diff_id " + l.DiffID}
	if l.Digest != "" && l.Digest != l.DiffID {
		ids = append(ids, "blob    "+l.Digest)
	}
	ids = ids[:min(len(ids), max(0, lines-2-len(heads)))]
	for _, id := range ids {
		b.WriteString(styleDim.Render(truncate(textsafe.Term(id), width)) + "\n")
	}
	text := wrap(imageText(l.CreatedBy), width)
	if room := max(1, lines-1-len(heads)-len(ids)); len(text) > room {
		text = text[:room]
		text[len(text)-1] = truncate(text[len(text)-1]+" …", width)
	}
	for _, s := range text {
		b.WriteString(styleDim.Render(s) + "\n")
	}
	return b.String()
}
