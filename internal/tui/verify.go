package tui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/verify"
)

// The write dialog's offer to verify first.
type verifyOffer uint8

const (
	offerNone     verifyOffer = iota // not offered: offerNote says why
	offerChecking                    // asking the Docker engine
	offerReady
)

// engineCheckTimeout bounds the dialog's question to the Docker engine.
const engineCheckTimeout = 10 * time.Second

// engineMsg is the answer of Fixes.VerifyReady.
type engineMsg struct {
	gen int
	err error
}

// verifyStepMsg is one step of a running verification; closed: no more.
type verifyStepMsg struct {
	gen    int
	step   verify.Step
	at     time.Time
	closed bool
}

// verifiedMsg is the end of a verification, with the plan of writing the
// kept set.
type verifiedMsg struct {
	gen     int
	res     Verified
	err     error
	plan    *Plan
	planErr error
}

// verifyTickMsg turns the spinner and the elapsed time while it runs.
type verifyTickMsg struct {
	gen int
	at  time.Time
}

// verifyRun is the suggestions view's verification: its steps as they
// come, then its result.
type verifyRun struct {
	gen        int
	ids        []string
	cancel     context.CancelFunc
	events     <-chan verify.Step
	steps      []stepRow
	begin, now time.Time
	frame      int
	cancelling bool
	quit       bool // ctrl+c: the program quits once the run is cleaned up
	res        Verified
	err        error
}

// stepRow is a step of the run: its latest event and when it started.
type stepRow struct {
	step  verify.Step
	start time.Time
}

var verifyKeys = struct {
	Verify, Cancel, Write, Back key.Binding
}{
	Verify: key.NewBinding(key.WithKeys("v", "V"), key.WithHelp("v", "verify first")),
	Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc/ctrl+c", "cancel: nothing written")),
	Write:  key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "write the kept set")),
	Back:   key.NewBinding(key.WithKeys("n", "N", "esc", "q"), key.WithHelp("n/esc", "back, nothing written")),
}

// checkEngine asks, as the dialog opens, whether verifying can run.
func (v suggestionsView) checkEngine() (suggestionsView, tea.Cmd) {
	v.offer, v.offerNote, v.verifyQueued = offerNone, v.fx.VerifyNote, false
	switch {
	case v.fx.Verify == nil:
		return v, nil
	case v.plan != nil && len(v.plan.Files) == 0:
		v.offerNote = "the Dockerfile does not change: nothing to verify"
		return v, nil
	case v.fx.VerifyReady == nil:
		v.offer = offerReady
		return v, nil
	}
	v.gen++
	v.offer = offerChecking
	gen, ready := v.gen, v.fx.VerifyReady
	return v, func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), engineCheckTimeout)
		defer cancel()
		return engineMsg{gen: gen, err: ready(ctx)}
	}
}

// startVerify runs Fixes.Verify on the accepted suggestions in a command
// of its own; its steps come back as messages.
func (v suggestionsView) startVerify() (suggestionsView, tea.Cmd) {
	v.gen++
	ctx, cancel := context.WithCancel(context.Background())
	gen, ids, run, planOf := v.gen, v.acceptedIDs(), v.fx.Verify, v.fx.Plan
	now := time.Now()
	v.mode, v.status, v.failed = modeVerifying, "", false
	steps := make(chan verify.Step, 256)
	v.run = verifyRun{gen: gen, ids: ids, cancel: cancel, events: steps, begin: now, now: now}
	work := func() tea.Msg {
		defer cancel()
		res, err := run(ctx, ids, func(s verify.Step) {
			select {
			case steps <- s:
			case <-ctx.Done():
			}
		})
		close(steps)
		msg := verifiedMsg{gen: gen, res: res, err: err}
		if err == nil && ctx.Err() != nil {
			msg.err = ctx.Err()
		}
		if msg.err == nil && res.Report != nil && res.Report.OK() && planOf != nil {
			p, err := planOf(res.Report.Kept)
			msg.plan, msg.planErr = &p, err
		}
		return msg
	}
	return v, tea.Batch(work, waitStep(gen, steps), verifyTick(gen))
}

func waitStep(gen int, ch <-chan verify.Step) tea.Cmd {
	return func() tea.Msg {
		s, ok := <-ch
		return verifyStepMsg{gen: gen, step: s, at: time.Now(), closed: !ok}
	}
}

func verifyTick(gen int) tea.Cmd {
	return tea.Tick(250*time.Millisecond, func(t time.Time) tea.Msg { return verifyTickMsg{gen: gen, at: t} })
}

// verifying: a verification runs (or is being cancelled).
func (v suggestionsView) verifying() bool { return v.mode == modeVerifying }

