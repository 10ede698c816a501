package tui

import (
	"os"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// demoModel is the model of the demo image with the test suggestions, in
// a fresh working directory that holds its Dockerfile.
func demoModel(t *testing.T, width, height int) tea.Model {
	t.Helper()
	in := *demoInput(t)
	in.Report.Image.Reference = "testdata/images/demo.tar" // as run from the repository
	t.Chdir(t.TempDir())
	in.Fixes = demoFixes(t, in.Report, ".")
	var m tea.Model = New(Config{Image: in.Report.Image.Reference, Input: &in})
	m, _ = m.Update(tea.WindowSizeMsg{Width: width, Height: height})
	return m
}

func press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		m = drive(m, keyp(k))
	}
	return m
}

// checkScreen: exactly height lines, none wider than width.
func checkScreen(t *testing.T, s string, width, height int) {
	t.Helper()
	lines := strings.Split(s, "\n")
	if len(lines) != height {
		t.Errorf("%d lines, want %d", len(lines), height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line %d is %d cells wide (> %d): %q", i, w, width, ansi.Strip(l))
		}
	}
}

// TestViews walks every view with the keys a person would press, at
// 80x24, and compares each screen with its golden file (go test -update
// rewrites them).
func TestViews(t *testing.T) {
	m := demoModel(t, 80, 24)
	steps := []struct {
		name string
		keys []string
		want []string // on screen
	}{
		{"summary", nil, []string{"[Summary]", "Recoverable 251 kB of 488 kB", "Biggest wins"}},
		{"layers", []string{"tab", "j", "j"}, []string{"[Layers]", "› ", "RUN apt-get update"}},
		{"findings", []string{"tab", "j", "enter", "j", "enter"}, []string{"▾ SP503", "/app/docs/logo.png"}},
		{"findings-reveal", []string{"j", "j", "j", "enter"}, []string{"[Files]", "› ", "logo.png [SP503]"}},
		{"layer-filter", []string{"shift+tab", "shift+tab", "j", "j", "j", "enter"}, []string{"[Files]", "layer 5 only", "_multiarray_umath"}},
		{"path-filter", []string{"esc", "/", "p", "y", "c", "enter", "x"}, []string{"filter: pyc", "opt-1.pyc [SP111]"}},
		{"hidden", []string{"esc", "/", "t", "e", "s", "t", "s", "enter"}, []string{"tests (gone)", "✗ hidden copy: stored by layer 6, deleted by layer 7"}},
		{"help", []string{"?"}, []string{"open all", "sort", "shift+tab"}},
		{"suggestions", []string{"?", "5", "space", "j", "space"}, []string{"2 of 5 accepted", "[x] S01", "[x] S02", "── diff S02"}},
		{"advice", []string{"G", "space"}, []string{"S05 is advice only", " -  S05", "advice only: no automatic change"}},
		{"all", []string{"a"}, []string{"4 of 5 accepted"}},
		{"none", []string{"a", "g", "space", "j", "space"}, []string{"2 of 5 accepted"}},
		{"diff", []string{"enter"}, []string{"+RUN pip install --no-cache-dir -r requirements.txt"}},
		{"confirm", []string{"esc", "w"}, []string{"Write 2 accepted suggestion(s) (S01, S02) to Dockerfile?"}},
		{"written", []string{"y"}, []string{"Wrote Dockerfile with S01, S02", "backup Dockerfile.bak"}},
	}
	for _, s := range steps {
		m = press(m, s.keys...)
		t.Run(s.name, func(t *testing.T) {
			screen := m.(Model).screen()
			checkScreen(t, screen, 80, 24)
			text := ansi.Strip(screen)
			for _, w := range s.want {
				if !strings.Contains(text, w) {
					t.Errorf("screen lacks %q:\n%s", w, text)
				}
			}
			requireGolden(t, text)
		})
	}
	got, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(strings.Replace(demoDockerfile, demoEdits[0].old, demoEdits[0].new, 1), demoEdits[1].old, demoEdits[1].new, 1)
	if string(got) != want {
		t.Errorf("Dockerfile:\n%s\nwant:\n%s", got, want)
	}
	if b, _ := os.ReadFile("Dockerfile.bak"); string(b) != demoDockerfile {
		t.Errorf("backup:\n%s", b)
	}
}

// Every view fits any size, and follows a resize.
func TestResize(t *testing.T) {
	m := demoModel(t, 80, 24)
	sizes := [][2]int{{80, 24}, {120, 40}, {100, 30}, {60, 15}, {20, 6}, {80, 24}}
	for view := range numTabs {
		m = press(m, string(rune('1'+view)))
		for _, k := range [][]string{nil, {"enter"}, {"j", "enter"}, {"?"}, {"?"}} {
			m = press(m, k...)
			for _, sz := range sizes {
				m, _ = m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
				checkScreen(t, m.(Model).screen(), sz[0], sz[1])
			}
			m = press(m, "esc")
		}
	}
}
