package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/inspect"
)

// tab is one of the views after the analysis.
type tab int

const (
	tabSummary tab = iota
	tabLayers
	tabFindings
	tabFiles
	tabSuggestions
	numTabs
)

var tabNames = [numTabs]string{"Summary", "Layers", "Findings", "Files", "Suggestions"}

// wheelRows is how many rows one turn of the mouse wheel scrolls.
const wheelRows = 3

// Config starts a Model.
type Config struct {
	// Image is the reference the user gave, shown while loading.
	Image string
	// Events are the analysis' progress events; Done delivers its end
	// once. Cancel stops the analysis when the user quits early.
	Events <-chan inspect.Progress
	Done   <-chan Loaded
	Cancel func()
	// Input, when set, skips the progress view: the views open at once.
	Input *Input
}

// Model is the root of the program: the progress view while loading, then
// the tabs. It routes every message to the view it concerns and lays the
// screen out: tabs, the view, the help bar.
type Model struct {
	cfg           Config
	width, height int
	loading       bool
	progress      progressView
	in            *Input
	active        tab
	summary       summaryView
	layers        layersView
	findings      findingsView
	files         filesView
	suggest       suggestionsView
	help          help.Model
	err           error
	cancelled     bool
}

// New returns the program's model.
func New(cfg Config) Model {
	h := help.New()
	h.Styles = helpStyles()
	m := Model{cfg: cfg, help: h, width: 80, height: 24}
	if cfg.Input != nil {
		return m.load(cfg.Input)
	}
	m.loading = true
	m.progress = newProgressView(cfg.Image, time.Now())
	return m
}

// Err is why the program ended other than by the user quitting after the
// analysis: the analysis failed, or the user cancelled it
// (context.Canceled).
func (m Model) Err() error {
	if m.cancelled {
		return context.Canceled
	}
	return m.err
}

func (m Model) Init() tea.Cmd {
	if !m.loading {
		return waitFixes(m.cfg.Input)
	}
	return tea.Batch(waitEvent(m.cfg.Events), waitLoaded(m.cfg.Done), m.progress.Init())
}

// fixesMsg carries the suggestions Input.Pending worked out.
type fixesMsg Fixes

// waitFixes runs Input.Pending.
func waitFixes(in *Input) tea.Cmd {
	if in == nil || in.Pending == nil {
		return nil
	}
	pending := in.Pending
	return func() tea.Msg { return fixesMsg(pending()) }
}

// pendingNote is what the suggestions say while Pending works.
const pendingNote = "Working out the Dockerfile suggestions…"

// load builds the views from the input and shows the summary.
func (m Model) load(in *Input) Model {
	if in.Pending != nil {
		cp := *in
		cp.Fixes = Fixes{Note: pendingNote}
		in = &cp
	}
	m.loading, m.in, m.active = false, in, tabSummary
	m.summary = newSummaryView(in)
	m.layers = newLayersView(in.Report)
	m.findings = newFindingsView(in.Report)
	m.files = newFilesView(in)
	m.suggest = newSuggestionsView(in.Fixes)
	return m.resize()
}

// bodyHeight is what is left for the view below the tabs and above help.
func (m Model) bodyHeight() int {
	return max(1, m.height-1-lipglossHeight(m.helpView()))
}

// resize passes the body's size to every view.
func (m Model) resize() Model {
	m.help.SetWidth(m.width)
	if m.loading {
		m.progress.height = m.bodyHeight() - 3
		return m
	}
	w, h := m.width, m.bodyHeight()
	m.summary = m.summary.resize(w, h)
	m.layers = m.layers.resize(w, h)
	m.findings = m.findings.resize(w, h)
	m.files = m.files.resize(w, h)
	m.suggest = m.suggest.resize(w, h)
	return m
}

// capturing reports whether the active view wants every key (a text field,
// a dialog), global keys included.
func (m Model) capturing() bool {
	switch m.active {
	case tabFiles:
		return m.files.capturing()
	case tabSuggestions:
		return m.suggest.capturing()
	}
	return false
}

func (m Model) quit() (tea.Model, tea.Cmd) {
	if m.loading {
		m.cancelled = true
		if m.cfg.Cancel != nil {
			m.cfg.Cancel()
		}
	}
	return m, tea.Quit
}