// interrupt cancels the running verification; quit: the program ends
// once it has cleaned up (ctrl+c).
func (v suggestionsView) interrupt(quit bool) suggestionsView {
	if v.run.cancel != nil {
		v.run.cancel()
	}
	v.run.cancelling = true
	v.run.quit = v.run.quit || quit
	return v
}

// updateVerify handles the verification's messages and keys.
func (v suggestionsView) updateVerify(msg tea.Msg) (suggestionsView, tea.Cmd) {
	switch msg := msg.(type) {
	case engineMsg:
		if msg.gen != v.gen || v.mode != modeConfirm {
			return v, nil
		}
		queued := v.verifyQueued
		v.verifyQueued = false
		if msg.err != nil {
			v.offer, v.offerNote = offerNone, "no Docker engine answers ("+textsafe.OneLine(msg.err.Error())+")"
			return v, nil
		}
		v.offer = offerReady
		if queued {
			return v.startVerify()
		}
		return v, nil
	case verifyStepMsg:
		if msg.gen != v.run.gen || v.mode != modeVerifying || msg.closed {
			return v, nil
		}
		v.run.now = msg.at
		v.run.steps = v.run.addStep(msg.step, msg.at)
		return v, waitStep(msg.gen, v.run.events)
	case verifyTickMsg:
		if msg.gen != v.run.gen || v.mode != modeVerifying {
			return v, nil
		}
		v.run.now, v.run.frame = msg.at, v.run.frame+1
		return v, verifyTick(msg.gen)
	case verifiedMsg:
		if msg.gen != v.run.gen || v.mode != modeVerifying {
			return v, nil
		}
		quit := v.run.quit
		v.run.res, v.run.err = msg.res, msg.err
		v.run.cancel = nil
		if v.run.cancelling || errors.Is(msg.err, context.Canceled) {
			v.mode, v.status, v.failed = modeList, "Verification cancelled: nothing written", true
			if msg.res.Cleanup != "" {
				v.status += "; not removed from the engine: " + msg.res.Cleanup
			}
		} else {
			v.mode, v.plan = modeVerified, msg.plan
			if msg.planErr != nil {
				v.run.err = fmt.Errorf("the kept set does not apply: %w", msg.planErr)
			}
			v = v.sizePager()
			v.vp.SetContent(v.verifiedContent())
			v.vp.GotoTop()
		}
		if quit {
			return v, tea.Quit
		}
		return v, nil
	case tea.KeyPressMsg:
		switch v.mode {
		case modeVerifying:
			if key.Matches(msg, verifyKeys.Cancel) && !v.run.cancelling {
				return v.interrupt(false), nil
			}
			return v, nil
		case modeVerified:
			switch {
			case key.Matches(msg, verifyKeys.Write) && v.run.err == nil && v.run.res.Report != nil && v.run.res.Report.OK():
				kept, write := v.run.res.Report.Kept, v.fx.Write
				v.mode, v.status, v.failed, v.verifiedWrite = modeWriting, "writing the kept set…", false, v.run.res.Report
				return v, func() tea.Msg {
					w, err := write(kept)
					return writtenMsg{w: w, err: err}
				}
			case key.Matches(msg, verifyKeys.Back):
				v.mode, v.status, v.failed = modeList, "not written", false
				return v, nil
			}
		}
	}
	if v.mode == modeVerified {
		return v.updatePager(msg)
	}
	return v, nil
}

// addStep records a step's event: a start adds a row, an end completes
// the row it started.
func (r verifyRun) addStep(s verify.Step, at time.Time) []stepRow {
	steps := r.steps
	if s.Done {
		for i := len(steps) - 1; i >= 0; i-- {
			if st := steps[i].step; !st.Done && st.Name == s.Name && st.Kind == s.Kind {
				out := append([]stepRow(nil), steps...)
				out[i].step = s
				return out
			}
		}
	}
	return append(append([]stepRow(nil), steps...), stepRow{step: s, start: at})
}

// builds is how many docker builds the run started.
func (r verifyRun) builds() int {
	n := 0
	for _, s := range r.steps {
		n = max(n, s.step.Builds)
	}
	return n
}

// sizePager gives the result's pager the height the dialog leaves.
func (v suggestionsView) sizePager() suggestionsView {
	h := v.height - 2
	if v.mode == modeVerified {
		h -= lipglossHeight(v.verifiedDialog(v.width))
	}
	v.vp.SetHeight(max(1, h))
	return v
}

