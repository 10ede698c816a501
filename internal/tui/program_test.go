package tui

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/slimpy/slimpy/internal/inspect"
)

// probe is the real Model with a window on its latest screen, so a test
// can wait for a screen without parsing the renderer's partial redraws.
type probe struct {
	Model
	screen *screenLog
}

type screenLog struct {
	mu   sync.Mutex
	text string
}

func (s *screenLog) set(t string) { s.mu.Lock(); s.text = t; s.mu.Unlock() }
func (s *screenLog) get() string  { s.mu.Lock(); defer s.mu.Unlock(); return s.text }

func (p probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	m, cmd := p.Model.Update(msg)
	p.Model = m.(Model)
	p.screen.set(plain(p.Model))
	return p, cmd
}

// waitScreen waits until the screen shows every one of want.
func waitScreen(t *testing.T, s *screenLog, want ...string) {
	t.Helper()
	waitScreenFor(t, s, 10*time.Second, want...)
}

// waitScreenFor is waitScreen for work that takes longer (builds on the
// Docker engine).
func waitScreenFor(t *testing.T, s *screenLog, patience time.Duration, want ...string) {
	t.Helper()
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		text := s.get()
		ok := true
		for _, w := range want {
			ok = ok && strings.Contains(text, w)
		}
		if ok {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the screen never showed %q; it shows:\n%s", want, s.get())
}

// TestProgram drives the real program (teatest) on the demo image: the
// real analysis streams its layers into the progress view, then a person
// goes through every view, accepts two suggestions and writes the
// Dockerfile.
func TestProgram(t *testing.T) {
	demo, err := filepath.Abs(demoImage)
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	var events int
	var mu sync.Mutex
	cfg, wait := Start(context.Background(), "demo.tar", func(ctx context.Context, progress func(inspect.Progress)) (*Input, error) {
		a, err := analyze(ctx, demo, func(p inspect.Progress) {
			mu.Lock()
			events++
			mu.Unlock()
			progress(p)
		})
		if err != nil {
			return nil, err
		}
		in := inputOf(a)
		in.Report.Image.Reference = "testdata/images/demo.tar" // not this machine's path
		in.Fixes = demoFixes(t, in.Report, ".")
		return in, nil
	})
	defer wait()
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(cfg), screen: log}, teatest.WithInitialTermSize(80, 24))

	waitScreen(t, log, "[Summary]", "Recoverable 251 kB of 488 kB")
	tm.Send(keyp("tab"))
	waitScreen(t, log, "[Layers]", "INSTRUCTION")
	for range 5 {
		tm.Send(keyp("j"))
	}
	tm.Send(keyp("enter"))
	waitScreen(t, log, "[Files]", "layer 5 of 7 only", "_multiarray_umath")
	tm.Send(keyp("esc"))
	tm.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	waitScreen(t, log, "sort: size", "› ")
	tm.Send(keyp("tab"))
	waitScreen(t, log, "[Findings]")
	tm.Send(keyp("enter"))
	waitScreen(t, log, "▾ SP201")
	tm.Send(keyp("tab"))
	waitScreen(t, log, "[Suggestions]", "0 of 5 accepted")
	tm.Send(keyp("space"))
	tm.Send(keyp("j"))
	tm.Send(keyp("j"))
	tm.Send(keyp("space"))
	waitScreen(t, log, "2 of 5 accepted", "[x] S01", "[x] S03")
	tm.Send(keyp("enter"))
	waitScreen(t, log, "+COPY --chown=app:app . /app")
	tm.Send(keyp("esc"))
	tm.Send(keyp("w"))
	waitScreen(t, log, "Write 2 accepted suggestions (S01, S03)?", "replace Dockerfile (backup kept)")
	tm.Send(keyp("y"))
	waitScreen(t, log, "Wrote Dockerfile with S01, S03")
	tm.Send(keyp("q"))

	final := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(probe).Model
	if err := final.Err(); err != nil {
		t.Fatalf("Err() = %v", err)
	}
	if got := final.suggest.acceptedIDs(); strings.Join(got, ",") != "S01,S03" {
		t.Errorf("accepted %v", got)
	}
	mu.Lock()
	if events == 0 {
		t.Error("no progress events reached the program")
	}
	mu.Unlock()
	got, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(demoDockerfile, demoEdits[0].old, demoEdits[0].new, 1), demoEdits[2].old, demoEdits[2].new, 1)
	if string(got) != want {
		t.Errorf("Dockerfile:\n%s\nwant:\n%s", got, want)
	}
	requireGolden(t, plain(final))
	// The program drew that screen: its last words are on the output, and
	// it leaves the alternate screen and shows the cursor again.
	out, _ := io.ReadAll(tm.FinalOutput(t))
	for _, w := range []string{"Wrote", "\x1b[?1049l", "\x1b[?25h"} {
		if !bytes.Contains(out, []byte(w)) {
			t.Errorf("output lacks %q", w)
		}
	}
}

