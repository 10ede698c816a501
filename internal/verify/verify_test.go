package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
	"github.com/slimpy/slimpy/internal/inspect/rules"
)

// fake is a Verifier driving testdata/fake-docker (no engine), with a
// Measure that reports sizes by image.
type fake struct {
	v     *Verifier
	log   string
	state string
	out   bytes.Buffer
}

func newFake(t *testing.T, opts Options) *fake {
	t.Helper()
	f := &fake{state: t.TempDir()}
	f.log = filepath.Join(f.state, "calls.log")
	t.Setenv("FAKE_DOCKER_LOG", f.log)
	t.Setenv("FAKE_DOCKER_STATE", f.state)
	t.Setenv("DOCKER_BUILDKIT", "")
	bin, err := filepath.Abs("testdata/fake-docker")
	if err != nil {
		t.Fatal(err)
	}
	opts.Docker = bin
	if opts.Context == "" {
		opts.Context = t.TempDir()
	}
	opts.Log = &f.out
	if opts.Measure == nil {
		opts.Measure = func(ctx context.Context, ref string) (*Measurement, error) {
			return measureFake(ref, f.state)
		}
	}
	v, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	f.v = v
	return f
}

// measureFake: the original (the image built from a Dockerfile holding
// "FROM full") is 500 MiB with compilers; anything else 100 MiB without.
func measureFake(ref, state string) (*Measurement, error) {
	id := strings.TrimPrefix(strings.TrimPrefix(ref, "docker-daemon:"), "sha256:")
	if _, err := os.Stat(filepath.Join(state, id+".full")); err == nil {
		return &Measurement{
			Totals: inspect.Totals{Size: 500 << 20, StoredSize: 520 << 20, Files: 9000},
			Findings: []rules.Finding{
				{Rule: "SP201", Name: "build-toolchain", Category: "compilers", Bytes: 300 << 20},
				{Rule: "SP211", Name: "header-files", Category: "headers", Bytes: 20 << 20},
				{Rule: "SP601", Name: "root-user", Category: "security"},
				{Rule: "SP701", Name: "documentation", Bytes: 10 << 20},
			},
		}, nil
	}
	return &Measurement{
		Totals: inspect.Totals{Size: 100 << 20, StoredSize: 101 << 20, Files: 3000},
		Findings: []rules.Finding{
			{Rule: "SP311", Name: "packaging-tools", Bytes: 8 << 20},
			{Rule: "SP701", Name: "documentation", Bytes: 5 << 20},
		},
	}, nil
}

