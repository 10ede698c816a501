package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/dustin/go-humanize"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/spf13/cobra"
)

// terminalWidth is the width of the terminal w writes to; ok is false when
// w is not a terminal (a file, a pipe, a test's buffer). Tests replace it
// to see the progress a person sees.
var terminalWidth = func(w io.Writer) (width int, ok bool) {
	f, isFile := outputFile(w)
	if !isFile || !term.IsTerminal(f.Fd()) {
		return 0, false
	}
	width, _, err := term.GetSize(f.Fd())
	if err != nil || width <= 0 {
		width = 80
	}
	return width, true
}

// progressRedraw is how often the status line is redrawn at most while
// bytes stream (a phase change is drawn at once).
const progressRedraw = 100 * time.Millisecond

// progressLine shows a long run's progress on one line of stderr, redrawn
// in place: the image being read, its layers read of the layers it has,
// the bytes read of the bytes it has where the source says, then what
// follows the read. It is shown only when stderr is a terminal and
// --quiet is not given; the line is erased when the run ends, on success,
// error or interrupt (gate). A nil *progressLine shows nothing.
type progressLine struct {
	g     *gate
	width int

	mu       sync.Mutex
	what     string                   // "Reading IMAGE"
	layers   map[int]inspect.Progress // the last event of each layer
	count    int
	total    int64
	drawn    time.Time
	lastLine string
}

// newProgress is the status line of cmd's stderr; nil when nothing is to
// be shown.
func newProgress(cmd *cobra.Command) *progressLine {
	if quiet, _ := cmd.Flags().GetBool("quiet"); quiet {
		return nil
	}
	g, ok := cmd.ErrOrStderr().(*gate)
	if !ok {
		return nil
	}
	width, ok := terminalWidth(g.w)
	if !ok {
		return nil
	}
	return &progressLine{g: g, width: width}
}

// start begins the read of an image; what names it ("Reading IMAGE").
func (p *progressLine) start(what string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.what, p.layers, p.count, p.total = what, map[int]inspect.Progress{}, 0, -1
	p.draw(p.what+": opening the image…", true)
}

// opened says what comes before the first byte of a layer: the Docker
// engine exports the whole image first (docker save).
func (p *progressLine) opened(transport string) {
	if p == nil || transport != "docker-daemon" {
		return
	}
	p.phase(p.what + ": the Docker engine exports the image (docker save)…")
}

// events is the Progress callback of the read; nil for a nil line.
func (p *progressLine) events() func(inspect.Progress) {
	if p == nil {
		return nil
	}
	return p.event
}

func (p *progressLine) event(ev inspect.Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.layers == nil {
		return // not started, or already done
	}
	first := len(p.layers) == 0
	p.layers[ev.Layer] = ev
	p.count, p.total = ev.Layers, ev.ImageTotal
	read, finished := p.sums()
	bytes := humanize.Bytes(uint64(read))
	if p.total > 0 {
		bytes += " of " + humanize.Bytes(uint64(p.total))
	}
	line := fmt.Sprintf("%s: %d of %d layers · %s read", p.what, finished, max(p.count, len(p.layers)), bytes)
	all := p.count > 0 && finished >= p.count
	if all {
		line = p.what + ": merging the layers, building the inventories, running the rules…"
	}
	p.draw(line, first || all || ev.Finished)
}

// sums are the bytes read and the layers finished.
func (p *progressLine) sums() (read int64, finished int) {
	for _, e := range p.layers {
		read += e.Done
		if e.Finished {
			finished++
		}
	}
	return read, finished
}

// phase says what the run does after the read.
func (p *progressLine) phase(s string) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.draw(s, true)
}

// done erases the line: the run's own output follows.
func (p *progressLine) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.layers, p.lastLine = nil, ""
	p.g.setStatus("")
}

// draw shows line, cut to the terminal's width (a line that wrapped could
// not be redrawn in place), unless the last one was drawn less than
// progressRedraw ago and now is not forced.
func (p *progressLine) draw(line string, force bool) {
	now := time.Now()
	if !force && now.Sub(p.drawn) < progressRedraw {
		return
	}
	line = textsafe.Clip(line, p.width-1)
	if line == p.lastLine {
		return
	}
	p.drawn, p.lastLine = now, line
	p.g.setStatus(line)
}