// q during the analysis cancels it, and the program ends with
// context.Canceled.
func TestProgramCancel(t *testing.T) {
	events := make(chan inspect.Progress, 1)
	done := make(chan Loaded)
	cancelled := make(chan struct{})
	cfg := Config{Image: "big:latest", Events: events, Done: done, Cancel: func() { close(cancelled) }}
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(cfg), screen: log}, teatest.WithInitialTermSize(80, 24))
	events <- inspect.Progress{Layer: 3, CreatedBy: "RUN apt-get install -y gcc", Done: 12 << 20, Total: 29 << 20, Layers: 6, ImageTotal: 200 << 20}
	// The image's layer count and bytes from the first event on.
	waitScreen(t, log, "Reading big:latest", "0 of 6 layers read · 13 MB of 210 MB", "#3", "13 MB / 30 MB", "RUN apt-get install")
	tm.Send(keyp("q"))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(probe).Model
	select {
	case <-cancelled:
	default:
		t.Error("Cancel was not called")
	}
	if !errors.Is(final.Err(), context.Canceled) {
		t.Errorf("Err() = %v, want context.Canceled", final.Err())
	}
}

// An analysis that fails ends the program with its error.
func TestProgramError(t *testing.T) {
	cfg, wait := Start(context.Background(), "nope", func(ctx context.Context, progress func(inspect.Progress)) (*Input, error) {
		return nil, errors.New("nope: no such image")
	})
	defer wait()
	tm := teatest.NewTestModel(t, New(cfg), teatest.WithInitialTermSize(80, 24))
	final := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if final.Err() == nil || final.Err().Error() != "nope: no such image" {
		t.Errorf("Err() = %v", final.Err())
	}
}

// NO_COLOR: the program draws without colours, keeping reverse video for
// the selected row.
func TestNoColor(t *testing.T) {
	t.Setenv("NO_COLOR", "yes")
	opts := ProgramOptions()
	if len(opts) != 1 {
		t.Fatalf("%d options under NO_COLOR", len(opts))
	}
	in := demoInput(t)
	for _, c := range []struct {
		name    string
		opts    []tea.ProgramOption
		colours bool
	}{
		{"NO_COLOR", opts, false},
		{"ANSI", []tea.ProgramOption{tea.WithColorProfile(colorprofile.ANSI)}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			tm := teatest.NewTestModel(t, New(Config{Image: "demo", Input: in}),
				teatest.WithInitialTermSize(80, 24), teatest.WithProgramOptions(c.opts...))
			tm.Send(keyp("2"))
			tm.Send(keyp("q"))
			out, _ := io.ReadAll(tm.FinalOutput(t, teatest.WithFinalTimeout(5*time.Second)))
			colours, reverse := sgr(out)
			if colours != c.colours {
				t.Errorf("colours in the output: %v, want %v", colours, c.colours)
			}
			if !reverse {
				t.Error("no reverse video for the selected row")
			}
		})
	}
	t.Setenv("NO_COLOR", "")
	if len(ProgramOptions()) != 0 {
		t.Error("options without NO_COLOR")
	}
}

var sgrSeq = regexp.MustCompile(`\x1b\[([0-9;:]*)m`)

// sgr reports whether the output sets a colour (foreground or background)
// and whether it sets reverse video.
func sgr(out []byte) (colours, reverse bool) {
	for _, m := range sgrSeq.FindAllSubmatch(out, -1) {
		params := strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == ';' || r == ':' })
		for i := 0; i < len(params); i++ {
			n, _ := strconv.Atoi(params[i])
			switch {
			case n == 38 || n == 48 || n == 58:
				colours = true
				i = len(params) // the rest are the colour's own numbers
			case n >= 30 && n <= 37, n >= 40 && n <= 47, n >= 90 && n <= 97, n >= 100 && n <= 107:
				colours = true
			case n == 7:
				reverse = true
			}
		}
	}
	return colours, reverse
}