func (f *fake) calls(t *testing.T) string {
	b, err := os.ReadFile(f.log)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func (f *fake) runOriginal(t *testing.T) Outcome {
	t.Helper()
	src := []byte("FROM full\nRUN pip install .\n")
	o := f.v.Run(context.Background(), Candidate{Name: "original", Dockerfile: src})
	if !o.Build.OK {
		t.Fatalf("original: %+v", o.Build)
	}
	// mark it as the full image for measureFake
	os.WriteFile(filepath.Join(f.state, strings.TrimPrefix(o.Build.ImageID, "sha256:")+".full"), nil, 0o644)
	o.Measure, _ = measureFake(o.Build.ImageID, f.state)
	return o
}

func TestVerifyPasses(t *testing.T) {
	f := newFake(t, Options{})
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM full AS builder\nFROM slim\n", "SG201": "RUN pip install --no-cache-dir .\n"}, nil))
	if !rep.OK() || rep.Failure() != "" || len(rep.Trials) != 1 || len(rep.Dropped) != 0 || strings.Join(rep.Kept, ",") != "SG001,SG201" || rep.Builds != 2 {
		t.Fatalf("OK %v failure %q trials %d dropped %v kept %v builds %d", rep.OK(), rep.Failure(), len(rep.Trials), rep.Dropped, rep.Kept, rep.Builds)
	}
	if got := strings.Join(rep.After.Smoke.Command, " "); got != "python3 app.py" {
		t.Errorf("smoke command %q", got)
	}
	// the run's ID, by which a caller tells its tags from another run's
	if rep.Run == "" || rep.Run != f.v.RunID() || !strings.HasPrefix(rep.After.Build.Tag, "slimpy-verify:"+rep.Run+"-") {
		t.Errorf("run %q (verifier %q), tag %q", rep.Run, f.v.RunID(), rep.After.Build.Tag)
	}
	if !slices.Contains(rep.Images, rep.After.Build.ImageID) || !slices.Contains(rep.Images, "cccccccccccc") {
		t.Errorf("the images made: %v", rep.Images)
	}
	removed, reduced, added, grown := rep.Findings()
	names := func(ds []FindingDelta) string {
		var s []string
		for _, d := range ds {
			s = append(s, d.Rule)
		}
		return strings.Join(s, ",")
	}
	if names(removed) != "SP201,SP211,SP601" || names(reduced) != "SP701" || names(added) != "SP311" || len(grown) != 0 {
		t.Errorf("removed %s reduced %s added %s grown %s", names(removed), names(reduced), names(added), names(grown))
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{
		"size      524 MB                 105 MB                 −419 MB (−80.0%) saved, measured",
		"SP201 build-toolchain          315 MB",
		"SP601 root-user                (no bytes: a fact about the image)",
		"SP701 documentation            10 MB → 5.2 MB",
		"Findings added:\n  SP311 packaging-tools          8.4 MB",
		"smoke     exit 0                 exit 0                 python3 app.py",
		"  | hello from fastsum",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	calls := f.calls(t)
	if !strings.Contains(calls, "--force-rm") {
		t.Errorf("the classic builder ran without --force-rm:\n%s", calls)
	}
	// The cache: images tagged before the run, not another run's, and
	// the run's own (the second build may use the first's).
	builds := strings.Split(calls, "\nbuild ")
	if len(builds) < 3 || !strings.Contains(builds[1], "--cache-from sha256:aaaaaaaaaaaa") || strings.Contains(calls, "--cache-from sha256:1111") ||
		strings.Contains(calls, "--cache-from sha256:2222") || !strings.Contains(builds[2], "--cache-from "+before.Build.ImageID) {
		t.Errorf("--cache-from:\n%s", calls)
	}
	if !strings.Contains(calls, "run --rm --name slimpy-verify-"+f.v.RunID()) || !strings.Contains(calls, "--network none") {
		t.Errorf("smoke run:\n%s", calls)
	}
	tmp := f.v.tmp
	if err := f.v.Close(); err != nil {
		t.Fatal(err)
	}
	calls = f.calls(t)
	// The run's two tags and the two results are removed; the FROM image
	// (the engine's) and the cached step are not.
	var rmTags, rmIDs []string
	for _, l := range strings.Split(calls, "\n") {
		if rest, ok := strings.CutPrefix(l, "image rm --no-prune "); ok {
			if strings.HasPrefix(rest, "slimpy-verify:") {
				rmTags = strings.Fields(rest)
			} else {
				rmIDs = strings.Fields(rest)
			}
		}
	}
	if len(rmTags) != 2 || len(rmIDs) != 2 || !strings.HasPrefix(rmTags[0], "slimpy-verify:"+f.v.RunID()+"-") {
		t.Errorf("want 2 tags and 2 images removed, in one call each:\n%s", calls)
	}
	if rmIDs[0] != strings.TrimPrefix(rep.After.Build.ImageID, "sha256:") {
		t.Errorf("the newest image is not removed first: %v", rmIDs)
	}
	if strings.Count(calls, "\ntag ") != 2 {
		t.Errorf("want 2 tags:\n%s", calls)
	}
	if strings.Contains(calls, "image rm --no-prune aaaaaaaa") || strings.Contains(calls, "image rm --no-prune cccccccc") {
		t.Errorf("removed the base image or a cached step:\n%s", calls)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("temporary directory left: %v", err)
	}
}

// fakePlan composes a set of suggestions as the original's first line
// ("FROM full") followed by each one's text, in IDs' order (sorted);
// conflict adds a line of its own for a set (BADRUN: the app fails).
func fakePlan(text map[string]string, conflict func(ids []string) string) Plan {
	ids := slices.Sorted(maps.Keys(text))
	return Plan{IDs: ids, Compose: func(set []string) (Candidate, error) {
		var b strings.Builder
		if !slices.Contains(set, "SG001") {
			b.WriteString("FROM full\nRUN pip install .\n")
		}
		for _, id := range set {
			b.WriteString(text[id])
		}
		if conflict != nil {
			b.WriteString(conflict(set))
		}
		return Candidate{Dockerfile: []byte(b.String())}, nil
	}}
}

// builds counts the docker builds in the fake's log.
func (f *fake) builds(t *testing.T) int { return strings.Count(f.calls(t), "build -f ") }

// A suggestion that fails alone is dropped, the others are written
// together; the report says which and why, and how many builds it took.
func TestKeepDropsWhatFailsAlone(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM slim\nBADRUN multistage\n",
		"SG201": "RUN pip install --no-cache-dir .\n",
		"SG402": "CMD [\"python3\", \"app.py\"]\n",
		"SG501": "BADBUILD\n",
	}, nil))
	if !rep.OK() || rep.Failure() != "" {
		t.Fatalf("OK %v failure %q", rep.OK(), rep.Failure())
	}
	if got := strings.Join(rep.Kept, ","); got != "SG201,SG402" {
		t.Errorf("kept %s", got)
	}
	if len(rep.Dropped) != 2 || rep.Dropped[0].ID != "SG001" || rep.Dropped[1].ID != "SG501" {
		t.Fatalf("dropped %+v", rep.Dropped)
	}
	if got := rep.Dropped[0].Reason(); got != "fails alone: the app fails (python3 app.py exited 3): ImportError: no module" {
		t.Errorf("reason %q", got)
	}
	if got := rep.Dropped[1].Reason(); got != "fails alone: does not build (exit status 1): error: the build broke" {
		t.Errorf("reason %q", got)
	}
	// The failing step's last lines: the smoke run's, the build's.
	if got := strings.Join(rep.Dropped[0].Tail, "|"); got != "Traceback (most recent call last):|ImportError: no module" {
		t.Errorf("SG001's tail %q", got)
	}
	if got := rep.Dropped[1].Tail; len(got) == 0 || got[len(got)-1] != "error: the build broke" {
		t.Errorf("SG501's tail %q", got)
	}
	// The original, all four, each alone, the two that pass together.
	if rep.Builds != 7 || f.builds(t) != 7 || rep.MaxBuilds != 10 {
		t.Errorf("builds %d (log %d), limit %d", rep.Builds, f.builds(t), rep.MaxBuilds)
	}
	if got := strings.Join(rep.Trials[len(rep.Trials)-1].IDs, "+"); got != "SG201+SG402" || rep.After.Name != got {
		t.Errorf("last trial %s, after %s", got, rep.After.Name)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{
		"smoke     exit 0                 exit 0",
		"The patched Dockerfile holds SG201, SG402: the largest set of the accepted suggestions that builds and runs.",
		"Dropped:\n  SG001  fails alone: the app fails (python3 app.py exited 3): ImportError: no module\n  SG501  fails alone: does not build",
		"Sets built and run on the original (7 builds, the original's included; at most 10):",
		"  SG001+SG201+SG402+SG501 build FAILED, smoke not run",
		"  SG501                   build FAILED, smoke not run\n                          | error: the build broke",
		"  SG201+SG402             build ok",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"kept":["SG201","SG402"]`, `"dropped":[{"id":"SG001","failure":"the app fails`, `"builds":7,"maxBuilds":10`, `"ok":true`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

// Suggestions that pass alone but fail together: the bisection keeps the
// longest passing prefix, drops the one after it, and tries the rest on
// top.
func TestKeepBisectsAConflict(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM slim\n", "SG201": "RUN a\n", "SG301": "RUN b\n", "SG402": "RUN c\n", "SG501": "RUN d\n",
	}, func(ids []string) string {
		if slices.Contains(ids, "SG001") && slices.Contains(ids, "SG402") {
			return "BADRUN together\n"
		}
		return ""
	}))
	if !rep.OK() || strings.Join(rep.Kept, ",") != "SG001,SG201,SG301,SG501" {
		t.Fatalf("OK %v kept %v dropped %+v", rep.OK(), rep.Kept, rep.Dropped)
	}
	if len(rep.Dropped) != 1 || rep.Dropped[0].Reason() != "fails together with SG001, SG201, SG301: the app fails (python3 app.py exited 3): ImportError: no module" {
		t.Errorf("dropped %+v", rep.Dropped)
	}
	var sets []string
	for _, tr := range rep.Trials {
		sets = append(sets, strings.Join(tr.IDs, "+"))
	}
	want := "SG001+SG201+SG301+SG402+SG501 SG001 SG201 SG301 SG402 SG501 SG001+SG201+SG301 SG001+SG201+SG301+SG402 SG001+SG201+SG301+SG501"
	if got := strings.Join(sets, " "); got != want {
		t.Errorf("sets built\n%s\nwant\n%s", got, want)
	}
	if rep.Builds != 10 || rep.Builds > rep.MaxBuilds {
		t.Errorf("builds %d of %d", rep.Builds, rep.MaxBuilds)
	}
}

// Options.Progress hears of every step as it starts and ends, in order:
// the original's build, inspection and smoke run, then each set Keep
// builds; a failed step says why, a build names its tag.
func TestProgressSteps(t *testing.T) {
	var steps []string
	var tags []string
	f := newFake(t, Options{Progress: func(s Step) {
		line := s.Name + " " + s.Kind
		if s.Done {
			line += fmt.Sprintf(" done ok=%v %s", s.OK, s.Detail)
		} else if s.Detail != "" {
			line += " " + s.Detail
		}
		steps = append(steps, fmt.Sprintf("%d %s", s.Builds, strings.TrimSpace(line)))
		if s.Image != "" {
			tags = append(tags, s.Image)
		}
	}})
	defer f.v.Close()
	before := f.v.Run(context.Background(), Candidate{Name: "original", Dockerfile: []byte("FROM full\nRUN pip install .\n")})
	f.v.Keep(context.Background(), before, fakePlan(map[string]string{"SG201": "RUN a\n", "SG501": "BADBUILD\n"}, nil))
	want := []string{
		"1 original build", "1 original build done ok=true", "1 original inspect", "1 original inspect done ok=true",
		"1 original smoke python3 app.py", "1 original smoke done ok=true",
		"2 SG201+SG501 build", "2 SG201+SG501 build done ok=false exit status 1: error: the build broke",
		"3 SG201 build", "3 SG201 build done ok=true", "3 SG201 smoke python3 app.py", "3 SG201 smoke done ok=true",
		"4 SG501 build", "4 SG501 build done ok=false exit status 1: error: the build broke",
		"4 SG201 inspect", "4 SG201 inspect done ok=true",
	}
	if got := strings.Join(steps, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("steps:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if len(tags) != 2 || !strings.HasPrefix(tags[0], "slimpy-verify:"+f.v.RunID()+"-") {
		t.Errorf("tags %v", tags)
	}
}

// CheckEngine says in docker's words why no engine answers; New says it
// is what --verify needs.
func TestCheckEngine(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "docker")
	err := CheckEngine(context.Background(), missing)
	if err == nil || !strings.HasPrefix(err.Error(), "docker version: ") {
		t.Errorf("CheckEngine: %v", err)
	}
	_, err = New(context.Background(), Options{Docker: missing, Context: t.TempDir()})
	if err == nil || !strings.HasPrefix(err.Error(), "--verify needs a Docker engine: docker version: ") {
		t.Errorf("New: %v", err)
	}
	t.Setenv("FAKE_DOCKER_LOG", filepath.Join(t.TempDir(), "log"))
	t.Setenv("FAKE_DOCKER_STATE", t.TempDir())
	bin, _ := filepath.Abs("testdata/fake-docker")
	if err := CheckEngine(context.Background(), bin); err != nil {
		t.Errorf("the fake engine: %v", err)
	}
}

// Nothing passes: nothing is kept, the failure names every suggestion.
func TestKeepNothingPasses(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM slim\nBADRUN multistage\n", "SG501": "BADBUILD\n",
	}, nil))
	if rep.OK() || len(rep.Kept) != 0 {
		t.Fatalf("OK %v kept %v", rep.OK(), rep.Kept)
	}
	if want := "the patched Dockerfile does not build: exit status 1; failing alone: SG001, SG501"; rep.Failure() != want {
		t.Errorf("failure %q\nwant %q", rep.Failure(), want)
	}
	if rep.After.Name != "SG001+SG501" {
		t.Errorf("after is %s, want the full set's build", rep.After.Name)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{"The patched Dockerfile does not build: exit status 1", "  | error: the build broke", "  SG001       build ok", "Dropped:\n  SG001  fails alone"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "holds") {
		t.Errorf("a kept set is claimed:\n%s", out.String())
	}
}

