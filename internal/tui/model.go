package tui

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/words"
)

// tab is one of the views after the analysis.
type tab int

const (
	tabSummary tab = iota
	tabLayers
	tabFiles // beside Layers: from the layer list, tab goes to its tree, as in dive
	tabFindings
	tabSuggestions
	numTabs
)

var tabNames = [numTabs]string{"Summary", "Layers", "Files", "Findings", "Suggestions"}

// wheelRows is how many rows one turn of the mouse wheel scrolls.
const wheelRows = 3

// splitMinWidth is the width from which the layers and files views show
// the layer list beside the tree, as dive does.
const splitMinWidth = 120

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
	// refresh is what R has to say ("" before it is pressed); asking
	// while its question is out.
	refresh string
	asking  bool
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
		return afterFirstScreen(m.cfg.Input)
	}
	return tea.Batch(waitEvent(m.cfg.Events), waitLoaded(m.cfg.Done), m.progress.Init())
}

// afterFirstScreen is the work the first screen does not wait for: the
// file tree, what each layer changed, the suggestions.
func afterFirstScreen(in *Input) tea.Cmd {
	return tea.Batch(waitTree(in), waitIndex(in), waitFixes(in))
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

// waitTree runs Input.Tree.
func waitTree(in *Input) tea.Cmd {
	if in == nil || in.Tree == nil {
		return nil
	}
	build := in.Tree
	return func() tea.Msg { return treeMsg{build()} }
}

// waitIndex runs Input.Index.
func waitIndex(in *Input) tea.Cmd {
	if in == nil || in.Index == nil {
		return nil
	}
	index := in.Index
	return func() tea.Msg {
		idx, err := index()
		return indexMsg{idx: idx, err: err}
	}
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
	if m.split() {
		m.files = m.files.resize(w-m.leftWidth()-1, h)
	} else {
		m.files = m.files.resize(w, h)
	}
	m.suggest = m.suggest.resize(w, h)
	return m
}

// split reports whether the layers and files views show the layer list
// beside the tree.
func (m Model) split() bool { return m.width >= splitMinWidth && len(m.layers.layers) > 0 }

// leftWidth is the width of the layer list in the split view.
func (m Model) leftWidth() int { return max(30, min(48, m.width*3/10)) }

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
		return m.load(msg.Input), afterFirstScreen(msg.Input)
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
	case tea.MouseClickMsg:
		return m.click(msg.Mouse())
	case tea.KeyPressMsg:
		return m.key(msg)
	case indexMsg, treeMsg:
		m.files, _ = m.files.Update(msg)
		return m, nil
	case filterLayerMsg:
		m.files, _ = m.files.Update(msg)
		m = m.syncLayers()
		if msg.layer >= 0 {
			m.active = tabFiles
		}
		return m, nil
	case layerShownMsg:
		return m.syncLayers(), nil
	case revealMsg:
		m.files, _ = m.files.Update(msg)
		m.active = tabFiles
		return m.syncLayers(), nil
	case refreshedMsg:
		m.asking = false
		if msg.err != nil {
			m.refresh = "Package sources not asked: " + textsafe.OneLine(msg.err.Error())
			return m, nil
		}
		in := *m.in
		in.Report, in.Refresh = msg.report, nil
		m.in = &in
		m.summary = newSummaryView(m.in)
		m.findings = newFindingsView(in.Report)
		n := 0
		for _, f := range in.Report.Findings {
			if r := rules.RuleByID(f.Rule); r != nil && r.Refreshed {
				n++
			}
		}
		m.refresh = "Package sources asked: " + words.Count(n, "finding", "findings") + " of what is newer today"
		if len(msg.warnings) > 0 {
			m.refresh += "; not reached: " + textsafe.OneLine(msg.warnings[0])
			if len(msg.warnings) > 1 {
				m.refresh += fmt.Sprintf(" (+%d more)", len(msg.warnings)-1)
			}
		}
		return m.resize(), nil
	case openFindingMsg:
		m.findings = m.findings.openFinding(msg.index)
		m.active = tabFindings
		return m, nil
	case writtenMsg:
		m.suggest, _ = m.suggest.Update(msg)
		return m, nil
	case engineMsg, verifyStepMsg, verifyTickMsg, verifiedMsg:
		// The verification's, wherever the user is.
		var cmd tea.Cmd
		m.suggest, cmd = m.suggest.Update(msg)
		return m, cmd
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
		if !m.loading && m.suggest.verifying() && !m.suggest.run.quit {
			// Stop the verification, and quit once it has removed what
			// it made on the engine; a second ctrl+c quits at once.
			m.suggest = m.suggest.interrupt(true)
			return m, nil
		}
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
		return m.switchTo((m.active + 1) % numTabs), nil
	case key.Matches(msg, gkeys.Prev):
		return m.switchTo((m.active + numTabs - 1) % numTabs), nil
	case key.Matches(msg, gkeys.Jump):
		return m.switchTo(tab(msg.String()[0] - '1')), nil
	case key.Matches(msg, gkeys.Help):
		m.help.ShowAll = !m.help.ShowAll
		return m.resize(), nil
	case key.Matches(msg, gkeys.Refresh) && m.in != nil && m.in.Refresh != nil && !m.asking:
		m.refresh, m.asking = "Asking the image's package sources what is newer…", true
		return m, askRefresh(m.in.Refresh)
	}
	return m.route(msg)
}

