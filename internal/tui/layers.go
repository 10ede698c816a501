package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
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

// layerDetailLines is the height of the panel below the table.
const layerDetailLines = 5

func newLayersView(r inspect.Report) layersView {
	return layersView{layers: r.Layers, filtered: -1}
}

func (v layersView) listHeight() int { return max(1, v.height-1-layerDetailLines) }

func (v layersView) Update(msg tea.Msg) (layersView, tea.Cmd) {
	switch msg := msg.(type) {
	case filterLayerMsg:
		v.filtered = msg.layer
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
			humanize.Comma(int64(l.Files)), truncate(oneLine(l.CreatedBy), instrW))
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
	l := v.layers[v.c.pos]
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
	b.WriteString(styleTitle.Render(truncate(head, width)) + "\n")
	lines := wrap(oneLine(l.CreatedBy), width)
	if len(lines) > layerDetailLines-2 {
		lines = lines[:layerDetailLines-2]
		lines[len(lines)-1] = truncate(lines[len(lines)-1]+" …", width)
	}
	for _, s := range lines {
		b.WriteString(styleDim.Render(s) + "\n")
	}
	return b.String()
}