// One suggestion: the combination is that one, built once.
func TestKeepOneSuggestion(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{"SG001": "BADBUILD\n"}, nil))
	if rep.OK() || rep.After.Smoke != nil || rep.After.Measure != nil || rep.Builds != 2 {
		t.Fatalf("%+v, %d builds", rep.After, rep.Builds)
	}
	if want := "the patched Dockerfile does not build: exit status 1; failing alone: SG001"; rep.Failure() != want {
		t.Errorf("failure %q", rep.Failure())
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	if !strings.Contains(out.String(), "not measured: no saving is claimed") || !strings.Contains(out.String(), "  | error: the build broke") {
		t.Errorf("report:\n%s", out.String())
	}
}

// The build limit: what is left untried is dropped, and said to be; what
// is kept was built.
func TestKeepBuildLimit(t *testing.T) {
	f := newFake(t, Options{MaxBuilds: 4})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM slim\nBADRUN\n", "SG201": "RUN a\n", "SG402": "RUN c\n",
	}, nil))
	// The original, all three, SG001 and SG201 alone: SG402 is untried.
	if !rep.OK() || strings.Join(rep.Kept, ",") != "SG201" || rep.Builds != 4 || f.builds(t) != 4 {
		t.Fatalf("OK %v kept %v builds %d", rep.OK(), rep.Kept, rep.Builds)
	}
	if len(rep.Dropped) != 2 || rep.Dropped[1].Reason() != "not tried: the limit of 4 builds was reached" {
		t.Errorf("dropped %+v", rep.Dropped)
	}
}