// verifyingView shows the steps as verify reports them.
func (v suggestionsView) verifyingView(width, height int) string {
	r := v.run
	var b strings.Builder
	frames := spinner.MiniDot.Frames
	limit := verify.DefaultMaxBuilds(len(r.ids))
	builds := fmt.Sprintf("at most %d builds", limit)
	if n := r.builds(); n > 0 {
		builds = fmt.Sprintf("build %d of at most %d", n, limit)
	}
	head := fmt.Sprintf("%s Verifying %s on the Docker engine · %s · %s",
		frames[r.frame%len(frames)], strings.Join(r.ids, ", "), builds, r.now.Sub(r.begin).Round(time.Second))
	b.WriteString(styleTitle.Render(truncate(head, width)) + "\n")
	b.WriteString(rule("the original, then the accepted suggestions: built, inspected and run", width) + "\n")
	listH := max(1, height-4)
	rows := r.steps
	if len(rows) > listH {
		rows = rows[len(rows)-listH:]
	}
	nameW := 8
	for _, s := range rows {
		nameW = max(nameW, min(ansi.StringWidth(s.step.Name), width/3))
	}
	for _, s := range rows {
		b.WriteString(v.stepLine(s, nameW, width) + "\n")
	}
	if len(rows) == 0 {
		b.WriteString(styleDim.Render(truncate("  asking the engine what it holds (none of it is ever removed)…", width)) + "\n")
		rows = []stepRow{{}} // that line
	}
	for i := len(rows); i < listH; i++ {
		b.WriteString("\n")
	}
	b.WriteString("\n")
	if r.cancelling {
		b.WriteString(styleStatus.Render(truncate("Cancelling: nothing will be written; removing the images and containers the run made…", width)))
	} else {
		b.WriteString(styleDim.Render(truncate("esc cancels: nothing is written and what the run made on the engine is removed", width)))
	}
	return fit(b.String(), width, height)
}

// stepLine is one step: its state, the set, the kind, how long, and the
// command run or why it failed.
func (v suggestionsView) stepLine(row stepRow, nameW, width int) string {
	s := row.step
	var mark, took string
	switch {
	case !s.Done:
		mark = styleStatus.Render(spinner.MiniDot.Frames[v.run.frame%len(spinner.MiniDot.Frames)])
		took = fmt.Sprintf("%ds…", int(v.run.now.Sub(row.start).Seconds()))
	case s.OK:
		mark, took = styleGood.Render("✓"), fmt.Sprintf("%.1fs", s.Duration.Seconds())
	default:
		mark, took = styleError.Render("✗"), fmt.Sprintf("%.1fs", s.Duration.Seconds())
	}
	kind := s.Kind
	if kind == verify.StepSmoke {
		kind = "run"
	}
	left := fmt.Sprintf("  %s %s %s %s  ", mark, padRight(textsafe.OneLine(s.Name), nameW), padRight(kind, 7), padLeft(took, 7))
	detail := textsafe.OneLine(s.Detail)
	st := styleDim
	if s.Done && !s.OK {
		st = styleError
	}
	return left + st.Render(truncate(detail, width-ansi.StringWidth(left)))
}

// verifiedView is the result: what was kept and dropped, the sizes, and
// the question.
func (v suggestionsView) verifiedView(width, height int) string {
	rep := v.run.res.Report
	head := "Verified on the Docker engine"
	switch {
	case v.run.err != nil:
		head = "Not verified"
	case rep.OK() && len(rep.Dropped) == 0:
		head += ": every accepted suggestion builds and runs"
	case rep.OK():
		head += fmt.Sprintf(": keeps %s · drops %s", strings.Join(rep.Kept, ", "), strings.Join(dropIDs(rep), ", "))
	default:
		head += ": nothing builds and runs"
	}
	return fit(styleTitle.Render(truncate(head, width))+"\n"+rule("", width)+"\n"+v.verifiedDialog(width)+v.vp.View(), width, height)
}

// verifiedDialog asks to write the kept set, or says nothing is written.
func (v suggestionsView) verifiedDialog(width int) string {
	rep := v.run.res.Report
	var lines []string
	if v.run.err != nil || rep == nil || !rep.OK() {
		lines = append(lines, "Nothing is written.", styleTitle.Render("esc")+" back")
	} else {
		lines = append(lines, fmt.Sprintf("Write the kept set (%s)?", strings.Join(rep.Kept, ", ")))
		for _, f := range v.plannedFiles() {
			lines = append(lines, plannedLine(f))
		}
		lines = append(lines, fmt.Sprintf("%s write   %s cancel", styleTitle.Render("y"), styleTitle.Render("n")))
	}
	return styleDialog.Width(min(width, 100)).Render(strings.Join(lines, "\n")) + "\n"
}

func dropIDs(rep *verify.Report) []string {
	var ids []string
	for _, d := range rep.Dropped {
		ids = append(ids, d.ID)
	}
	return ids
}

