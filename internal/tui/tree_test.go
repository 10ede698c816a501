package tui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

func fixture(name string) string { return filepath.Join("..", "..", "testdata", "images", name+".tar") }

// The tree's totals are the report's: visible bytes and files (hardlinks
// once), and every hidden copy once.
func TestBuildTreeTotalsMatchReport(t *testing.T) {
	for _, name := range []string{"whiteouts", "hardlinks", "chown", "python", "demo"} {
		t.Run(name, func(t *testing.T) {
			a, err := analyze(context.Background(), fixture(name), nil)
			if err != nil {
				t.Fatal(err)
			}
			in := inputOf(a)
			root, r := in.Tree(), in.Report
			if root.Size != r.Totals.Size || root.Files != r.Totals.Files {
				t.Errorf("tree %d bytes in %d files, report %d in %d", root.Size, root.Files, r.Totals.Size, r.Totals.Files)
			}
			if root.HiddenBytes != r.Waste.Bytes {
				t.Errorf("tree hides %d bytes, report %d", root.HiddenBytes, r.Waste.Bytes)
			}
			// Every flagged path that the merged view or a hidden copy has
			// carries its rule.
			for _, f := range r.Findings {
				for _, p := range f.Paths {
					if n := root.Find(p); n != nil && !slices.Contains(n.Rules, f.Rule) {
						t.Errorf("%s: %s not marked", p, f.Rule)
					}
				}
			}
		})
	}
}

