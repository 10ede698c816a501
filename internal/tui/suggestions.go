package tui

import (
	"fmt"
	"path/filepath"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/verify"
	"github.com/slimpy/slimpy/internal/words"
)

// writtenMsg is the result of Fixes.Write.
type writtenMsg struct {
	w   Written
	err error
}

type suggestMode uint8

const (
	modeList    suggestMode = iota
	modeDiff                // one suggestion's diff, full screen
	modeConfirm             // "write N suggestions to the Dockerfile?"
	modeWriting
	modeWritten   // what was written
	modeVerifying // the accepted suggestions built and run on the engine
	modeVerified  // what the verification kept and dropped; write the kept set?
)

// suggestionsView lists the Dockerfile suggestions with their measured
// savings and a coloured preview of the selected one's diff; the user
// accepts some and writes the patched Dockerfile.
type suggestionsView struct {
	fx       Fixes
	accepted map[string]bool
	c        cursor
	mode     suggestMode
	vp       viewport.Model
	written  *Written
	plan     *Plan // what the write dialog would do; nil: read from the diffs
	content  bool  // the written screen shows the files, not the diff
	status   string
	failed   bool
	width    int
	height   int
	// The dialog's offer to verify first, and why it is not made; gen
	// tells the answers of an older dialog or run from the current one's.
	offer     verifyOffer
	offerNote string
	gen       int
	run       verifyRun
	// verifyQueued: v was pressed while the engine was being asked.
	verifyQueued bool
	// verifiedWrite is the verification the write in progress follows.
	verifiedWrite *verify.Report
}

var suggestKeys = struct {
	Toggle, All, Diff, Write, Back, Yes, No, Content key.Binding
}{
	Toggle:  key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "accept")),
	All:     key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "all")),
	Diff:    key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "diff")),
	Write:   key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write")),
	Back:    key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
	Yes:     key.NewBinding(key.WithKeys("y", "Y", "enter"), key.WithHelp("y", "write")),
	No:      key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "cancel")),
	Content: key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "diff/content")),
}

func newSuggestionsView(fx Fixes) suggestionsView {
	vp := viewport.New()
	vp.MouseWheelEnabled = false
	return suggestionsView{fx: fx, accepted: map[string]bool{}, vp: vp}
}

// capturing: the confirmation dialog, or the verification, has the
// keyboard.
func (v suggestionsView) capturing() bool {
	switch v.mode {
	case modeConfirm, modeWriting, modeVerifying, modeVerified:
		return true
	}
	return false
}

func (v suggestionsView) help() keyMap {
	switch v.mode {
	case modeDiff:
		return keyMap{short: []key.Binding{navHelp, suggestKeys.Toggle, suggestKeys.Back},
			full: [][]key.Binding{{nav.Up, nav.Down, nav.PageUp, nav.PageDown}, {suggestKeys.Toggle, suggestKeys.Back}}}
	case modeConfirm, modeWriting:
		k := []key.Binding{suggestKeys.Yes, suggestKeys.No}
		if v.mode == modeConfirm && v.offer == offerReady {
			k = []key.Binding{suggestKeys.Yes, verifyKeys.Verify, suggestKeys.No}
		}
		return keyMap{short: k, full: [][]key.Binding{k}}
	case modeVerifying, modeVerified:
		return v.verifyHelp()
	case modeWritten:
		return keyMap{short: []key.Binding{navHelp, suggestKeys.Content, suggestKeys.Back},
			full: [][]key.Binding{{nav.Up, nav.Down, nav.PageUp, nav.PageDown}, {suggestKeys.Content, suggestKeys.Back}}}
	}
	return keyMap{short: []key.Binding{suggestKeys.Toggle, suggestKeys.All, suggestKeys.Diff, suggestKeys.Write},
		full: [][]key.Binding{nav.bindings(), {suggestKeys.Toggle, suggestKeys.All, suggestKeys.Diff, suggestKeys.Write}}}
}