// verifiedContent is the result in full: kept, dropped with the failing
// step's last lines, the sizes measured, then verify's own report as
// slimpy fix --verify prints it.
func (v suggestionsView) verifiedContent() string {
	var b strings.Builder
	width := max(20, v.width)
	// Plain text wrapped to the width, the lines after the first indented.
	line := func(st lipgloss.Style, s string) {
		for i, l := range wrap(s, width-4) {
			if i > 0 {
				l = "    " + l
			}
			b.WriteString(st.Render(l) + "\n")
		}
	}
	// The engine's output, sanitized line by line.
	tail := func(lines []string) {
		for _, l := range lines {
			for _, w := range wrap(safeLine(strings.ReplaceAll(l, "\t", "    ")), width-6) {
				b.WriteString(styleDim.Render("    | "+w) + "\n")
			}
		}
	}
	res, rep := v.run.res, v.run.res.Report
	if v.run.err != nil {
		line(styleError, "Not verified: "+textsafe.OneLine(v.run.err.Error()))
		if rep != nil && !rep.Before.Build.OK {
			tail(rep.Before.Build.Tail)
		}
	}
	if rep != nil && v.run.err == nil {
		switch {
		case rep.OK() && len(rep.Dropped) == 0:
			line(styleGood, fmt.Sprintf("Kept %s: the accepted suggestions build and run together.", strings.Join(rep.Kept, ", ")))
		case rep.OK():
			line(styleGood, fmt.Sprintf("Kept %s: the largest set of the accepted suggestions that builds and runs.", strings.Join(rep.Kept, ", ")))
		default:
			line(styleError, "Nothing kept: "+textsafe.OneLine(rep.Failure()))
		}
		for _, d := range rep.Dropped {
			// The reason ends with the output's last line, which the
			// lines below show.
			reason := d.Reason()
			if n := len(d.Tail); n > 0 {
				reason = strings.TrimSuffix(reason, ": "+strings.TrimSpace(d.Tail[n-1]))
			}
			line(styleBad, fmt.Sprintf("Dropped %s: %s", d.ID, textsafe.OneLine(reason)))
			tail(d.Tail)
		}
		b.WriteString(sizeLines(rep))
		b.WriteString(styleDim.Render(fmt.Sprintf("%d builds on the engine, the original's included (at most %d).", rep.Builds, rep.MaxBuilds)) + "\n")
	}
	if res.Cleanup != "" {
		line(styleWarn, "Not removed from the engine: "+textsafe.OneLine(res.Cleanup))
	}
	if rep != nil && rep.Before.Build.OK {
		var out bytes.Buffer
		rep.WriteText(&out)
		b.WriteString("\n" + rule("the report, as slimpy fix --verify prints it", width) + "\n")
		b.WriteString(safeLines(strings.TrimRight(out.String(), "\n")))
	}
	return strings.TrimRight(b.String(), "\n")
}

// sizeLines are the original's and the kept set's sizes as measured.
func sizeLines(rep *verify.Report) string {
	b, a := rep.Before.Measure, rep.After.Measure
	if b == nil || a == nil || !rep.OK() {
		return styleDim.Render("Size: not measured, no saving is claimed.") + "\n"
	}
	size := fmt.Sprintf("Size    %s → %s  %s (visible bytes)", humanize.Bytes(uint64(b.Totals.Size)), humanize.Bytes(uint64(a.Totals.Size)),
		verify.SizeChange(b.Totals.Size, a.Totals.Size))
	stored := fmt.Sprintf("Stored  %s → %s  %s (all layers)", humanize.Bytes(uint64(b.Totals.StoredSize)), humanize.Bytes(uint64(a.Totals.StoredSize)),
		verify.SizeChange(b.Totals.StoredSize, a.Totals.StoredSize))
	return styleBytes.Render(size) + "\n" + styleBytes.Render(stored) + "\n"
}

// verifyHelp is the help bar while verifying and on the result.
func (v suggestionsView) verifyHelp() keyMap {
	if v.mode == modeVerifying {
		return keyMap{short: []key.Binding{verifyKeys.Cancel}, full: [][]key.Binding{{verifyKeys.Cancel}}}
	}
	k := []key.Binding{navHelp, verifyKeys.Back}
	if v.run.err == nil && v.run.res.Report != nil && v.run.res.Report.OK() {
		k = []key.Binding{navHelp, verifyKeys.Write, verifyKeys.Back}
	}
	return keyMap{short: k, full: [][]key.Binding{{nav.Up, nav.Down, nav.PageUp, nav.PageDown}, k[1:]}}
}
