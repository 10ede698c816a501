package verify

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slimpy/slimpy/internal/inspect"
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
			Findings: []inspect.Finding{
				{Rule: "SP201", Name: "build-toolchain", Category: "compilers", Bytes: 300 << 20},
				{Rule: "SP211", Name: "header-files", Category: "headers", Bytes: 20 << 20},
				{Rule: "SP601", Name: "root-user", Category: "security"},
				{Rule: "SP701", Name: "documentation", Bytes: 10 << 20},
			},
		}, nil
	}
	return &Measurement{
		Totals: inspect.Totals{Size: 100 << 20, StoredSize: 101 << 20, Files: 3000},
		Findings: []inspect.Finding{
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
	rep := f.v.Verify(context.Background(), before,
		Candidate{Name: "patched", Dockerfile: []byte("FROM full AS builder\nFROM slim\n")},
		[]Candidate{{Name: "SG001", Dockerfile: []byte("x")}, {Name: "SG201", Dockerfile: []byte("y")}})
	if !rep.OK() || rep.Failure() != "" || len(rep.Each) != 0 {
		t.Fatalf("OK %v failure %q each %d", rep.OK(), rep.Failure(), len(rep.Each))
	}
	if got := strings.Join(rep.After.Smoke.Command, " "); got != "python3 app.py" {
		t.Errorf("smoke command %q", got)
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

// A failing combination: nothing is OK, each suggestion is tried alone and
// the one that fails is named.
func TestVerifyNamesTheFailingSuggestion(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Verify(context.Background(), before,
		Candidate{Name: "patched", Dockerfile: []byte("FROM slim\nBADRUN\n")},
		[]Candidate{
			{Name: "SG001", Dockerfile: []byte("FROM slim\nBADRUN multistage\n")},
			{Name: "SG201", Dockerfile: []byte("FROM full\nRUN pip install --no-cache-dir .\n")},
			{Name: "SG501", Dockerfile: []byte("FROM full\nBADBUILD\n")},
		})
	if rep.OK() {
		t.Fatal("a failing smoke run passed")
	}
	want := "the app fails in the patched image (python3 app.py exited 3); failing alone: SG001, SG501"
	if rep.Failure() != want {
		t.Errorf("failure %q\nwant %q", rep.Failure(), want)
	}
	if got := strings.Join(rep.Passing(), ","); got != "SG201" {
		t.Errorf("passing %q", got)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{
		"smoke     exit 0                 FAILED, exit 3",
		"  | ImportError: no module",
		"Each accepted suggestion alone, on the original:",
		"  SG001    build ok",
		"  SG501    build FAILED, smoke not run",
		"           | error: the build broke",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

func TestVerifyBuildFailureAndOneSuggestion(t *testing.T) {
	f := newFake(t, Options{})
	defer f.v.Close()
	before := f.runOriginal(t)
	rep := f.v.Verify(context.Background(), before,
		Candidate{Name: "patched", Dockerfile: []byte("BADBUILD\n")},
		[]Candidate{{Name: "SG001", Dockerfile: []byte("BADBUILD\n")}})
	if rep.OK() || rep.After.Smoke != nil || rep.After.Measure != nil {
		t.Fatalf("%+v", rep.After)
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

func TestCreatedImages(t *testing.T) {
	out := `Sending build context to Docker daemon  18kB
Step 1/6 : FROM local/python:3.11 AS builder
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
Step 5/6 : FROM local/python:3.11-slim
 ---> 60c472cac6ea
Step 6/6 : COPY --from=builder /opt/venv /opt/venv
 ---> 5555555555ee
Successfully built 5555555555ee
`
	got := strings.Join(createdImages([]byte(out)), " ")
	if got != "2222222222bb 4444444444dd 5555555555ee" {
		t.Errorf("created %q", got)
	}
}
