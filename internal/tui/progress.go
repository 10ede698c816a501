package tui

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
)

// progressMsg is one progress event of the analysis, stamped when the UI
// received it.
type progressMsg struct {
	p  inspect.Progress
	at time.Time
}

// eventsClosedMsg says the progress channel is closed.
type eventsClosedMsg struct{}

// loadedMsg carries the end of the analysis.
type loadedMsg Loaded

// tickMsg refreshes the elapsed time and throughput between events.
type tickMsg time.Time

// waitEvent reads the next progress event.
func waitEvent(ch <-chan inspect.Progress) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		p, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		return progressMsg{p: p, at: time.Now()}
	}
}

// waitLoaded waits for the end of the analysis.
func waitLoaded(ch <-chan Loaded) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg { return loadedMsg(<-ch) }
}

func tick() tea.Cmd {
	return tea.Tick(500*time.Millisecond, func(t time.Time) tea.Msg { return tickMsg(t) })
}

// layerProgress is what the progress view knows of one layer.
type layerProgress struct {
	index            int
	createdBy        string
	done, total      int64
	cached, finished bool
	start, last      time.Time
}

// rate is the layer's read throughput in bytes per second.
func (l *layerProgress) rate(now time.Time) float64 {
	end := now
	if l.finished {
		end = l.last
	}
	d := end.Sub(l.start).Seconds()
	if d < 0.05 || l.cached {
		return 0
	}
	return float64(l.done) / d
}

// progressView shows the layers while they stream.
type progressView struct {
	image   string
	started time.Time
	first   time.Time // the first event: the rate counts from there
	now     time.Time
	layers  map[int]*layerProgress
	count   int   // the image's layers, from the first event on
	total   int64 // their bytes; -1 when the source does not say
	bar     progress.Model
	spin    spinner.Model
	c       cursor
	height  int
}

var progressKeys = keyMap{
	short: []key.Binding{key.NewBinding(key.WithKeys("q", "esc"), key.WithHelp("q/esc", "cancel"))},
	full:  [][]key.Binding{nav.bindings()},
}

func newProgressView(image string, now time.Time) progressView {
	return progressView{
		image:   image,
		started: now,
		now:     now,
		layers:  map[int]*layerProgress{},
		bar:     progress.New(progress.WithoutPercentage(), progress.WithColors(colMagenta), progress.WithFillCharacters('█', '░')),
		spin:    spinner.New(spinner.WithSpinner(spinner.MiniDot)),
	}
}

func (v progressView) Init() tea.Cmd { return tea.Batch(v.spin.Tick, tick()) }

func (v progressView) Update(msg tea.Msg) (progressView, tea.Cmd) {
	switch msg := msg.(type) {
	case progressMsg:
		p := msg.p
		l := v.layers[p.Layer]
		if v.first.IsZero() {
			v.first = msg.at
		}
		if l == nil {
			l = &layerProgress{index: p.Layer, start: msg.at}
			v.layers[p.Layer] = l
		}
		l.createdBy, l.done, l.total, l.cached, l.last = p.CreatedBy, p.Done, p.Total, p.Cached, msg.at
		l.finished = l.finished || p.Finished
		v.count, v.total = p.Layers, p.ImageTotal
		v.now = msg.at
		return v, nil
	case tickMsg:
		v.now = time.Time(msg)
		return v, tick()
	case spinner.TickMsg:
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg)
		return v, cmd
	}
	v.c.navigate(msg, len(v.layers), v.height)
	return v, nil
}

// order lists the layers: those still reading first, then the rest, each
// by index.
func (v progressView) order() []*layerProgress {
	out := make([]*layerProgress, 0, len(v.layers))
	for _, l := range v.layers {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b *layerProgress) int {
		if a.finished != b.finished {
			if a.finished {
				return 1
			}
			return -1
		}
		return a.index - b.index
	})
	return out
}

func (v progressView) View(width, height int) string {
	var b strings.Builder
	var done, total int64
	finished, known := 0, true
	for _, l := range v.layers {
		done += l.done
		if l.total < 0 {
			known = false
		}
		total += max(l.total, 0)
		if l.finished {
			finished++
		}
	}
	elapsed := v.now.Sub(v.started).Round(100 * time.Millisecond)
	fmt.Fprintf(&b, "%s %s %s\n", v.spin.View(), styleTitle.Render("Reading"), v.image)
	if v.count > 0 { // the image's own figures, not the sum of the layers seen so far
		known, total = v.total >= 0, v.total
	}
	line := fmt.Sprintf("%d of %d layers read · %s", finished, max(v.count, len(v.layers)), humanize.Bytes(uint64(done)))
	if known && total > 0 {
		line += " of " + humanize.Bytes(uint64(total))
	}
	if s := v.now.Sub(v.first).Seconds(); !v.first.IsZero() && s > 0.05 {
		line += fmt.Sprintf(" · %s/s", humanize.Bytes(uint64(float64(done)/s)))
	}
	line += fmt.Sprintf(" · %s", elapsed)
	b.WriteString(styleDim.Render(line) + "\n")
	if len(v.layers) == 0 {
		b.WriteString(styleDim.Render("opening the image (one in the Docker engine is exported first: docker save)…") + "\n")
	} else if finished == max(v.count, len(v.layers)) {
		b.WriteString(styleStatus.Render("merging the layers, building the inventories, running the rules…") + "\n")
	} else {
		b.WriteString("\n")
	}
	rows := v.order()
	listH := height - 3
	v.c.clamp(len(rows), listH)
	start, end := v.c.window(len(rows), listH)
	barW := max(10, min(30, width/4))
	v.bar.SetWidth(barW)
	for _, l := range rows[start:end] {
		b.WriteString(v.row(l, width, barW) + "\n")
	}
	return fit(b.String(), width, height)
}

// row is one layer: index, bar, bytes, throughput and instruction.
func (v progressView) row(l *layerProgress, width, barW int) string {
	var bar, bytes, rate string
	switch {
	case l.cached:
		bar = styleGood.Render(padRight("cached", barW))
		bytes = humanize.Bytes(uint64(l.done))
	case l.total > 0:
		bar = v.bar.ViewAs(min(1, float64(l.done)/float64(l.total)))
		bytes = humanize.Bytes(uint64(l.done)) + " / " + humanize.Bytes(uint64(l.total))
	case l.finished:
		bar = v.bar.ViewAs(1)
		bytes = humanize.Bytes(uint64(l.done))
	default: // size unknown: the daemon streams uncompressed tars
		bar = padRight(v.spin.View()+" reading", barW)
		bytes = humanize.Bytes(uint64(l.done)) + " / ?"
	}
	if r := l.rate(v.now); r > 0 {
		rate = humanize.Bytes(uint64(r)) + "/s"
	}
	state := " "
	if l.finished {
		state = styleGood.Render("✓")
	}
	head := fmt.Sprintf("%s #%-2d %s %s %s  ", state, l.index, bar, padLeft(bytes, 17), padLeft(rate, 10))
	return head + styleDim.Render(truncate(imageText(l.createdBy), width-ansi.StringWidth(head)))
}