// acceptedIDs lists the accepted suggestions in list order.
func (v suggestionsView) acceptedIDs() []string {
	var ids []string
	for _, s := range v.fx.Suggestions {
		if v.accepted[s.ID] {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (v suggestionsView) listHeight() int {
	return min(len(v.fx.Suggestions), max(3, (v.height-3)/3))
}

func (v suggestionsView) resize(width, height int) suggestionsView {
	v.width, v.height = width, height
	v.vp.SetWidth(width)
	v.vp.SetHeight(max(1, height-2))
	v.c.clamp(len(v.fx.Suggestions), v.listHeight())
	switch v.mode { // lay the text out again for the width
	case modeDiff:
		v.vp.SetContent(v.diffContent(v.fx.Suggestions[v.c.pos]))
	case modeWritten:
		v.vp.SetContent(v.writtenContent())
	case modeVerified:
		v = v.sizePager()
		v.vp.SetContent(v.verifiedContent())
	}
	return v
}

func (v suggestionsView) Update(msg tea.Msg) (suggestionsView, tea.Cmd) {
	if msg, ok := msg.(writtenMsg); ok {
		if msg.err != nil {
			v.mode, v.status, v.failed = modeList, "not written: "+msg.err.Error(), true
			return v, nil
		}
		v.written, v.mode, v.content, v.failed = &msg.w, modeWritten, false, false
		var paths []string
		for _, f := range msg.w.Files {
			paths = append(paths, f.Path)
		}
		v.status = writtenStatus(paths, msg.w)
		if rep := v.verifiedWrite; rep != nil && len(paths) > 0 {
			v.status += " · verified on the engine"
			if len(rep.Dropped) > 0 {
				v.status += ", " + strings.Join(dropIDs(rep), ", ") + " dropped"
			}
		}
		v.verifiedWrite = nil
		v = v.sizePager()
		v.vp.SetContent(v.writtenContent())
		v.vp.GotoTop()
		return v, nil
	}
	switch msg.(type) {
	case engineMsg, verifyStepMsg, verifyTickMsg, verifiedMsg:
		return v.updateVerify(msg)
	}
	switch v.mode {
	case modeDiff, modeWritten:
		return v.updatePager(msg)
	case modeVerifying, modeVerified:
		return v.updateVerify(msg)
	case modeConfirm:
		if msg, ok := msg.(tea.KeyPressMsg); ok {
			switch {
			case key.Matches(msg, verifyKeys.Verify):
				switch v.offer {
				case offerReady:
					return v.startVerify()
				case offerChecking: // starts once the engine answers
					v.verifyQueued = true
				}
			case key.Matches(msg, suggestKeys.Yes):
				v.mode, v.status, v.failed = modeWriting, "writing…", false
				ids, write := v.acceptedIDs(), v.fx.Write
				return v, func() tea.Msg {
					w, err := write(ids)
					return writtenMsg{w: w, err: err}
				}
			case key.Matches(msg, suggestKeys.No):
				v.mode, v.status = modeList, "not written"
			}
		}
		return v, nil
	case modeWriting:
		return v, nil
	}
	n := len(v.fx.Suggestions)
	if msg, ok := msg.(tea.KeyPressMsg); ok && n > 0 {
		cur := v.fx.Suggestions[v.c.pos]
		switch {
		case key.Matches(msg, suggestKeys.Toggle):
			return v.toggle(cur), nil
		case key.Matches(msg, suggestKeys.All):
			all := len(v.acceptedIDs()) == v.fixable()
			v.accepted = map[string]bool{}
			for _, s := range v.fx.Suggestions {
				v.accepted[s.ID] = !all && s.Diff != ""
			}
			v.status, v.failed = "", false
			return v, nil
		case key.Matches(msg, suggestKeys.Diff):
			v.mode = modeDiff
			v.vp.SetContent(v.diffContent(cur))
			v.vp.GotoTop()
			return v, nil
		case key.Matches(msg, suggestKeys.Write):
			v = v.confirm()
			if v.mode != modeConfirm {
				return v, nil
			}
			return v.checkEngine()
		}
	}
	v.c.navigate(msg, n, v.listHeight())
	return v, nil
}

// writtenStatus says what was written and with which suggestions: only
// those that changed something, as slimpy fix says it.
func writtenStatus(paths []string, w Written) string {
	if len(paths) == 0 {
		return "Nothing written: the accepted suggestions change nothing once applied together"
	}
	s := fmt.Sprintf("Wrote %s", strings.Join(paths, ", "))
	if len(w.Applied) > 0 {
		s += " with " + strings.Join(w.Applied, ", ")
	}
	if len(w.Skipped) > 0 {
		s += fmt.Sprintf(" (nothing left to do for %s once the others were applied)", strings.Join(w.Skipped, ", "))
	}
	return s
}

// toggle accepts or drops one suggestion; advice without a change cannot
// be accepted.
func (v suggestionsView) toggle(s Suggestion) suggestionsView {
	if s.Diff == "" {
		v.status, v.failed = s.ID+" is advice only: there is no change to apply", true
		return v
	}
	v.accepted = mapsClone(v.accepted)
	v.accepted[s.ID] = !v.accepted[s.ID]
	v.status, v.failed = "", false
	return v
}

// fixable counts the suggestions that can be accepted.
func (v suggestionsView) fixable() int {
	n := 0
	for _, s := range v.fx.Suggestions {
		if s.Diff != "" {
			n++
		}
	}
	return n
}

// confirm opens the write dialog, or says why there is nothing to write.
func (v suggestionsView) confirm() suggestionsView {
	v.failed = true
	switch {
	case v.fx.Write == nil && v.fx.Note != "":
		v.status = v.fx.Note
	case v.fx.Write == nil:
		v.status = "writing is not available here"
	case v.written != nil:
		v.status = "already written: run slimpy again for suggestions on the new Dockerfile"
	case len(v.acceptedIDs()) == 0:
		v.status = "accept a suggestion first (space, or a for all)"
	default:
		v.mode, v.status, v.failed, v.plan = modeConfirm, "", false, nil
		if v.fx.Plan != nil {
			p, err := v.fx.Plan(v.acceptedIDs())
			if err != nil {
				v.mode, v.status, v.failed = modeList, "cannot apply them together: "+textsafe.OneLine(err.Error()), true
				return v
			}
			v.plan = &p
		}
	}
	return v
}

// plannedFiles are the files a write would replace or create: the plan's,
// or else those the accepted suggestions' diffs name.
func (v suggestionsView) plannedFiles() []PlannedFile {
	if v.plan != nil {
		return v.plan.Files
	}
	files := []PlannedFile{{Path: v.fx.Dockerfile}}
	seen := map[string]bool{}
	for _, s := range v.fx.Suggestions {
		if !v.accepted[s.ID] {
			continue
		}
		lines := strings.Split(s.Diff, "\n")
		for i, l := range lines {
			if !strings.HasPrefix(l, "--- /dev/null") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
				continue
			}
			name := strings.TrimPrefix(strings.TrimPrefix(lines[i+1], "+++ "), "b/")
			if !seen[name] {
				seen[name] = true
				files = append(files, PlannedFile{Path: filepath.Join(filepath.Dir(v.fx.Dockerfile), name), New: true})
			}
		}
	}
	return files
}

// updatePager scrolls the full-screen diff or the written files.
func (v suggestionsView) updatePager(msg tea.Msg) (suggestionsView, tea.Cmd) {
	switch msg := msg.(type) {
	case scrollMsg:
		if msg.delta > 0 {
			v.vp.ScrollDown(msg.delta)
		} else {
			v.vp.ScrollUp(-msg.delta)
		}
		return v, nil
	case tea.KeyPressMsg:
		switch {
		case key.Matches(msg, suggestKeys.Back):
			v.mode = modeList
			return v, nil
		case v.mode == modeDiff && key.Matches(msg, suggestKeys.Toggle):
			return v.toggle(v.fx.Suggestions[v.c.pos]), nil
		case v.mode == modeWritten && key.Matches(msg, suggestKeys.Content):
			v.content = !v.content
			v.vp.SetContent(v.writtenContent())
			v.vp.GotoTop()
			return v, nil
		case key.Matches(msg, nav.Top):
			v.vp.GotoTop()
			return v, nil
		case key.Matches(msg, nav.Bottom):
			v.vp.GotoBottom()
			return v, nil
		}
	}
	var cmd tea.Cmd
	v.vp, cmd = v.vp.Update(msg)
	return v, cmd
}

// diffContent is the suggestion's evidence, then its diff in colour.
func (v suggestionsView) diffContent(s Suggestion) string {
	var b strings.Builder
	bullet := func(text string) {
		for i, l := range wrap(text, max(10, v.width-2)) {
			lead := "• "
			if i > 0 {
				lead = "  "
			}
			b.WriteString(styleDim.Render(lead+l) + "\n")
		}
	}
	for _, e := range s.Evidence {
		bullet(textsafe.OneLine(e))
	}
	if s.Note != "" {
		// As slimpy suggest says it: "savings: 12 MB measured (what)",
		// "The savings are not measured: why.", or "savings: " and the note.
		bullet(textsafe.OneLine(suggest.Savings{Bytes: s.Savings, Measured: s.Measured, Note: s.Note}.String()))
	}
	if s.Diff == "" {
		b.WriteString(styleStatus.Render("advice only: no automatic change") + "\n")
	}
	for _, l := range strings.Split(safeLines(strings.TrimRight(s.Diff, "\n")), "\n") {
		b.WriteString(colourDiffLine(l) + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (v suggestionsView) writtenContent() string {
	if v.written == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range v.written.Files {
		b.WriteString(styleGood.Render("wrote  "+textsafe.Term(f.Path)) + "\n")
		if f.Backup != "" {
			b.WriteString(styleDim.Render("backup "+textsafe.Term(f.Backup)) + "\n")
		} else {
			b.WriteString(styleDim.Render("(a new file)") + "\n")
		}
		what := "what changed (c: the whole file)"
		if v.content || f.Diff == "" {
			what = "the whole file (c: what changed)"
		}
		b.WriteString(rule(what, v.width) + "\n")
		if v.content || f.Diff == "" {
			b.WriteString(safeLines(f.Content))
		} else {
			for _, l := range strings.Split(safeLines(strings.TrimRight(f.Diff, "\n")), "\n") {
				b.WriteString(colourDiffLine(l) + "\n")
			}
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (v suggestionsView) savings(s Suggestion) string {
	if !s.Measured {
		return "not measured"
	}
	if s.Savings == 0 {
		return "0 B"
	}
	return humanize.Bytes(uint64(s.Savings))
}

func (v suggestionsView) View(width, height int) string {
	sugs := v.fx.Suggestions
	if len(sugs) == 0 {
		msg := v.fx.Note
		if msg == "" {
			msg = "No suggestions for this image."
		}
		return fit(styleDim.Render(msg), width, height)
	}
	switch v.mode {
	case modeDiff:
		s := sugs[v.c.pos]
		head := fmt.Sprintf("%s %s %s · saves %s", v.mark(s), styleRule.Render(s.ID), textsafe.OneLine(s.Title), v.savings(s))
		return fit(styleTitle.Render(truncate(head, width))+"\n"+rule("", width)+"\n"+v.vp.View(), width, height)
	case modeWritten:
		return fit(styleTitle.Render(truncate(v.status, width))+"\n"+rule("", width)+"\n"+v.vp.View(), width, height)
	case modeVerifying:
		return v.verifyingView(width, height)
	case modeVerified:
		return v.verifiedView(width, height)
	}

	var b strings.Builder
	ids := v.acceptedIDs()
	head := fmt.Sprintf("%s · %d of %d accepted", textsafe.Term(v.fx.Dockerfile), len(ids), len(sugs))
	if best, ok := largestSaving(sugs, v.accepted); ok && len(ids) > 0 {
		head += " · saves at least " + humanize.Bytes(uint64(best))
		if len(ids) > 1 {
			head += " (savings overlap: not added up)"
		}
	}
	b.WriteString(styleTitle.Render(truncate(head, width)) + "\n")
	listH := v.listHeight()
	start, end := v.c.window(len(sugs), listH)
	for i := start; i < end; i++ {
		s := sugs[i]
		save := padLeft(v.savings(s), 12)
		left := fmt.Sprintf("%s %s ", v.mark(s), styleRule.Render(padRight(s.ID, 6)))
		row := left + padRight(textsafe.OneLine(s.Title), width-ansi.StringWidth(left)-17) + " " + styleBytes.Render(save)
		row = listRow(row, i == v.c.pos, width)
		b.WriteString(row + "\n")
	}
	for i := end - start; i < listH; i++ {
		b.WriteString("\n")
	}
	switch {
	case v.mode == modeConfirm:
		b.WriteString(v.dialog(width))
	case v.status != "":
		st := styleStatus
		if v.failed {
			st = styleError
		}
		b.WriteString(st.Render(truncate(v.status, width)) + "\n")
	case v.fx.Write == nil && v.fx.Note != "":
		b.WriteString(styleDim.Render(truncate(v.fx.Note, width)) + "\n")
	default:
		b.WriteString("\n")
	}
	s := sugs[v.c.pos]
	b.WriteString(rule("diff "+s.ID, width) + "\n")
	b.WriteString(v.diffContent(s))
	return fit(b.String(), width, height)
}

// dialog asks before writing: which suggestions, which files (the
// Dockerfile replaced with a backup, new files such as .dockerignore).
func (v suggestionsView) dialog(width int) string {
	ids := v.acceptedIDs()
	if v.plan != nil {
		ids = v.plan.Applied
	}
	var lines []string
	lines = append(lines, fmt.Sprintf("Write %s (%s)?", words.Count(len(ids), "accepted suggestion", "accepted suggestions"), strings.Join(ids, ", ")))
	if v.plan != nil && len(v.plan.Skipped) > 0 {
		lines = append(lines, fmt.Sprintf("Nothing left to do for %s once the others are in.", strings.Join(v.plan.Skipped, ", ")))
	}
	for _, f := range v.plannedFiles() {
		lines = append(lines, plannedLine(f))
	}
	keys := fmt.Sprintf("%s write   %s cancel", styleTitle.Render("y"), styleTitle.Render("n"))
	switch v.offer {
	case offerReady:
		lines = append(lines, "Or verify first: build and run the original and the patched Dockerfile on the",
			"Docker engine, keep the largest set that passes, then decide.")
		keys = fmt.Sprintf("%s write   %s verify first   %s cancel", styleTitle.Render("y"), styleTitle.Render("v"), styleTitle.Render("n"))
	case offerChecking:
		if v.verifyQueued {
			lines = append(lines, styleDim.Render("Verifying first as soon as the Docker engine answers…"))
		} else {
			lines = append(lines, styleDim.Render("Verify first? Asking the Docker engine…"))
		}
	default:
		if v.offerNote != "" {
			lines = append(lines, styleDim.Render("Verify first is not offered: "+v.offerNote))
		}
	}
	lines = append(lines, keys)
	return styleDialog.Width(min(width, 100)).Render(strings.Join(lines, "\n")) + "\n"
}

// plannedLine says what a write does to one file.
func plannedLine(f PlannedFile) string {
	if f.New {
		return "  create  " + textsafe.Term(f.Path) + " (new)"
	}
	return "  replace " + textsafe.Term(f.Path) + " (backup kept)"
}

func check(on bool) string {
	if on {
		return styleGood.Render("[x]")
	}
	return "[ ]"
}

// mark is a suggestion's check box; advice that cannot be accepted has none.
func (v suggestionsView) mark(s Suggestion) string {
	if s.Diff == "" {
		return " - "
	}
	return check(v.accepted[s.ID])
}