// The first screen does not wait for the suggestions: Input.Pending works
// them out afterwards, and the view says so meanwhile.
func TestPendingFixes(t *testing.T) {
	in := *demoInput(t)
	release := make(chan struct{})
	in.Pending = func() Fixes {
		<-release
		return demoFixes(t, in.Report, t.TempDir())
	}
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: &in}), screen: log}, teatest.WithInitialTermSize(80, 24))
	tm.Send(keyp("5"))
	waitScreen(t, log, "[Suggestions]", pendingNote)
	close(release)
	waitScreen(t, log, "0 of 5 accepted", "S01")
	tm.Send(keyp("1"))
	tm.Send(keyp("G"))
	waitScreen(t, log, "5 changes to", "the largest saves")
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// The mouse: a click on a tab opens it, a click on a row selects it, a
// second click on the selected row opens it (as enter), and in the split
// view a click on the layer list shows that layer.
func TestMouse(t *testing.T) {
	in := demoInput(t)
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: in}), screen: log}, teatest.WithInitialTermSize(80, 24))
	click := func(x, y int) { tm.Send(tea.MouseClickMsg{X: x, Y: y, Button: tea.MouseLeft}) }
	waitScreen(t, log, "[Summary]")
	click(27, 0) // "Files" on the top line
	// The tree is built after the first screen: its rows are there to click.
	waitScreen(t, log, "[Files]", "final ·", "▸ app/")
	click(10, 4) // the second row of the tree (the tree starts on line 3)
	waitScreen(t, log, "›    37 kB  L7  ▸ app/")
	click(10, 4)
	waitScreen(t, log, "›    37 kB  L7  ▾ app/")
	click(18, 0) // "Layers"
	waitScreen(t, log, "[Layers]")
	click(10, 3) // layer 1's row
	click(10, 3) // again: its own changes in Files
	waitScreen(t, log, "[Files]", "layer 1 of 7 only")
	// The split view: a click on a layer of the list shows it.
	tm.Send(tea.WindowSizeMsg{Width: 120, Height: 30})
	waitScreen(t, log, "Layers · [ ] steps")
	click(5, 9) // layer 6 (row 0: the final tree, on line 2)
	waitScreen(t, log, "layer 6 of 7 only", "* ▾ app/")
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}

// What a dive user does in the first minute, with dive's keys where they
// mean the same: tab from the layer list into its tree and back, the
// tree's keys (a: the tree as of the layer, ctrl+f: the filter) from the
// layer list, the layer's digest beside its instruction, and every layer
// that stored a file.
func TestDiveUserFirstMinute(t *testing.T) {
	in := demoInput(t)
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: in}), screen: log}, teatest.WithInitialTermSize(120, 40))
	waitScreen(t, log, "[Summary]")
	tm.Send(keyp("tab"))
	tm.Send(keyp("j"))
	waitScreen(t, log, "[Layers]", "Layers · j/k steps, the tree follows", "layer 1 of 7 only",
		"diff_id "+in.Report.Layers[1].DiffID[:20], "a layer/as of", "/ filter")
	// a, from the layer list: the tree as of the layer; the list keeps the keys.
	tm.Send(keyp("a"))
	tm.Send(keyp("j"))
	waitScreen(t, log, "[Layers]", "as of layer 2 of 7", "diff_id "+in.Report.Layers[2].DiffID[:20])
	// tab: into the tree of that layer, as in dive; shift+tab: back.
	tm.Send(keyp("tab"))
	waitScreen(t, log, "[Files]", "Layers · [ ] steps", "as of layer 2 of 7", "enter open")
	tm.Send(keyp("shift+tab"))
	waitScreen(t, log, "[Layers]", "as of layer 2 of 7")
	// ctrl+f, dive's filter key, from the layer list: the field opens in
	// the tree, which has the keyboard until enter.
	tm.Send(tea.KeyPressMsg{Code: 'f', Mod: tea.ModCtrl})
	waitScreen(t, log, "[Files]", "substring /")
	for _, k := range []string{"a", "p", "p", ".", "p", "y", "enter"} {
		tm.Send(keyp(k))
	}
	waitScreen(t, log, "[Files]", "as of layer 2 of 7", "substring: app.py")
	// The final tree names every layer that stored a path: app.py was
	// written by layer 4, stored again by the chown -R of layer 6.
	tm.Send(keyp("esc"))
	tm.Send(keyp("esc"))
	tm.Send(keyp("/"))
	for _, k := range []string{"a", "p", "p", ".", "p", "y", "enter", "G"} {
		tm.Send(keyp(k))
	}
	waitScreen(t, log, "final · 4.0 kB in 1 file that match", "› ", "app.py",
		"written by layer 6, before it by layer 4 (4.0 kB hidden): RUN chown -R app:app /app")
	// A path that is gone: which layers stored it and which removed it.
	tm.Send(keyp("/"))
	for _, k := range []string{"t", "e", "s", "t", "_", "a", "p", "p", "enter", "x", "G", "k", "k"} {
		tm.Send(keyp(k))
	}
	waitScreen(t, log, "test_app.py (gone)", "gone: stored by layers 4, 6, deleted by layer 7 (6.0 kB hidden; x shows them)")
	// Below 120 columns the layers are a table of their own: tab from it
	// goes into the selected layer's tree too.
	tm.Send(tea.WindowSizeMsg{Width: 80, Height: 24})
	tm.Send(keyp("2"))
	tm.Send(keyp("G"))
	tm.Send(keyp("k"))
	waitScreen(t, log, "[Layers]", "INSTRUCTION", "diff_id "+in.Report.Layers[6].DiffID)
	tm.Send(keyp("tab"))
	waitScreen(t, log, "[Files]", "layer 6 of 7 only", "#6 RUN chown -R app:app /app")
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
}