// Deleted paths come back as ghosts holding their hidden copies, a
// directory replaced by a file keeps its old children as ghosts, and an
// overwritten file lists the copy it hides.
func TestBuildTreeGhosts(t *testing.T) {
	a, err := analyze(context.Background(), fixture("whiteouts"), nil)
	if err != nil {
		t.Fatal(err)
	}
	root := BuildTree(a.FS, nil)
	for _, c := range []struct {
		path           string
		visible        bool
		kind           layer.Kind
		size, hidden   int64
		ownHiddenCount int
	}{
		{"/tmp/delete-me.bin", false, layer.KindFile, 0, 1000, 1},
		{"/opt/tree", false, layer.KindDir, 0, 900, 0},
		{"/opt/tree/sub/c.bin", false, layer.KindFile, 0, 400, 1},
		{"/var/data", true, layer.KindFile, 90, 1500, 0},
		{"/var/data/x.db", false, layer.KindFile, 0, 700, 1},
		{"/etc/motd", true, layer.KindFile, 120, 100, 1},
		{"/srv/cache/new1", true, layer.KindFile, 250, 0, 0},
		{"/srv/cache/old1", false, layer.KindFile, 0, 500, 1},
	} {
		n := root.Find(c.path)
		if n == nil {
			t.Errorf("%s: not in the tree", c.path)
			continue
		}
		if n.Visible != c.visible || n.Kind != c.kind || n.counted() != c.size || n.HiddenBytes != c.hidden || len(n.Hidden) != c.ownHiddenCount {
			t.Errorf("%s: visible %v kind %v size %d hidden %d (%d copies), want %v %v %d %d (%d)", c.path,
				n.Visible, n.Kind, n.counted(), n.HiddenBytes, len(n.Hidden), c.visible, c.kind, c.size, c.hidden, c.ownHiddenCount)
		}
	}
	// Children stay sorted by name after the ghosts are inserted.
	var check func(n *TreeNode)
	check = func(n *TreeNode) {
		if !slices.IsSortedFunc(n.Children, func(a, b *TreeNode) int { return cmpString(a.Name, b.Name) }) {
			t.Errorf("%s: children not sorted", n.Path)
		}
		for _, c := range n.Children {
			if c.Parent != n {
				t.Errorf("%s: wrong parent", c.Path)
			}
			check(c)
		}
	}
	check(root)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestBuildTreeNil(t *testing.T) {
	root := BuildTree(nil, nil)
	if root == nil || root.Path != "/" || len(root.Children) != 0 {
		t.Fatalf("BuildTree(nil) = %+v", root)
	}
}

// Strings from the image never reach the terminal raw: file names, link
// targets, instructions, the image's own fields and finding titles are
// escaped in every view.
func TestHostileStrings(t *testing.T) {
	in := *demoInput(t)
	const csi, osc = "\x1b[2J", "\x1b]52;c;aGk=\x07"
	in.Report.Image.Reference = "img" + csi
	in.Report.Image.OS = "Debian" + osc
	in.Report.Layers = append([]inspect.LayerReport(nil), in.Report.Layers...)
	in.Report.Layers[1].CreatedBy = "RUN echo" + osc + "\nforged line"
	in.Report.Findings = append([]rules.Finding(nil), in.Report.Findings...)
	in.Report.Findings[0].Title += csi
	root := &TreeNode{Name: "/", Path: "/", Kind: layer.KindDir, Layer: -1, Visible: true}
	root.Children = []*TreeNode{
		{Name: "evil" + csi, Path: "/evil" + csi, Kind: layer.KindFile, Size: 10, Layer: 1, Visible: true, Parent: root},
		{Name: "link", Path: "/link", Kind: layer.KindSymlink, Link: "target" + osc, Layer: 1, Visible: true, Parent: root},
	}
	root.total()
	in.Tree = func() *TreeNode { return root }
	var m tea.Model = New(Config{Image: in.Report.Image.Reference, Input: &in})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m, _ = m.Update(treeMsg{root}) // what Init's waitTree delivers
	for _, keys := range [][]string{nil, {"2", "j"}, {"4", "enter", "j", "enter"}, {"3"}, {"3", "j"}} {
		m = press(m, keys...)
		screen := m.(Model).screen()
		for _, raw := range []string{csi, "\x1b]52", "\nforged"} {
			if strings.Contains(screen, raw) {
				t.Errorf("after %v the screen holds %q raw:\n%s", keys, raw, ansi.Strip(screen))
			}
		}
	}
	if screen := ansi.Strip(press(m, "3", "esc", "esc").(Model).screen()); !strings.Contains(screen, `evil\x1b[2J`) {
		t.Errorf("the name is not shown escaped:\n%s", screen)
	}
	if got := m.(Model).View().WindowTitle; strings.Contains(got, "\x1b") {
		t.Errorf("window title %q", got)
	}
}

// Findings of one rule in several layers name their layer, whether their
// titles look the same or differ by a count; a rule's only finding does not.
func TestFindingTitleNamesLayer(t *testing.T) {
	a := rules.Finding{Rule: "SP304", Title: "OS package cache: 8 files in /var/cache/apt", Layer: 1}
	b := a
	b.Layer = 3
	c := rules.Finding{Rule: "SP304", Title: "OS package cache: 88 files in /var/cache/apt", Layer: 2}
	d := rules.Finding{Rule: "SP701", Title: "documentation and man pages: 9 files", Layer: 2}
	all := []rules.Finding{a, b, c, d}
	if got := findingTitle(a, all); got != "layer 1: "+a.Title {
		t.Errorf("findingTitle = %q", got)
	}
	if got := findingTitle(c, all); got != "layer 2: "+c.Title {
		t.Errorf("a title that differs by its count: %q", got)
	}
	if got := findingTitle(d, all); got != d.Title {
		t.Errorf("the rule's only finding changed: %q", got)
	}
}

// A history entry, a user and an OS name of megabytes (a config may hold
// 4 MiB) cost a frame no more than short ones: each view folded, wrapped
// and truncated the whole string on every frame, 0.25 s a key press for
// 3.5 MB. What is shown of them is their start, cut with an ellipsis.
func TestHostileHugeStringsKeepFramesFast(t *testing.T) {
	in := *demoInput(t)
	huge := "RUN " + strings.Repeat("echo hello && ", 250_000)
	in.Report.Image.User = strings.Repeat("u", 1<<20)
	in.Report.Image.OS = strings.Repeat("Debian ", 150_000)
	in.Report.Layers = append([]inspect.LayerReport(nil), in.Report.Layers...)
	for i := range in.Report.Layers {
		in.Report.Layers[i].CreatedBy = huge
	}
	in.Report.Findings = append([]rules.Finding(nil), in.Report.Findings...)
	for i := range in.Report.Findings {
		in.Report.Findings[i].CreatedBy = huge
	}
	var m tea.Model = New(Config{Image: in.Report.Image.Reference, Input: &in})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	start := time.Now()
	frames := 0
	for _, keys := range [][]string{nil, {"2", "j", "j", "k"}, {"3", "enter", "j", "enter"}, {"4", "j"}, {"1"}} {
		for _, k := range append([]string{""}, keys...) {
			if k != "" {
				m = press(m, k)
			}
			m.(Model).screen()
			frames++
		}
	}
	if d := time.Since(start); d > time.Duration(frames)*20*time.Millisecond {
		t.Errorf("%d frames took %s", frames, d)
	}
	if screen := ansi.Strip(press(m, "2", "j").(Model).screen()); !strings.Contains(screen, "RUN echo hello && echo hello") || !strings.Contains(screen, "…") {
		t.Errorf("the layer's instruction is not shown cut:\n%s", screen)
	}
}
