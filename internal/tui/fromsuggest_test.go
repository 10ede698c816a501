package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/slimpy/slimpy/internal/suggest"
)

// realFixes are internal/suggest's suggestions for the demo's Dockerfile,
// measured on the demo image, adapted by FixesFrom.
func realFixes(t *testing.T, in *Input, path string) (Fixes, []suggest.Suggestion, suggest.Options) {
	t.Helper()
	src := []byte(demoDockerfile)
	if err := os.WriteFile(path, src, 0o640); err != nil {
		t.Fatal(err)
	}
	d, err := suggest.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	opts := suggest.Options{Now: testNow, Facts: suggest.NewFacts(demoAn, in.Report.Findings),
		Image: suggest.NewImage(demoAn, in.Report.Findings, d)}
	ss, err := suggest.Suggest(src, opts)
	if err != nil {
		t.Fatal(err)
	}
	return FixesFrom(path, src, ss, opts, nil), ss, opts
}

// The real suggestions in the view: two accepted and written; the file is
// what suggest.Apply makes of them, the original is kept, and a second
// write is refused.
func TestFixesFromSuggest(t *testing.T) {
	in := *demoInput(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	fx, ss, opts := realFixes(t, &in, path)
	var fixable []string
	for _, s := range ss {
		if s.Fixable() {
			fixable = append(fixable, s.ID)
		}
	}
	if len(fixable) < 2 {
		t.Fatalf("want two fixable suggestions for the demo, got %v", fixable)
	}
	for i, s := range fx.Suggestions {
		if s.ID != ss[i].ID || s.Diff != ss[i].Diff || s.Savings != ss[i].Savings.Bytes || s.Measured != ss[i].Savings.Measured {
			t.Errorf("suggestion %d not adapted: %+v", i, s)
		}
	}
	in.Fixes = fx
	m := press(New(Config{Image: "demo", Input: &in}), "5")
	// Accept the first two fixable suggestions, whatever their rows.
	accepted := 0
	for i, s := range ss {
		if i > 0 {
			m = press(m, "j")
		}
		if s.Fixable() && accepted < 2 {
			m = press(m, "space")
			accepted++
		}
	}
	want, err := suggest.Apply([]byte(demoDockerfile), fixable[:2], opts)
	if err != nil {
		t.Fatal(err)
	}
	// The dialog names the suggestions that change something and every
	// file it writes.
	m = press(m, "w")
	dialog := ansi.Strip(m.(Model).screen())
	for _, w := range []string{"Write ", strings.Join(want.Applied, ", "), "replace " + path} {
		if !strings.Contains(dialog, w) {
			t.Errorf("the dialog lacks %q:\n%s", w, dialog)
		}
	}
	for name := range want.Files {
		if !strings.Contains(dialog, "create  "+filepath.Join(dir, name)) {
			t.Errorf("the dialog does not say it creates %s:\n%s", name, dialog)
		}
	}
	m = driveWaiting(m, keyp("y"))
	screen := ansi.Strip(m.(Model).screen())
	// Only the suggestions that changed something, as slimpy fix says.
	status := "Wrote " + path + " with " + strings.Join(want.Applied, ", ")
	if !strings.Contains(strings.ReplaceAll(screen, "\n", ""), status[:min(len(status), 60)]) {
		t.Fatalf("not written, or not with %v:\n%s", want.Applied, screen)
	}
	if len(want.Skipped) > 0 && len(want.Applied) == 2 {
		t.Errorf("Apply both applied and skipped: %+v", want)
	}
	got, _ := os.ReadFile(path)
	if string(got) != want.Dockerfile {
		t.Errorf("Dockerfile:\n%s\nwant:\n%s", got, want.Dockerfile)
	}
	if b, _ := os.ReadFile(path + ".bak"); string(b) != demoDockerfile {
		t.Errorf("backup:\n%s", b)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want the original's 0640", st.Mode().Perm())
	}
	for name, content := range want.Files {
		if b, _ := os.ReadFile(filepath.Join(dir, name)); string(b) != content {
			t.Errorf("%s:\n%s\nwant:\n%s", name, b, content)
		}
	}
	// The file changed since it was read: Write refuses and leaves it.
	if _, err := fx.Write(fixable[:1]); err == nil || !strings.Contains(err.Error(), "changed since it was read") {
		t.Errorf("second write: %v", err)
	}
	if b, _ := os.ReadFile(path); string(b) != want.Dockerfile {
		t.Error("the refused write changed the file")
	}
	// A second save keeps the first backup and takes the next name.
	w, err := SaveAtomic(path, got, suggest.Result{Dockerfile: demoDockerfile})
	if err != nil || len(w.Files) != 1 || w.Files[0].Backup != path+".bak.1" {
		t.Errorf("second save: %+v, %v", w, err)
	}
	if b, _ := os.ReadFile(path + ".bak.1"); string(b) != string(got) {
		t.Error("the second backup is not the file it replaced")
	}
	// A new file never replaces an existing one, and then nothing is written.
	os.WriteFile(filepath.Join(dir, ".dockerignore"), []byte("keep\n"), 0o644)
	if _, err := SaveAtomic(path, []byte(demoDockerfile), suggest.Result{Dockerfile: "FROM scratch\n", Files: map[string]string{".dockerignore": ".git\n"}}); err == nil {
		t.Error("an existing .dockerignore was replaced")
	}
	if b, _ := os.ReadFile(path); string(b) != demoDockerfile {
		t.Error("the Dockerfile was written although a new file could not be")
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*slimpy-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// Without a Dockerfile the suggestions are for the reconstructed one and
// cannot be written.
func TestFixesFromReconstructed(t *testing.T) {
	in := *demoInput(t)
	src := suggest.Reconstruct(demoAn, in.Report.Findings, "demo")
	ss, err := suggest.Suggest([]byte(src), suggest.Options{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	in.Fixes = FixesFrom("", []byte(src), ss, suggest.Options{}, nil)
	if in.Fixes.Write != nil {
		t.Fatal("a reconstructed Dockerfile is writable")
	}
	m := press(New(Config{Image: "demo", Input: &in}), "5", "space", "w")
	screen := ansi.Strip(m.(Model).screen())
	if len(ss) > 0 && !strings.Contains(screen, "give --dockerfile PATH") {
		t.Errorf("no word on why nothing is written:\n%s", screen)
	}
}

// The write dialog names the new files too: accepting the .dockerignore
// suggestion says it creates one beside the Dockerfile.
func TestWriteDialogNamesNewFiles(t *testing.T) {
	in := *demoInput(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "Dockerfile")
	fx, ss, _ := realFixes(t, &in, path)
	in.Fixes = fx
	m := press(New(Config{Image: "demo", Input: &in}), "5")
	found := false
	for i, s := range ss {
		if i > 0 {
			m = press(m, "j")
		}
		if s.Fixable() && len(s.Files) > 0 && !found {
			m = press(m, "space")
			found = true
		}
	}
	if !found {
		t.Skip("no suggestion for the demo creates a file")
	}
	m, _ = m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	dialog := ansi.Strip(press(m, "w").(Model).screen())
	if !strings.Contains(dialog, "create  "+filepath.Join(dir, ".dockerignore")+" (new)") {
		t.Errorf("the dialog does not say it creates .dockerignore:\n%s", dialog)
	}
	if _, err := os.Stat(filepath.Join(dir, ".dockerignore")); err == nil {
		t.Error("the dialog wrote a file")
	}
}

// The savings read as slimpy suggest prints them: a sentence when they
// were not measured ("The savings are not measured: no image."), never
// "savings: The savings …"; measured ones with their bytes.
func TestSavingsWording(t *testing.T) {
	in := *demoInput(t)
	src := []byte(demoDockerfile)
	ss, err := suggest.Suggest(src, suggest.Options{Now: testNow})
	if err != nil || len(ss) == 0 {
		t.Fatalf("%d suggestions, %v", len(ss), err)
	}
	path := filepath.Join(t.TempDir(), "Dockerfile")
	in.Fixes = FixesFrom(path, src, ss, suggest.Options{Now: testNow}, nil)
	m, _ := press(New(Config{Image: "demo", Input: &in}), "5").Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	screen := ansi.Strip(m.(Model).screen())
	if want := ss[0].Savings.String(); !strings.Contains(screen, "• "+want) {
		t.Errorf("the savings do not read %q:\n%s", want, screen)
	}
	if !strings.Contains(screen, "The savings are not measured") || strings.Contains(screen, "savings: The") {
		t.Errorf("not-measured savings read badly:\n%s", screen)
	}

	fx, measured, _ := realFixes(t, &in, path)
	in.Fixes = fx
	m, _ = press(New(Config{Image: "demo", Input: &in}), "5").Update(tea.WindowSizeMsg{Width: 200, Height: 40})
	screen = ansi.Strip(m.(Model).screen())
	if want := measured[0].Savings.String(); !strings.Contains(screen, "• "+want) {
		t.Errorf("the measured savings do not read %q:\n%s", want, screen)
	}
}