// The app fails in the original too: no search, every set would fail.
func TestKeepOriginalFails(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	before.Smoke.ExitCode = 3
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG001": "FROM slim\nBADRUN\n", "SG201": "RUN a\n",
	}, nil))
	if rep.OK() || rep.Builds != 2 || !strings.Contains(rep.Failure(), "it fails in the original too: give --smoke CMD") {
		t.Errorf("OK %v builds %d failure %q", rep.OK(), rep.Builds, rep.Failure())
	}
}

// Sets that make the same Dockerfile are built once; one that makes the
// original's is not built at all, and is never the set written.
func TestKeepBuildsEachDockerfileOnce(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{
		"SG201": "", "SG501": "BADBUILD\n",
	}, nil))
	// The original, SG201+SG501 (= SG501 alone); SG201 alone is the original.
	if rep.OK() || len(rep.Kept) != 0 || rep.Builds != 2 || f.builds(t) != 2 {
		t.Errorf("OK %v kept %v builds %d (log %d)", rep.OK(), rep.Kept, rep.Builds, f.builds(t))
	}
}

// New files go into a copy of the context, never into the user's.
func TestVerifyNewFilesInACopyOfTheContext(t *testing.T) {
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "app.py"), []byte("print(1)\n"), 0o644)
	os.Mkdir(filepath.Join(ctxDir, "dist"), 0o755)
	os.WriteFile(filepath.Join(ctxDir, "dist", "x.tar.gz"), []byte("x"), 0o644)
	os.Symlink("app.py", filepath.Join(ctxDir, "link.py"))
	t.Setenv("FAKE_DOCKER_NEEDFILE", ".dockerignore")
	f := newFake(t, Options{Context: ctxDir})
	defer f.v.Close()
	o := f.v.Run(context.Background(), Candidate{Name: "patched", Dockerfile: []byte("FROM slim\n"), Files: map[string]string{".dockerignore": ".git\n"}})
	if !o.Build.OK {
		t.Fatalf("build: %+v", o.Build)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, ".dockerignore")); !os.IsNotExist(err) {
		t.Error("the user's context got the new file")
	}
	// Without the new file the context is the user's own.
	o = f.v.Run(context.Background(), Candidate{Name: "original", Dockerfile: []byte("FROM full\n")})
	if o.Build.OK {
		t.Error("built without the .dockerignore the fake demands")
	}
	calls := f.calls(t)
	if !strings.Contains(calls, " "+ctxDir+"\n") || !strings.Contains(calls, "/context\n") {
		t.Errorf("contexts:\n%s", calls)
	}
	copyDir := t.TempDir() + "/c"
	if err := copyTree(ctxDir, copyDir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(copyDir, "dist", "x.tar.gz")); string(b) != "x" {
		t.Error("copyTree lost a file")
	}
	if l, _ := os.Readlink(filepath.Join(copyDir, "link.py")); l != "app.py" {
		t.Errorf("symlink %q", l)
	}
}