// refreshedMsg carries Input.Refresh's answer.
type refreshedMsg struct {
	report   inspect.Report
	warnings []string
	err      error
}

// askRefresh runs Input.Refresh off the Update loop.
func askRefresh(refresh func() (inspect.Report, []string, error)) tea.Cmd {
	return func() tea.Msg {
		r, warnings, err := refresh()
		return refreshedMsg{report: r, warnings: warnings, err: err}
	}
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
		if k, ok := msg.(tea.KeyPressMsg); ok && m.split() && passedToTree(k) {
			// The tree's own keys work from the layer list beside it, as
			// dive's do; a field to type in takes the focus to the tree.
			if key.Matches(k, fileKeys.Filter, fileKeys.MinSize) {
				m.active = tabFiles
			}
			m.files, cmd = m.files.Update(msg)
			return m, cmd
		}
		before := m.layers.c.pos
		m.layers, cmd = m.layers.Update(msg)
		if m.split() && m.layers.c.pos != before {
			// The tree follows the cursor, as in dive.
			m = m.followLayers()
		}
	case tabFindings:
		m.findings, cmd = m.findings.Update(msg)
	case tabFiles:
		m.files, cmd = m.files.Update(msg)
	case tabSuggestions:
		m.suggest, cmd = m.suggest.Update(msg)
	}
	return m, cmd
}

// passedToTree reports whether k is one of the files view's keys that the
// split view's layer list passes on: the filters, the sort, the hidden
// copies, a layer's own changes or the tree as of it.
func passedToTree(k tea.KeyPressMsg) bool {
	return key.Matches(k, fileKeys.AsOf, fileKeys.Filter, fileKeys.MinSize, fileKeys.Types,
		fileKeys.Hidden, fileKeys.Sort, fileKeys.ExpandAll, fileKeys.CollapseAll)
}

// switchTo shows a tab. The split layers view shows the tree of the layer
// under its cursor; so does the files view entered from the layer table
// (tab into the layer's tree, as in the split view and in dive).
func (m Model) switchTo(t tab) Model {
	from := m.active
	m.active = t
	switch {
	case t == tabLayers && m.split() && m.files.scope == scopeFinal:
		m = m.followLayers()
	case t == tabFiles && from == tabLayers && !m.split():
		m = m.followLayers()
	}
	return m
}

