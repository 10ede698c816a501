package tui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"github.com/aymanbagabas/go-udiff"
	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/fsview"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// demoImage is the committed demo fixture (internal/fixtures).
var demoImage = filepath.Join("..", "..", "testdata", "images", "demo.tar")

// testNow fixes the date the rules compare ages with.
var testNow = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

var (
	demoOnce sync.Once
	demoAn   *inspect.Analysis
	demoErr  error
)

// analyze runs the real inspection of an image, as slimpy inspect does.
func analyze(ctx context.Context, ref string, progress func(inspect.Progress)) (*inspect.Analysis, error) {
	src, err := source.Open(ctx, ref, source.OpenOptions{})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return inspect.Analyze(ctx, src, inspect.Options{Progress: progress})
}

// demoInput is the Input of the demo image, without suggestions.
func demoInput(t *testing.T) *Input {
	t.Helper()
	demoOnce.Do(func() { demoAn, demoErr = analyze(context.Background(), demoImage, nil) })
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return inputOf(demoAn)
}

func inputOf(a *inspect.Analysis) *Input {
	cfg := inspect.DefaultConfig()
	cfg.Now = testNow
	r := a.ReportWithFindings(cfg)
	idx, err := inspect.NewLayerIndex(a)
	return &Input{Report: r, Tree: func() *TreeNode { return BuildTree(a.FS, r.Findings) }, Index: func() (*fsview.LayerIndex, error) { return idx, err }}
}

// plain is the screen as text.
func plain(m Model) string { return ansi.Strip(m.screen()) }

// demoDockerfile is the Dockerfile the demo image was built from, as its
// history tells.
const demoDockerfile = fixtures.DemoDockerfile

// edit is one test suggestion: a line replaced by others.
type edit struct {
	id, title, rule string
	old, new        string
}

var demoEdits = []edit{
	{"S01", "apt-get: --no-install-recommends, lists removed in the same RUN", "SP303",
		"RUN apt-get update && apt-get install -y gcc libpq-dev\n",
		"RUN apt-get update \\\n && apt-get install -y --no-install-recommends gcc libpq-dev \\\n && rm -rf /var/lib/apt/lists/*\n"},
	{"S02", "pip install --no-cache-dir", "SP301",
		"RUN pip install -r requirements.txt\n",
		"RUN pip install --no-cache-dir -r requirements.txt\n"},
	{"S03", "COPY --chown=app:app instead of a chown -R layer", "SP503",
		"COPY . /app\n", "COPY --chown=app:app . /app\n"},
	{"S04", "drop the separate chown and rm layers", "SP502",
		"RUN chown -R app:app /app\nRUN rm -rf /app/tests\n", ""},
	// Advice: no change to apply.
	{"S05", "pin the base image by digest", "", "", ""},
}

// demoFixes are suggestions with real diffs of demoDockerfile, savings
// taken from the findings, and a Write that patches dir/Dockerfile
// atomically with a backup, as internal/suggest is to.
func demoFixes(t *testing.T, r inspect.Report, dir string) Fixes {
	t.Helper()
	path := filepath.Join(dir, "Dockerfile")
	if err := os.WriteFile(path, []byte(demoDockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	fx := Fixes{Dockerfile: path}
	byID := map[string]edit{}
	for _, e := range demoEdits {
		byID[e.id] = e
		if e.old == "" {
			fx.Suggestions = append(fx.Suggestions, Suggestion{ID: e.id, Title: e.title, Note: "nothing to measure",
				Evidence: []string{"line 1: FROM python:3.11-slim names a tag, which moves"}})
			continue
		}
		s := Suggestion{ID: e.id, Title: e.title,
			Diff: udiff.Unified("a/Dockerfile", "b/Dockerfile", demoDockerfile, strings.Replace(demoDockerfile, e.old, e.new, 1))}
		for _, f := range r.Findings {
			if f.Rule == e.rule {
				s.Savings += f.Bytes
				s.Measured = true
			}
		}
		fx.Suggestions = append(fx.Suggestions, s)
	}
	fx.Write = func(ids []string) (Written, error) {
		orig, err := os.ReadFile(path)
		if err != nil {
			return Written{}, err
		}
		out := string(orig)
		for _, id := range ids {
			e := byID[id]
			if !strings.Contains(out, e.old) {
				return Written{}, fmt.Errorf("%s no longer applies", id)
			}
			out = strings.Replace(out, e.old, e.new, 1)
		}
		backup := path + ".bak"
		if err := os.WriteFile(backup, orig, 0o644); err != nil {
			return Written{}, err
		}
		tmp, err := os.CreateTemp(dir, ".Dockerfile-*")
		if err != nil {
			return Written{}, err
		}
		if _, err := tmp.WriteString(out); err != nil {
			return Written{}, err
		}
		if err := tmp.Close(); err != nil {
			return Written{}, err
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return Written{}, err
		}
		return Written{Files: []WrittenFile{{Path: path, Backup: backup, Content: out,
			Diff: udiff.Unified("a/Dockerfile", "b/Dockerfile", string(orig), out)}}, Applied: ids}, nil
	}
	return fx
}

// keyp is the key press a terminal sends for s.
func keyp(s string) tea.KeyPressMsg {
	switch s {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "space":
		return tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

// drive updates m with msg and then with what its commands return at once
// (timers such as the cursor blink are dropped), a few rounds deep.
func drive(m tea.Model, msg tea.Msg) tea.Model { return driveFor(m, msg, 50*time.Millisecond) }

// driveWaiting is drive for a key that starts real work (writing the
// Dockerfile): its commands are waited for however loaded the machine is,
// and ticks are recognised by their message and dropped.
func driveWaiting(m tea.Model, msg tea.Msg) tea.Model { return driveFor(m, msg, 30*time.Second) }

// driveFor feeds msg and then what its commands return, a few rounds deep.
// A command that takes longer than patience is dropped: that is how the
// ticks (spinner, progress), which block for their interval and only
// schedule the next one, are left out.
func driveFor(m tea.Model, msg tea.Msg, patience time.Duration) tea.Model {
	queue := []tea.Msg{msg}
	for round := 0; len(queue) > 0 && round < 20; round++ {
		var next []tea.Msg
		for _, msg := range queue {
			var cmd tea.Cmd
			m, cmd = m.Update(msg)
			next = append(next, runCmd(cmd, patience)...)
		}
		queue = next
	}
	return m
}

func runCmd(cmd tea.Cmd, patience time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		switch msg := msg.(type) {
		case nil, tickMsg, spinner.TickMsg:
			return nil
		case tea.BatchMsg:
			var out []tea.Msg
			for _, c := range msg {
				out = append(out, runCmd(c, patience)...)
			}
			return out
		}
		return []tea.Msg{msg}
	case <-time.After(patience):
		return nil
	}
}

// pkgDir is the package's directory, whatever the working directory a
// test moves to.
var pkgDir = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return wd
}()

// requireGolden compares text with testdata/TEST.golden; go test -update
// (the flag teatest's golden package registers) rewrites the file.
func requireGolden(t *testing.T, text string) {
	t.Helper()
	path := filepath.Join(pkgDir, "testdata", filepath.FromSlash(t.Name())+".golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := udiff.Unified("golden", "screen", string(want), text); d != "" {
		t.Errorf("screen differs from %s (go test -update rewrites it):\n%s", path, d)
	}
}