func TestSmokeCommandAndTimeout(t *testing.T) {
	f := newFake(t, Options{Smoke: "sleep 10", SmokeTimeout: 500 * time.Millisecond})
	defer f.v.Close()
	o := f.v.Run(context.Background(), Candidate{Name: "patched", Dockerfile: []byte("FROM slim\n")})
	s := o.Smoke
	if s == nil || !s.StillRunning || !s.OK() || strings.Join(s.Command, " ") != "/bin/sh -c sleep 10" {
		t.Fatalf("smoke %+v", s)
	}
	calls := f.calls(t)
	if !strings.Contains(calls, "--entrypoint /bin/sh") || !strings.Contains(calls, "rm -f slimpy-verify-") {
		t.Errorf("calls:\n%s", calls)
	}
}

// The JSON carries a finding's packages by name and version, not its paths.
func TestMeasurementJSON(t *testing.T) {
	m := &Measurement{Findings: []rules.Finding{{Rule: "SP311", Name: "packaging-tools", Category: "packaging-tools", Bytes: 7,
		Paths: []string{"/opt/venv/x"}, Packages: []rules.FindingPackage{{Name: "poetry", Version: "1.3.2"}}}}}
	b, err := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"files":0,"packages":["poetry 1.3.2"]}`) || strings.Contains(string(b), "/opt/venv") {
		t.Errorf("%s %v", b, err)
	}
}

// A step the second build took from the first's cache is seen last, but
// its image is the first build's parent: it goes after its children.
func TestChildrenFirst(t *testing.T) {
	parent := map[string]string{"final2": "cached", "final1": "step1", "step1": "cached", "cached": "base"}
	got := strings.Join(childrenFirst([]string{"final2", "cached", "final1", "step1"}, parent), " ")
	if got != "final2 final1 step1 cached" {
		t.Errorf("order %s", got)
	}
}

func TestCreatedImages(t *testing.T) {
	out := `Sending build context to Docker daemon  18kB
