package tui

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/suggest"
	"github.com/slimpy/slimpy/internal/textsafe"
	"github.com/slimpy/slimpy/internal/verify"
)

// engineBase is the local Debian base the engine tests build on (no
// registry): scripts/debian-images.sh makes it.
const engineBase = "local/slimpy-bookworm:base"

// requireEngine skips the test when no Docker engine answers or it lacks
// engineBase; SLIMPY_REQUIRE_DOCKER=1 (scripts/test, where an engine
// runs) makes that a failure.
func requireEngine(t *testing.T) {
	t.Helper()
	msg := ""
	if out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		msg = fmt.Sprintf("no usable Docker engine (docker info: %v: %s)", err, lastLineOf(string(out)))
	} else if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", engineBase).CombinedOutput(); err != nil {
		msg = fmt.Sprintf("%s is not in the engine (scripts/debian-images.sh builds it): %s", engineBase, lastLineOf(string(out)))
	}
	if msg == "" {
		return
	}
	if os.Getenv("SLIMPY_REQUIRE_DOCKER") == "1" {
		t.Fatal(msg + "; SLIMPY_REQUIRE_DOCKER=1 demands one")
	}
	t.Skip(msg + "; set SLIMPY_REQUIRE_DOCKER=1 to make this a failure")
}

