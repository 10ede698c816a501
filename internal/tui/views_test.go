package tui

import (
	"os"
	"strings"
	"testing"
	"time"

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
	// What Init starts (the layer index) arrives, as in the program.
	for _, msg := range runCmd(m.Init(), 30*time.Second) {
		m, _ = m.Update(msg)
	}
	return m
}

func press(m tea.Model, keys ...string) tea.Model {
	for _, k := range keys {
		m = drive(m, keyp(k))
	}
	return m
}

// step is one state of a view: the keys that lead to it and what the
// screen then shows.
type step struct {
	name string
	keys []string
	want []string // on screen
}

// checkSteps presses each step's keys in turn and checks the screen: its
// size, what it shows, and its golden file.
func checkSteps(t *testing.T, m tea.Model, width, height int, steps []step) {
	t.Helper()
	for _, s := range steps {
		m = press(m, s.keys...)
		t.Run(s.name, func(t *testing.T) {
			screen := m.(Model).screen()
			checkScreen(t, screen, width, height)
			text := ansi.Strip(screen)
			for _, w := range s.want {
				if !strings.Contains(text, w) {
					t.Errorf("screen lacks %q:\n%s", w, text)
				}
			}
			requireGolden(t, text)
		})
	}
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
	checkSteps(t, demoModel(t, 80, 24), 80, 24, []step{
		{"summary", nil, []string{"[Summary]", "Recoverable 251 kB of 488 kB", "Biggest wins", "›"}},
		{"layers", []string{"tab", "j", "j"}, []string{"[Layers]", "› ", "RUN apt-get update"}},
		{"findings", []string{"4", "j", "enter", "j", "enter"}, []string{"▾ SP503", "/app/docs/logo.png"}},
		{"findings-reveal", []string{"j", "j", "j", "enter"}, []string{"[Files]", "› ", "logo.png [SP503]"}},
		{"layer-filter", []string{"shift+tab", "j", "j", "j", "enter"}, []string{"[Files]", "layer 5 of 7 only", "_multiarray_umath"}},
		{"path-filter", []string{"esc", "/", "p", "y", "c", "enter", "x"}, []string{"substring: pyc", "opt-1.pyc [SP111]"}},
		{"hidden", []string{"esc", "/", "t", "e", "s", "t", "s", "enter"}, []string{"tests (gone)", "✗ hidden copy: stored by layer 6, deleted by layer 7"}},
		// "/" opens with the old text selected: typing replaces it.
		{"filter-reopened", []string{"/"}, []string{"substring /tests"}},
		{"filter-replaced", []string{"a", "p", "p", "enter"}, []string{"substring: app"}},
		{"regex", []string{"/", "tab", "\\", ".", "j", "s", "o", "n", "$", "enter"}, []string{"regex: \\.json$", "sample.json"}},
		{"glob", []string{"/", "tab", "*", "*", "/", "d", "o", "c", "s", "enter"}, []string{"glob: **/docs", "logo.png"}},
		{"layer-deletions", []string{"esc", "x", "["}, []string{"layer 7 of 7 only", "#7 RUN rm -rf /app/tests", "hides 9.8 kB", "-   ▾ tests/", "-       ✗ sample.json"}},
		{"layer-metadata", []string{"["}, []string{"layer 6 of 7 only", "* ▾ app/", "owner 0:0 → 1000:1000"}},
		{"as-of", []string{"a", "j"}, []string{"as of layer 6 of 7", "*", "L0"}},
		{"types", []string{"=", "*"}, []string{"only +added ~modified -removed", "nothing matches the filters"}},
		{"min-size", []string{"esc", "]", ">", "5", "k", "B", "enter"}, []string{"as of layer 7 of 7", "≥ 5.0 kB", "_multiarray_umath"}},
		{"help", []string{"esc", "esc", "?"}, []string{"open all", "sort", "prev layer", "min size", "types"}},
		{"suggestions", []string{"?", "5", "space", "j", "space"}, []string{"2 of 5 accepted", "[x] S01", "[x] S02", "── diff S02", "saves at least"}},
		{"advice", []string{"G", "space"}, []string{"S05 is advice only", " -  S05", "advice only: no automatic change"}},
		{"all", []string{"a"}, []string{"4 of 5 accepted"}},
		{"none", []string{"a", "g", "space", "j", "space"}, []string{"2 of 5 accepted"}},
		{"diff", []string{"enter"}, []string{"+RUN pip install --no-cache-dir -r requirements.txt"}},
		{"confirm", []string{"esc", "w"}, []string{"Write 2 accepted suggestions (S01, S02)?", "replace Dockerfile (backup kept)"}},
		{"written", []string{"y"}, []string{"Wrote Dockerfile with S01, S02", "backup Dockerfile.bak"}},
		// A summary row opens its finding.
		{"summary-open", []string{"1", "j", "enter"}, []string{"[Findings]", "›     ▾"}},
	})
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

// The first screen does not wait for the file tree: until Input.Tree
// returns, the files view says it is building it, and a finding opened in
// the meantime is shown once the tree is there.
func TestTreeAfterFirstScreen(t *testing.T) {
	in := *demoInput(t)
	build := in.Tree
	release := make(chan struct{})
	in.Tree = func() *TreeNode { <-release; return build() }
	var m tea.Model = New(Config{Image: "demo", Input: &in})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	treeDone := make(chan []tea.Msg, 1)
	go func() { treeDone <- runCmd(waitTree(&in), 30*time.Second) }()

	if s := plain(m.(Model)); !strings.Contains(s, "Biggest wins") {
		t.Fatalf("the summary does not show before the tree:\n%s", s)
	}
	m = press(m, "3")
	if s := plain(m.(Model)); !strings.Contains(s, "building the file tree…") || strings.Contains(s, "0 B in 0 files") {
		t.Errorf("the files view does not say the tree is being built, or gives figures of a tree not built:\n%s", s)
	}
	// Open the finding of /app/docs/logo.png (as TestViews' findings-reveal).
	m = press(m, "4", "j", "enter", "j", "enter", "j", "j", "j", "enter")
	close(release)
	for _, msg := range <-treeDone {
		m, _ = m.Update(msg)
	}
	s := plain(m.(Model))
	for _, want := range []string{"[Files]", "› ", "logo.png [SP503]"} {
		if !strings.Contains(s, want) {
			t.Errorf("once the tree is built the screen does not show %q:\n%s", want, s)
		}
	}
}

// The split view at 120 columns: the layer list beside the tree, the tree
// following the layers view's cursor.
func TestSplitView(t *testing.T) {
	checkSteps(t, demoModel(t, 120, 30), 120, 30, []step{
		{"layers", []string{"2", "G"}, []string{"Layers · j/k steps, the tree follows", "layer 7 of 7 only", "-   ▾ tests/", "✗ sample.json"}},
		{"follows", []string{"k"}, []string{"layer 6 of 7 only", "*", "drwxr-xr-x 1000:1000"}},
		{"files", []string{"enter", "]"}, []string{"Layers · [ ] steps", "layer 7 of 7 only", "final file system"}},
	})
}

// At 60 columns every list keeps its bytes column, and paths are cut in
// the middle: the file name stays.
func TestNarrow(t *testing.T) {
	checkSteps(t, demoModel(t, 60, 20), 60, 20, []step{
		{"findings", []string{"4", "enter", "j", "enter"}, []string{"50 kB", "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "gcc-…"}},
		{"files", []string{"3", "/", "c", "o", "n", "f", "t", "e", "s", "t", "enter", "x"}, []string{"conftest.py", "800 B"}},
		{"layer", []string{"esc", "esc", "[", "["}, []string{"layer 6 of 7", "47 kB", "* ▾ app/"}},
	})
	if got := cutMiddle("/usr/lib/python3/dist-packages/scipy/stats/tests/test_stats.py", 30); got != "/usr/lib/python…/test_stats.py" {
		t.Errorf("cutMiddle kept %q", got)
	}
	if got := cutMiddle("python3.11-minimal_3.11.2-6+deb12u8_amd64.deb", 20); !strings.HasSuffix(got, "amd64.deb") || !strings.Contains(got, "…") {
		t.Errorf("cutMiddle of a name kept %q", got)
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
