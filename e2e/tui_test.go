package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dustin/go-humanize"
)

// TestTUIExplorer drives `slimpy inspect` on the real naive image in a real
// terminal (tmux, through e2e/tui.sh) as a person would: it steps through
// every layer with one key each, then through the tree as of each layer,
// filters by regex, opens a removed path, and looks at it at 60, 80 and
// 200 columns. Each screen is checked against the figures
// scripts/debian-images.sh computed with tar and find on the intermediate
// images. SLIMPY_TUI_CAPTURES=DIR keeps the captures (docs/tui.md shows
// them).
func TestTUIExplorer(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		msg := "tmux is not installed (scripts/test installs it where apt-get can)"
		if os.Getenv("SLIMPY_REQUIRE_REALIMAGES") == "1" {
			t.Fatal(msg + "; SLIMPY_REQUIRE_REALIMAGES=1 demands this test")
		}
		t.Skip(msg)
	}
	e, archive := loadExpected(t, "full")
	bin := slimpyCLI(t)
	out := os.Getenv("SLIMPY_TUI_CAPTURES")
	if out == "" {
		out = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "tui.sh", bin, archive, fmt.Sprint(len(e.Layers)), out)
	cmd.Dir = "."
	// The program must not inherit a colourless or odd terminal setting.
	cmd.Env = append(os.Environ(), "NO_COLOR=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("e2e/tui.sh: %v\n%s", err, b)
	}
	screen := func(name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(out, name+".txt"))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	has := func(name string, want ...string) {
		t.Helper()
		s := screen(name)
		for _, w := range want {
			if !strings.Contains(s, w) {
				t.Errorf("%s lacks %q:\n%s", name, w, s)
			}
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "exit")); strings.TrimSpace(string(b)) != "slimpy exited 0" {
		t.Errorf("q: %q", b)
	}
	has("summary", "[Summary]", "Biggest wins")
	last := len(e.Layers) - 1
	for _, l := range e.Layers {
		// One key per layer: the layer's own changes, its instruction.
		name := fmt.Sprintf("layer-%d", l.Index)
		has(name, fmt.Sprintf("layer %d of %d only", l.Index, last), fmt.Sprintf("#%d ", l.Index),
			fmt.Sprintf("writes %s in %s", humanize.Bytes(uint64(l.Size)), files(l.Files)))
		if l.WastedBytes > 0 {
			has(name, "hides "+humanize.Bytes(uint64(l.WastedBytes)))
		}
		// The tree as of the layer: what the intermediate image shows.
		has(fmt.Sprintf("asof-%d", l.Index), fmt.Sprintf("as of layer %d of %d · %s in %s", l.Index, last,
			humanize.Bytes(uint64(l.Visible)), files(l.VisibleFiles)))
	}
	// The last layer deletes (rm -rf): its view shows the removed paths,
	// marked, with the bytes they hide.
	has(fmt.Sprintf("layer-%d", last), "-   ", "✗ ")
	has("regex", "regex: tests$", "tests/")
	has("removed", fmt.Sprintf("removed by layer %d, which hides the", last), "✗ test_", "stored by layer")
	// Every tree row keeps its bytes at every width; names are cut in the
	// middle, never at the end.
	row := regexp.MustCompile(`^(› |  )\s*[0-9.]+ [kMGT]?B `)
	for _, size := range []string{"60x20", "80x24", "200x45"} {
		name := "removed-" + size
		lines := strings.Split(screen(name), "\n")
		rows := 0
		for _, l := range lines[4:] {
			// The split view: the tree is right of the layer list.
			if _, tree, ok := strings.Cut(l, "│"); ok {
				l = tree
			}
			if strings.HasPrefix(l, "───") {
				break
			}
			if strings.TrimSpace(l) == "" {
				continue
			}
			rows++
			if !row.MatchString(l) {
				t.Errorf("%s: a row without its bytes: %q", name, l)
			}
			if strings.HasSuffix(strings.TrimRight(l, " "), "…") {
				t.Errorf("%s: a row cut at its end: %q", name, l)
			}
		}
		if rows < 5 {
			t.Errorf("%s: %d tree rows:\n%s", name, rows, screen(name))
		}
	}
	has("split-layers", "Layers · j/k steps, the tree follows", fmt.Sprintf("layer %d of %d only", last-1, last))
}

// files is "1 file" or "N files", as the view says it.
func files(n int) string {
	if n == 1 {
		return "1 file"
	}
	return humanize.Comma(int64(n)) + " files"
}
