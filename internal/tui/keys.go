package tui

import "charm.land/bubbles/v2/key"

// globalKeys work in every view (unless a text field or a dialog has the
// keyboard).
type globalKeys struct {
	Next, Prev, Jump, Help, Quit, Refresh key.Binding
}

var gkeys = globalKeys{
	Next: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "views")),
	Prev: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
	Jump: key.NewBinding(key.WithKeys("1", "2", "3", "4", "5"), key.WithHelp("1-5", "view N")),
	Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
	Quit: key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	// Refresh asks the image's package sources what is newer (Input.Refresh).
	Refresh: key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "ask package sources")),
}

// navKeys move a cursor through a list; every list view has them.
type navKeys struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

var nav = navKeys{
	Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
	Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
	PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+b", "ctrl+u"), key.WithHelp("pgup", "page up")),
	PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+f", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g", "top")),
	Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G", "bottom")),
}

// navHelp stands for Up and Down in the short help.
var navHelp = key.NewBinding(key.WithKeys("up", "down", "j", "k"), key.WithHelp("↑↓/jk", "move"))

func (k navKeys) bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// keyMap is a view's help: its own keys first, then the global ones.
type keyMap struct {
	short []key.Binding
	full  [][]key.Binding
}

func (k keyMap) ShortHelp() []key.Binding {
	return append(append([]key.Binding(nil), k.short...), gkeys.Next, gkeys.Help, gkeys.Quit)
}

func (k keyMap) FullHelp() [][]key.Binding {
	return append(append([][]key.Binding(nil), k.full...),
		[]key.Binding{gkeys.Next, gkeys.Prev, gkeys.Jump, gkeys.Help, gkeys.Quit})
}