func lastLineOf(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// verifyFixture is a Dockerfile in a build context of its own, its real
// suggestions (suggest.Suggest, no image) adapted by FixesFrom and offered
// the verified write by WithVerify, which talks to the real engine.
type verifyFixture struct {
	dir, path string
	src       []byte
	opts      suggest.Options
	fx        Fixes
	mu        sync.Mutex
	tags      []string // the tags the runs' builds made
}

func newVerifyFixture(t *testing.T, dockerfile string, vo verify.Options) *verifyFixture {
	t.Helper()
	f := &verifyFixture{dir: t.TempDir(), src: []byte(dockerfile), opts: suggest.Options{Now: testNow}}
	f.path = filepath.Join(f.dir, "Dockerfile")
	if err := os.WriteFile(f.path, f.src, 0o644); err != nil {
		t.Fatal(err)
	}
	ss, err := suggest.Suggest(f.src, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	f.fx = WithVerify(context.Background(), FixesFrom(f.path, f.src, ss, f.opts, nil), f.src, f.opts, vo)
	if run := f.fx.Verify; run != nil {
		// Hear of the tags the builds make, to see them removed.
		f.fx.Verify = func(ctx context.Context, ids []string, progress func(verify.Step)) (Verified, error) {
			return run(ctx, ids, func(s verify.Step) {
				if s.Image != "" {
					f.mu.Lock()
					f.tags = append(f.tags, s.Image)
					f.mu.Unlock()
				}
				progress(s)
			})
		}
	}
	return f
}

// start opens the program on the suggestions view of the fixture.
func (f *verifyFixture) start(t *testing.T) (*teatest.TestModel, *screenLog) {
	t.Helper()
	in := *demoInput(t)
	in.Fixes = f.fx
	log := &screenLog{}
	tm := teatest.NewTestModel(t, probe{Model: New(Config{Image: "demo", Input: &in}), screen: log}, teatest.WithInitialTermSize(120, 40))
	tm.Send(keyp("5"))
	waitScreen(t, log, "[Suggestions]")
	return tm, log
}

// noneLeft checks that every tag the runs made is gone from the engine,
// with the containers of their runs.
func (f *verifyFixture) noneLeft(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	tags := append([]string(nil), f.tags...)
	f.mu.Unlock()
	if len(tags) == 0 {
		t.Error("no build made a tag: the run did not get as far as the test needs")
	}
	for _, tag := range tags {
		if out, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", tag).CombinedOutput(); err == nil {
			t.Errorf("%s is still in the engine (%s)", tag, strings.TrimSpace(string(out)))
		}
		run, _, _ := strings.Cut(strings.TrimPrefix(tag, "slimpy-verify:"), "-")
		out, err := exec.Command("docker", "ps", "--all", "--quiet", "--filter", "name=slimpy-verify-"+run+"-").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "" {
			t.Errorf("containers of run %s left: %q %v", run, out, err)
		}
	}
}

// unchanged checks that nothing was written: the Dockerfile is as it was,
// with no backup beside it.
func (f *verifyFixture) unchanged(t *testing.T) {
	t.Helper()
	if b, err := os.ReadFile(f.path); err != nil || string(b) != string(f.src) {
		t.Errorf("the Dockerfile changed (%v):\n%s", err, b)
	}
	if left, _ := filepath.Glob(filepath.Join(f.dir, "Dockerfile.*")); len(left) > 0 {
		t.Errorf("files written: %v", left)
	}
}

// engineDockerfile has two suggestions: merging the RUNs (SG303) builds
// and runs; the non-root user (SG401) builds but its app cannot write
// /copy as that user, so its smoke run fails.
const engineDockerfile = `FROM ` + engineBase + `
RUN apt-get clean
RUN echo hi > /hello
CMD ["sh", "-c", "cat /hello > /copy && cat /copy"]
`

// The write dialog offers to verify first; the steps show as the engine
// runs them; the result says what was kept and what was dropped and why
// (the smoke run's last lines), the sizes measured, and y writes the kept
// set only, with a backup; nothing the run made is left on the engine.
func TestVerifiedWriteKeepsWhatWorks(t *testing.T) {
	requireEngine(t)
	t.Parallel() // mostly waiting for the engine
	f := newVerifyFixture(t, engineDockerfile, verify.Options{SmokeTimeout: time.Minute})
	var ids []string
	for _, s := range f.fx.Suggestions {
		if s.Diff != "" {
			ids = append(ids, s.ID)
		}
	}
	if strings.Join(ids, ",") != "SG401,SG303" {
		t.Fatalf("want SG401 and SG303 to accept, got %v", ids)
	}
	tm, log := f.start(t)
	tm.Send(keyp("a"))
	tm.Send(keyp("w"))
	waitScreen(t, log, "Write 2 accepted suggestions (SG401, SG303)?", "Or verify first", "y write   v verify first   n cancel")
	tm.Send(keyp("v"))
	waitScreen(t, log, "Verifying SG401, SG303 on the Docker engine", "original", "build", "esc cancels")
	waitScreenFor(t, log, 5*time.Minute, "✓ original", "SG401+SG303", "run")
	waitScreenFor(t, log, 5*time.Minute, "Verified on the Docker engine: keeps SG303 · drops SG401",
		"Write the kept set (SG303)?", "replace "+f.path+" (backup kept)",
		"Kept SG303: the largest set of the accepted suggestions that builds and runs.",
		"Dropped SG401: fails alone: the app fails (sh -c cat /hello > /copy && cat /copy exited 2)",
		"    | sh: 1: cannot create /copy: Permission denied",
		"Size    ", " → ", "(visible bytes)", "4 builds on the engine, the original's included (at most 6).",
		"the report, as slimpy fix --verify prints it")
	if strings.Contains(log.get(), "Dropped SG401: fails alone: the app fails (sh -c cat /hello > /copy && cat /copy exited 2): sh") {
		t.Errorf("the reason repeats the output's last line:\n%s", log.get())
	}
	f.unchanged(t) // nothing before the answer
	tm.Send(keyp("y"))
	waitScreenFor(t, log, time.Minute, "Wrote "+f.path+" with SG303 · verified on the engine, SG401 dropped")
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	want, err := suggest.Apply(f.src, []string{"SG303"}, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f.path); string(b) != want.Dockerfile {
		t.Errorf("written:\n%s\nwant the kept set's:\n%s", b, want.Dockerfile)
	}
	if b, _ := os.ReadFile(f.path + ".bak"); string(b) != string(f.src) {
		t.Errorf("backup:\n%s", b)
	}
	f.noneLeft(t)
}

// Cancelling writes nothing and leaves nothing on the engine: esc stops
// the run (here in the original's smoke run, a server that keeps
// running) and returns to the list once the run has removed what it
// made; ctrl+c does the same and then ends the program.
func TestVerifyCancel(t *testing.T) {
	requireEngine(t)
	t.Parallel() // mostly waiting for the engine
	f := newVerifyFixture(t, "FROM "+engineBase+"\nRUN echo hi > /hello\nRUN echo there >> /hello\nCMD [\"sleep\", \"600\"]\n",
		verify.Options{SmokeTimeout: 10 * time.Minute})
	tm, log := f.start(t)
	for _, quit := range []string{"esc", "ctrl+c"} {
		tm.Send(keyp("a"))
		tm.Send(keyp("w"))
		if quit == "ctrl+c" {
			// v at once, while the dialog may still be asking the engine:
			// the run starts once it answers.
			waitScreen(t, log, "Write 1 accepted suggestion")
		} else {
			waitScreen(t, log, "v verify first")
		}
		tm.Send(keyp("v"))
		// The original's smoke run has started: its image is tagged.
		waitScreenFor(t, log, 5*time.Minute, "✓ original build", "original run", "sleep 600")
		if quit == "esc" {
			tm.Send(keyp("esc"))
			waitScreenFor(t, log, 2*time.Minute, "Verification cancelled: nothing written")
			f.unchanged(t)
			f.noneLeft(t)
			tm.Send(keyp("a")) // accept none again: the loop accepts all
			continue
		}
		tm.Send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		waitScreen(t, log, "Cancelling: nothing will be written")
		tm.WaitFinished(t, teatest.WithFinalTimeout(2*time.Minute))
	}
	f.unchanged(t)
	f.noneLeft(t)
}

// The original does not build: nothing is verified or written, and the
// build's last lines say why.
func TestVerifyOriginalFails(t *testing.T) {
	requireEngine(t)
	t.Parallel() // mostly waiting for the engine
	f := newVerifyFixture(t, "FROM "+engineBase+"\nRUN echo hi > /hello\nRUN echo broken-build-h19 && false\nCMD [\"cat\", \"/hello\"]\n",
		verify.Options{SmokeTimeout: time.Minute})
	tm, log := f.start(t)
	tm.Send(keyp("a"))
	tm.Send(keyp("w"))
	waitScreen(t, log, "v verify first")
	tm.Send(keyp("v"))
	waitScreenFor(t, log, 5*time.Minute, "Not verified: the original Dockerfile does not build", "Nothing is written.", "    | ")
	tm.Send(keyp("esc"))
	waitScreen(t, log, "not written")
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	f.unchanged(t)
}

// Without a Docker engine the dialog says why verifying is not offered,
// v does nothing, and the plain write still works; without a build
// context it says so from the start.
func TestVerifyNotOffered(t *testing.T) {
	noEngine := filepath.Join(t.TempDir(), "docker") // no such program
	f := newVerifyFixture(t, engineDockerfile, verify.Options{Docker: noEngine})
	tm, log := f.start(t)
	tm.Send(keyp("a"))
	tm.Send(keyp("w"))
	waitScreen(t, log, "Verify first is not offered: no Docker engine answers (docker version: ", "y write   n cancel")
	tm.Send(keyp("v"))
	waitScreen(t, log, "Write 2 accepted suggestions")
	tm.Send(keyp("y"))
	waitScreen(t, log, "Wrote "+f.path+" with ")
	if strings.Contains(log.get(), "verified") {
		t.Errorf("an unverified write says it was verified:\n%s", log.get())
	}
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))

	file := filepath.Join(t.TempDir(), "context")
	os.WriteFile(file, nil, 0o644)
	f = newVerifyFixture(t, engineDockerfile, verify.Options{Context: file})
	if f.fx.Verify != nil || f.fx.VerifyReady != nil {
		t.Fatal("verify offered without a build context")
	}
	tm, log = f.start(t)
	tm.Send(keyp("a"))
	tm.Send(keyp("w"))
	waitScreen(t, log, "Verify first is not offered: the build context "+filepath.Dir(file), "not a directory")
	tm.Send(keyp("n"))
	tm.Send(keyp("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	f.unchanged(t)
}

// The verification's screens, fed the messages a run sends: every line
// from the engine (a step's detail, a failing run's output) is sanitized
// through textsafe, the sizes are the report's, and both screens fit every
// size from 20×6 to 120×40.
func TestVerifyScreens(t *testing.T) {
	m := press(demoModel(t, 100, 30), "5", "space").(Model)
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	m.suggest.mode, m.suggest.gen = modeVerifying, 7
	m.suggest.run = verifyRun{gen: 7, ids: []string{"S01", "S03"}, begin: t0, now: t0}
	evil := "boom \x1b]0;owned\x07\x1b[31mred"
	for i, s := range []verify.Step{
		{Name: "original", Kind: verify.StepBuild, Builds: 1},
		{Name: "original", Kind: verify.StepBuild, Builds: 1, Done: true, OK: true, Duration: 1500 * time.Millisecond},
		{Name: "S01+S03", Kind: verify.StepBuild, Builds: 2},
		{Name: "S01+S03", Kind: verify.StepBuild, Builds: 2, Done: true, Duration: time.Second, Detail: "exit status 1: " + evil},
		{Name: "S01", Kind: verify.StepSmoke, Builds: 3, Detail: "python app.py"},
	} {
		mm, _ := m.Update(verifyStepMsg{gen: 7, step: s, at: t0.Add(time.Duration(i) * time.Second)})
		m = mm.(Model)
	}
	screen := plain(m)
	for _, want := range []string{
		"Verifying S01, S03 on the Docker engine · build 3 of at most 6 · 4s",
		"✓ original build      1.5s",
		"✗ S01+S03  build      1.0s  exit status 1: boom",
		"S01      run         0s…  python app.py",
		"esc cancels: nothing is written",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the progress lacks %q:\n%s", want, screen)
		}
	}
	sizes := [][2]int{{80, 24}, {120, 40}, {60, 15}, {20, 6}, {100, 30}}
	check := func() {
		t.Helper()
		if strings.Contains(m.screen(), "\x1b]0;owned") || strings.Contains(m.screen(), "\x07") {
			t.Errorf("a control sequence from the engine reached the screen:\n%q", m.screen())
		}
		for _, sz := range sizes {
			mm, _ := m.Update(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			checkScreen(t, mm.(Model).screen(), sz[0], sz[1])
		}
	}
	check()

	mb := func(size int64) *verify.Measurement {
		return &verify.Measurement{Totals: inspect.Totals{Size: size, StoredSize: size + 20e6}}
	}
	rep := &verify.Report{
		Before: verify.Outcome{Name: "original", Build: verify.BuildResult{OK: true}, Measure: mb(500e6),
			Smoke: &verify.SmokeResult{Command: []string{"python", "app.py"}}},
		After: verify.Outcome{Name: "S01", Build: verify.BuildResult{OK: true}, Measure: mb(100e6),
			Smoke: &verify.SmokeResult{Command: []string{"python", "app.py"}}},
		Kept: []string{"S01"},
		Dropped: []verify.Drop{{ID: "S03", Failure: "the app fails (python app.py exited 1): " + evil,
			Tail: []string{"Traceback (most recent call last):", evil}}},
		Builds: 4, MaxBuilds: 6,
	}
	mm, _ := m.Update(verifiedMsg{gen: 7, res: Verified{Report: rep}, plan: &Plan{Files: []PlannedFile{{Path: "Dockerfile"}}}})
	m = mm.(Model)
	screen = plain(m)
	for _, want := range []string{
		"Verified on the Docker engine: keeps S01 · drops S03",
		"Write the kept set (S01)?", "replace Dockerfile (backup kept)",
		"Kept S01: the largest set of the accepted suggestions that builds and runs.",
		"Dropped S03: fails alone: the app fails (python app.py exited 1)",
		"    | Traceback (most recent call last):",
		"    | " + textsafe.Term(evil),
		"Size    500 MB → 100 MB  −400 MB (−80.0%) saved, measured (visible bytes)",
		"Stored  520 MB → 120 MB  −400 MB (−76.9%) saved, measured (all layers)",
		"4 builds on the engine, the original's included (at most 6).",
	} {
		if !strings.Contains(screen, want) {
			t.Errorf("the result lacks %q:\n%s", want, screen)
		}
	}
	if strings.Contains(screen, "Dropped S03: fails alone: the app fails (python app.py exited 1): ") {
		t.Errorf("the reason repeats the output's last line:\n%s", screen)
	}
	check()
	// n goes back and writes nothing.
	m = press(m, "n").(Model)
	if m.suggest.mode != modeList || !strings.Contains(plain(m), "not written") {
		t.Errorf("n did not go back:\n%s", plain(m))
	}
	if _, err := os.Stat("Dockerfile.bak"); err == nil {
		t.Error("n wrote the Dockerfile")
	}
}