func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m.resize(), nil
	case loadedMsg:
		if msg.Err != nil {
			m.err = msg.Err
			return m, tea.Quit
		}
		if msg.Input == nil {
			m.err = context.Canceled
			return m, tea.Quit
		}
		return m.load(msg.Input), waitFixes(msg.Input)
	case fixesMsg:
		if m.in == nil {
			return m, nil
		}
		in := *m.in
		in.Fixes, in.Pending = Fixes(msg), nil
		m.in = &in
		m.summary = newSummaryView(m.in)
		m.suggest = newSuggestionsView(m.in.Fixes)
		return m.resize(), nil
	case progressMsg:
		if !m.loading {
			return m, nil
		}
		m.progress, _ = m.progress.Update(msg)
		return m, waitEvent(m.cfg.Events)
	case eventsClosedMsg:
		return m, nil
	case tea.MouseWheelMsg:
		delta := 0
		switch msg.Button {
		case tea.MouseWheelUp:
			delta = -wheelRows
		case tea.MouseWheelDown:
			delta = wheelRows
		}
		if delta == 0 {
			return m, nil
		}
		return m.route(scrollMsg{delta: delta})
	case tea.KeyPressMsg:
		return m.key(msg)
	case filterLayerMsg:
		m.files, _ = m.files.Update(msg)
		m.layers, _ = m.layers.Update(msg)
		if msg.layer >= 0 {
			m.active = tabFiles
		}
		return m, nil
	case layerFilterClearedMsg:
		m.layers, _ = m.layers.Update(filterLayerMsg{layer: -1})
		return m, nil
	case revealMsg:
		m.files, _ = m.files.Update(msg)
		m.layers, _ = m.layers.Update(filterLayerMsg{layer: m.files.layer})
		m.active = tabFiles
		return m, nil
	case writtenMsg:
		m.suggest, _ = m.suggest.Update(msg)
		return m, nil
	}
	if m.loading {
		var cmd tea.Cmd
		m.progress, cmd = m.progress.Update(msg)
		return m, cmd
	}
	if _, ok := msg.(spinner.TickMsg); ok {
		return m, nil // the progress spinner's last tick
	}
	return m.route(msg)
}

// key handles the global keys and passes the others to the active view.
func (m Model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.loading {
		if key.Matches(msg, gkeys.Quit) || msg.String() == "esc" {
			return m.quit()
		}
		m.progress, _ = m.progress.Update(msg)
		return m, nil
	}
	if m.capturing() {
		return m.route(msg)
	}
	switch {
	case key.Matches(msg, gkeys.Quit):
		return m.quit()
	case key.Matches(msg, gkeys.Next):
		m.active = (m.active + 1) % numTabs
		return m, nil
	case key.Matches(msg, gkeys.Prev):
		m.active = (m.active + numTabs - 1) % numTabs
		return m, nil
	case key.Matches(msg, gkeys.Jump):
		m.active = tab(msg.String()[0] - '1')
		return m, nil
	case key.Matches(msg, gkeys.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m.resize(), nil
	}
	return m.route(msg)
}

// route passes a message to the active view.
func (m Model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	if m.loading {
		m.progress, cmd = m.progress.Update(msg)
		return m, cmd
	}
	switch m.active {
	case tabSummary:
		m.summary, cmd = m.summary.Update(msg)
	case tabLayers:
		m.layers, cmd = m.layers.Update(msg)
	case tabFindings:
		m.findings, cmd = m.findings.Update(msg)
	case tabFiles:
		m.files, cmd = m.files.Update(msg)
	case tabSuggestions:
		m.suggest, cmd = m.suggest.Update(msg)
	}
	return m, cmd
}

// keys is the help of the active view.
func (m Model) keys() keyMap {
	if m.loading {
		return progressKeys
	}
	switch m.active {
	case tabLayers:
		return layersHelp
	case tabFindings:
		return findingsHelp
	case tabFiles:
		return m.files.help()
	case tabSuggestions:
		return m.suggest.help()
	}
	return summaryKeys
}

func (m Model) helpView() string {
	k := m.keys()
	if m.loading || m.capturing() {
		// Global keys do not apply while a field or dialog has the keyboard.
		return m.help.ShortHelpView(k.short)
	}
	return m.help.View(k)
}

func (m Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "slimpy · " + m.cfg.Image
	return v
}

// screen lays out the whole screen: tabs, the active view, the help bar.
func (m Model) screen() string {
	w, h := m.width, m.bodyHeight()
	var body string
	if m.loading {
		body = m.progress.View(w, h)
	} else {
		switch m.active {
		case tabSummary:
			body = m.summary.View(w, h)
		case tabLayers:
			body = m.layers.View(w, h)
		case tabFindings:
			body = m.findings.View(w, h)
		case tabFiles:
			body = m.files.View(w, h)
		case tabSuggestions:
			body = m.suggest.View(w, h)
		}
	}
	return fit(m.tabs()+"\n"+body+"\n"+m.helpView(), w, m.height)
}

// tabs is the top line: the views, the active one marked, and the image.
func (m Model) tabs() string {
	var b strings.Builder
	b.WriteString(styleBrand.Render("slimpy") + " ")
	if m.loading {
		return b.String() + styleDim.Render("inspecting "+m.cfg.Image)
	}
	for i, name := range tabNames {
		switch {
		case tab(i) == m.active:
			b.WriteString(styleTabActive.Render("[" + name + "]"))
		default:
			b.WriteString(styleTab.Render(" " + name + " "))
		}
	}
	left := b.String()
	img := m.in.Report.Image.Reference
	if room := m.width - ansi.StringWidth(left) - 2; room > 8 {
		return left + "  " + padLeft(styleDim.Render(truncateLeft(img, room)), room)
	}
	return left
}

// truncateLeft keeps the end of s (the name of an image) in w cells.
func truncateLeft(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	return "…" + string(r[len(r)-w+1:])
}

func lipglossHeight(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(s, "\n") + 1
}