Step 1/6 : FROM local/library/python:3.11 AS builder
 ---> 95bb0352676e
Step 2/6 : WORKDIR /app
 ---> Using cache
 ---> 1111111111aa
Step 3/6 : COPY . .
 ---> 2222222222bb
Step 4/6 : RUN pip install .
 ---> Running in 3333333333cc
Removing intermediate container 3333333333cc
 ---> 4444444444dd
Step 5/6 : FROM local/library/python:3.11-slim
 ---> 60c472cac6ea
Step 6/6 : COPY --from=builder /opt/venv /opt/venv
 ---> 5555555555ee
Successfully built 5555555555ee
`
	// written in pieces that split lines anywhere, the last one unfinished
	out = strings.TrimSuffix(out, "\n")
	var made createdImages
	o := output{onLine: made.line}
	for i := 0; i < len(out); i += 7 {
		o.Write([]byte(out[i:min(i+7, len(out))]))
	}
	o.flush()
	got := strings.Join(made.ids, " ")
	if got != "1111111111aa 2222222222bb 4444444444dd 5555555555ee" {
		t.Errorf("created %q", got)
	}
}

// A build step or a container that prints without end is kept to its last
// lines, not held whole: `yes` as the smoke command took 2.4 GB in the 47 s
// of two 15 s runs. The images a build names after its flood are still
// found, the lines kept are the last ones, a line with no end is cut.
func TestHostileOutputIsBounded(t *testing.T) {
	const flood = 96 << 20
	t.Setenv("FAKE_DOCKER_FLOOD", fmt.Sprint(flood))
	f := newFake(t, Options{Smoke: "flood"})
	defer f.v.Close()

	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak.Store(max(peak.Load(), ms.HeapAlloc))
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	o := f.v.Run(context.Background(), Candidate{Name: "patched", Dockerfile: []byte("FROM slim\n")})
	close(done)
	<-stopped

	if !o.Build.OK || !slices.Contains(f.v.images, "cccccccccccc") {
		t.Fatalf("build %+v, images %v", o.Build, f.v.images)
	}
	s := o.Smoke
	if s == nil || !s.OK() || len(s.Tail) != tailLines || s.Tail[tailLines-1] != "last words" {
		t.Fatalf("smoke %+v", s)
	}
	if long := s.Tail[tailLines-2]; len(long) != maxOutputLine || !strings.HasSuffix(long, strings.Repeat("y", 3000)) {
		t.Errorf("the endless line kept %d bytes", len(long))
	}
	if p := peak.Load(); p > 48<<20 {
		t.Errorf("peak heap %d MiB while the build and the app printed %d MiB each", p>>20, 2*flood>>20)
	}
}

// The image's command, which a base image's config gives, reaches the log
// (stderr of fix --verify) and the report escaped: it drew on the terminal.
func TestHostileCommandIsEscaped(t *testing.T) {
	t.Setenv("FAKE_DOCKER_CMD", `["python3","-c","print()\u001b]52;c;aGk=\u0007\u001b[2J"]`)
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	if got := strings.Join(before.Smoke.Command, " "); got != "python3 -c print()\x1b]52;c;aGk=\a\x1b[2J" {
		t.Fatalf("command %q", got)
	}
	rep := f.v.Keep(context.Background(), before, fakePlan(map[string]string{"SG201": "RUN pip install --no-cache-dir .\n"}, nil))
	var text bytes.Buffer
	rep.WriteText(&text)
	for what, out := range map[string]string{"log": f.out.String(), "report": text.String()} {
		if strings.ContainsAny(out, "\x1b\a") || !strings.Contains(out, `python3 -c print()\x1b]52;c;aGk=\a\x1b[2J`) {
			t.Errorf("%s:\n%s", what, out)
		}
	}
}
