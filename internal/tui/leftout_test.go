package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// A Dockerfile left out (it did not build the image) is said in the
// Summary's Suggestions section, wrapped to the width, whole.
func TestSummarySaysADockerfileWasLeftOut(t *testing.T) {
	in := *demoInput(t)
	leftOut := "Dockerfile left out: it did not build this image (line 5 (RUN npm run build) is not in the image's history; 0 of its 3 RUN, COPY and ADD instructions are). The suggestions rewrite the Dockerfile reconstructed from the history."
	in.Fixes = Fixes{Dockerfile: "Dockerfile reconstructed from the history", Note: "Reconstructed from the image's history: give --dockerfile PATH to write yours.",
		LeftOut: leftOut, Suggestions: []Suggestion{{ID: "S01", Title: "clean the apt lists"}}}
	var m tea.Model = New(Config{Image: "demo", Input: &in})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 70})
	screen := plain(m.(Model))
	checkScreen(t, m.(Model).screen(), 80, 70)
	at := strings.Index(screen, "\nSuggestions ")
	if at < 0 {
		t.Fatalf("no Suggestions section:\n%s", screen)
	}
	section := strings.Join(strings.Fields(screen[at:]), " ")
	if !strings.Contains(section, leftOut) || !strings.Contains(section, "1 changes to Dockerfile reconstructed from the history") {
		t.Errorf("the Suggestions section does not say it:\n%s", ansi.Strip(screen[at:]))
	}
}