// followLayers shows the layer under the layers view's cursor in the
// files view (a layer's own changes, or the tree as of it).
func (m Model) followLayers() Model {
	if len(m.layers.layers) == 0 {
		return m
	}
	sc := m.files.scope
	if sc == scopeFinal {
		sc = scopeLayer
	}
	m.files = m.files.show(sc, m.layers.layers[m.layers.c.pos].Index)
	return m.syncLayers()
}

// syncLayers marks the layer the files view shows in the layers view and,
// in the split view, puts the cursor there.
func (m Model) syncLayers() Model {
	m.layers.filtered = m.files.layer
	if m.split() && m.files.layer >= 0 {
		m.layers.c.pos = m.files.layer
		m.layers.c.clamp(len(m.layers.layers), m.layers.listHeight())
	}
	return m
}

// click selects a tab (on the top line) or passes the click to the view;
// in the split view, a click in the layer list shows that layer.
func (m Model) click(mouse tea.Mouse) (tea.Model, tea.Cmd) {
	if mouse.Button != tea.MouseLeft || m.loading || m.capturing() {
		return m, nil
	}
	if mouse.Y == 0 {
		x := ansi.StringWidth("slimpy ")
		for i, name := range tabNames {
			w := len(name) + 2
			if mouse.X >= x && mouse.X < x+w {
				return m.switchTo(tab(i)), nil
			}
			x += w
		}
		return m, nil
	}
	msg := clickMsg{x: mouse.X, y: mouse.Y - 1}
	if msg.y >= m.bodyHeight() {
		return m, nil
	}
	if m.split() && (m.active == tabLayers || m.active == tabFiles) {
		lw := m.leftWidth()
		if msg.x < lw {
			layer, ok := m.layers.compactRowAt(msg.y, m.bodyHeight(), m.files.layer)
			if !ok {
				return m, nil
			}
			if layer < 0 {
				m.files = m.files.show(scopeFinal, -1)
			} else {
				m.layers.c.pos = layer
				m = m.followLayers()
			}
			return m.syncLayers(), nil
		}
		if m.active == tabLayers {
			m.active = tabFiles
		}
		msg.x -= lw + 1
	}
	return m.route(msg)
}

// keys is the help of the active view.
func (m Model) keys() keyMap {
	k := m.viewKeys()
	if !m.loading && m.in != nil && m.in.Refresh != nil && (m.active == tabSummary || m.active == tabFindings) {
		k.short = append(slices.Clone(k.short), gkeys.Refresh)
	}
	return k
}

// viewKeys are the active view's keys.
func (m Model) viewKeys() keyMap {
	if m.loading {
		return progressKeys
	}
	switch m.active {
	case tabLayers:
		if m.split() {
			return splitLayersHelp
		}
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
	v.WindowTitle = "slimpy · " + textsafe.OneLine(m.cfg.Image)
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
		case tabLayers, tabFiles:
			switch {
			case m.split():
				lw := m.leftWidth()
				left := m.layers.compact(lw, h, m.active == tabLayers, m.files.layer)
				body = besides(left, m.files.View(w-lw-1, h), lw, h)
			case m.active == tabLayers:
				body = m.layers.View(w, h)
			default:
				body = m.files.View(w, h)
			}
		case tabFindings:
			body = m.findings.View(w, h)
		case tabSuggestions:
			body = m.suggest.View(w, h)
		}
	}
	help := m.helpView()
	if m.refresh != "" {
		help = styleDim.Render(m.refresh) + "  " + help
	}
	return fit(m.tabs()+"\n"+body+"\n"+help, w, m.height)
}

// tabs is the top line: the views, the active one marked, and the image.
func (m Model) tabs() string {
	var b strings.Builder
	b.WriteString(styleBrand.Render("slimpy") + " ")
	if m.loading {
		return b.String() + styleDim.Render("inspecting "+textsafe.Term(m.cfg.Image))
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
	img := textsafe.Term(m.in.Report.Image.Reference)
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
