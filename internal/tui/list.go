package tui

import (
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// scrollMsg is a mouse wheel turn, in rows, for the active view.
type scrollMsg struct{ delta int }

// clickMsg is a left click in the active view, at cell x of line y of the
// view (0: the line below the tabs).
type clickMsg struct{ x, y int }

// enterKey is the key press a click on a selected row stands for.
var enterKey = tea.KeyPressMsg{Code: tea.KeyEnter}

// cursor is the selected row of a list and the first row on screen.
type cursor struct {
	pos, offset int
}

// navigate moves the cursor for the navigation keys and the mouse wheel;
// it reports whether msg was one of them.
func (c *cursor) navigate(msg tea.Msg, n, height int) bool {
	switch msg := msg.(type) {
	case scrollMsg:
		c.move(msg.delta, n, height)
		return true
	case tea.KeyPressMsg:
		page := max(1, height-1)
		switch {
		case key.Matches(msg, nav.Up):
			c.move(-1, n, height)
		case key.Matches(msg, nav.Down):
			c.move(1, n, height)
		case key.Matches(msg, nav.PageUp):
			c.move(-page, n, height)
		case key.Matches(msg, nav.PageDown):
			c.move(page, n, height)
		case key.Matches(msg, nav.Top):
			c.move(-n, n, height)
		case key.Matches(msg, nav.Bottom):
			c.move(n, n, height)
		default:
			return false
		}
		return true
	}
	return false
}

func (c *cursor) move(delta, n, height int) {
	c.pos += delta
	c.clamp(n, height)
}

// clamp keeps the cursor on one of n rows and the window of height rows
// around it.
func (c *cursor) clamp(n, height int) {
	c.pos = max(0, min(c.pos, n-1))
	height = max(1, height)
	if c.pos < c.offset {
		c.offset = c.pos
	}
	if c.pos >= c.offset+height {
		c.offset = c.pos - height + 1
	}
	c.offset = max(0, min(c.offset, n-height))
}

// window is the range of rows on screen.
func (c cursor) window(n, height int) (start, end int) {
	c.clamp(n, height)
	return c.offset, min(n, c.offset+max(1, height))
}
