package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/slimpy/slimpy/internal/fixtures"
)

// fakeDocker puts internal/verify's stand-in docker CLI first on PATH and
// points the engine API (slimpy's own inspection) at nothing, so fix
// --verify runs without an engine.
func fakeDocker(t *testing.T) string {
	t.Helper()
	bin := t.TempDir()
	fake, err := filepath.Abs(filepath.Join("..", "..", "internal", "verify", "testdata", "fake-docker"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(fake, filepath.Join(bin, "docker")); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_DOCKER_LOG", filepath.Join(state, "calls.log"))
	t.Setenv("FAKE_DOCKER_STATE", state)
	t.Setenv("DOCKER_HOST", "unix://"+filepath.Join(state, "no-engine.sock"))
	return state
}

func TestFixVerifyWritesWhenThePatchedImageRuns(t *testing.T) {
	state := fakeDocker(t)
	dir, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "fix", fixturePath(t, "demo.tar"), "--dockerfile", path, "--accept", "SG001", "--verify")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"Applied SG001.", "Verified on the Docker engine", "smoke     exit 0", "Wrote " + path, "The original is kept as " + path + ".bak"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The fake's images are not in the engine slimpy reads: said, and no
	// saving claimed.
	if !strings.Contains(out, "not measured: no saving is claimed") || !strings.Contains(out, "was not measured") {
		t.Errorf("unmeasured images not said:\n%s", out)
	}
	got, _ := os.ReadFile(path)
	if !strings.Contains(string(got), "AS builder") {
		t.Errorf("not written:\n%s", got)
	}
	calls, _ := os.ReadFile(filepath.Join(state, "calls.log"))
	if n := strings.Count(string(calls), "build -f "); n != 2 {
		t.Errorf("%d builds, want the original and the patched:\n%s", n, calls)
	}
	if !strings.Contains(string(calls), " "+dir+"\n") {
		t.Errorf("not built in the Dockerfile's directory:\n%s", calls)
	}
}

// SG001 breaks the app; json-cmd alone passes: it is written, SG001 is
// reported as dropped.
func TestFixVerifyKeepsWhatWorks(t *testing.T) {
	fakeDocker(t)
	t.Setenv("FAKE_DOCKER_BADRUN_MATCH", "AS builder")
	_, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "fix", fixturePath(t, "demo.tar"), "--dockerfile", path, "--accept", "SG001,json-cmd", "--verify", "--smoke", "python -c 'import app'")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "slimpy: verify dropped 1 of the accepted suggestions; writing SG402") {
		t.Errorf("stderr:\n%s", errOut)
	}
	for _, want := range []string{
		"Applied SG402.",
		"The patched Dockerfile holds SG402",
		"  SG001  fails alone: the app fails (/bin/sh -c python -c 'import app' exited 3): ImportError: no module",
		"(4 builds, the original's included; at most 6)",
		"Wrote " + path,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	got, _ := os.ReadFile(path)
	if strings.Contains(string(got), "AS builder") || !strings.Contains(string(got), `CMD ["python", "app.py"]`) {
		t.Errorf("written:\n%s", got)
	}
}

func TestFixVerifyFailureWritesNothing(t *testing.T) {
	fakeDocker(t)
	t.Setenv("FAKE_DOCKER_BADRUN_MATCH", "AS builder")
	_, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "fix", fixturePath(t, "demo.tar"), "--dockerfile", path, "--accept", "SG001", "--verify", "--smoke", "python -c 'import app'")
	if code != exitCheck {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitCheck, out, errOut)
	}
	if !strings.Contains(errOut, "slimpy: verification failed: the app fails in the patched image (/bin/sh -c python -c 'import app' exited 3); failing alone: SG001") {
		t.Errorf("stderr:\n%s", errOut)
	}
	for _, want := range []string{"Nothing written.", "  | ImportError: no module"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	nothingWritten(t, path)
}

func TestFixVerifyUsage(t *testing.T) {
	_, path := writeDockerfile(t, cliDockerfile)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"fix", "--dockerfile", path, "--all", "--smoke", "true"}, "--smoke and --smoke-timeout go with --verify"},
		{[]string{"fix", "--dockerfile", path, "--all", "--smoke-timeout", "5s"}, "--smoke and --smoke-timeout go with --verify"},
	} {
		code, _, errOut := slimpy(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, %s", c.args, code, errOut)
		}
	}
	// No Dockerfile to build.
	t.Chdir(t.TempDir())
	code, _, errOut := slimpy(t, "fix", "--all", "--verify")
	if code != exitUsage || !strings.Contains(errOut, "--verify builds the Dockerfile: give --dockerfile PATH") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	// No engine: docker version fails.
	fakeDocker(t)
	t.Setenv("PATH", t.TempDir())
	code, _, errOut = slimpy(t, "fix", "--dockerfile", path, "--all", "--verify")
	if code != exitUsage || !strings.Contains(errOut, "--verify needs a Docker engine") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}

func TestFixVerifyJSON(t *testing.T) {
	fakeDocker(t)
	t.Setenv("FAKE_DOCKER_BADRUN_MATCH", "AS builder")
	_, path := writeDockerfile(t, cliDockerfile)
	code, out, errOut := slimpy(t, "fix", fixturePath(t, "demo.tar"), "--dockerfile", path, "--accept", "SG001,json-cmd", "--verify", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, `"skipped": []`) {
		t.Errorf("skipped is not an empty list:\n%s", out)
	}
	var doc struct {
		Dockerfile   string   `json:"dockerfile"`
		Applied      []string `json:"applied"`
		Written      []string `json:"written"`
		Verification struct {
			OK       bool     `json:"ok"`
			Failure  string   `json:"failure"`
			Measured bool     `json:"measured"`
			Kept     []string `json:"kept"`
			Dropped  []struct {
				ID      string `json:"id"`
				Failure string `json:"failure"`
			} `json:"dropped"`
			Trials []struct {
				IDs []string `json:"ids"`
			} `json:"trials"`
			Builds int `json:"builds"`
			After  struct {
				Build struct{ OK bool } `json:"build"`
				Smoke struct {
					ExitCode int `json:"exitCode"`
				} `json:"smoke"`
			} `json:"after"`
		} `json:"verification"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	v := doc.Verification
	if doc.Dockerfile != path || strings.Join(doc.Applied, ",") != "SG402" || len(doc.Written) != 1 ||
		!v.OK || v.Failure != "" || v.Measured || !v.After.Build.OK || v.After.Smoke.ExitCode != 0 ||
		strings.Join(v.Kept, ",") != "SG402" || len(v.Dropped) != 1 || v.Dropped[0].ID != "SG001" ||
		!strings.Contains(v.Dropped[0].Failure, "exited 3") || len(v.Trials) != 3 || v.Builds != 4 {
		t.Errorf("%+v\n%s", doc, out)
	}
}

// TestFixNeverLosesTheDockerfile: -o naming the Dockerfile (by any
// spelling, or a link to it) keeps a backup and checks for changes; a
// linked Dockerfile has its target written; a missing build context
// writes nothing at all.
func TestFixNeverLosesTheDockerfile(t *testing.T) {
	dir, path := writeDockerfile(t, cliDockerfile)
	t.Chdir(dir)
	os.Symlink("Dockerfile", "link")
	for _, out := range []string{"Dockerfile", "./Dockerfile", path, "link"} {
		os.WriteFile(path, []byte(cliDockerfile), 0o644)
		os.Remove("Dockerfile.bak")
		code, stdout, errOut := slimpy(t, "fix", "--dockerfile", "Dockerfile", "--accept", "SG201", "-o", out)
		if code != 0 {
			t.Fatalf("-o %s: exit %d %s", out, code, errOut)
		}
		if b, _ := os.ReadFile("Dockerfile.bak"); string(b) != cliDockerfile || !strings.Contains(stdout, "The original is kept as Dockerfile.bak") {
			t.Errorf("-o %s: no backup:\n%s", out, stdout)
		}
	}
	if st, _ := os.Lstat("link"); st.Mode()&os.ModeSymlink == 0 {
		t.Error("-o link: the link became a file")
	}

	// A Dockerfile that is a link: the target is edited, the link stays.
	shared := t.TempDir()
	target := filepath.Join(shared, "Dockerfile.python")
	os.WriteFile(target, []byte(cliDockerfile), 0o640)
	os.Remove("Dockerfile")
	os.Symlink(target, "Dockerfile")
	code, _, errOut := slimpy(t, "fix", "--accept", "SG201")
	if code != 0 {
		t.Fatalf("linked Dockerfile: exit %d %s", code, errOut)
	}
	if st, _ := os.Lstat("Dockerfile"); st.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced by a file")
	}
	if b, _ := os.ReadFile(target); !strings.Contains(string(b), "--no-cache-dir") {
		t.Errorf("the target was not edited:\n%s", b)
	}
	if st, _ := os.Stat(target); st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", st.Mode())
	}

	// A missing build context: exit 2 and not one file written (the
	// Dockerfile was written before).
	_, path = writeDockerfile(t, cliDockerfile)
	code, _, errOut = slimpy(t, "fix", "--dockerfile", path, "--accept", "SG201,dockerignore", "--context", filepath.Join(dir, "nope"))
	if code != exitUsage || !strings.Contains(errOut, "does not exist: nothing written") {
		t.Errorf("missing context: exit %d %s", code, errOut)
	}
	nothingWritten(t, path)
}

// TestFixReconstructionNeedsAContext: a reconstruction's new files have no
// build context to go to; beside -o is not it.
func TestFixReconstructionNeedsAContext(t *testing.T) {
	demo := fixturePath(t, "demo.tar")
	dir := t.TempDir()
	t.Chdir(dir)
	out := filepath.Join(dir, "Dockerfile.rec")
	code, _, errOut := slimpy(t, "fix", "docker-archive:"+demo, "--no-cache", "--all", "-o", out)
	if code != exitUsage || !strings.Contains(errOut, "creates .dockerignore in the build context: give --context DIR") {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("-o written")
	}
	ctxDir := t.TempDir()
	code, _, errOut = slimpy(t, "fix", "docker-archive:"+demo, "--no-cache", "--all", "-o", out, "--context", ctxDir)
	if code != 0 {
		t.Fatalf("exit %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, ".dockerignore")); err != nil {
		t.Error(".dockerignore not in the context")
	}
	if _, err := os.Stat(filepath.Join(dir, ".dockerignore")); err == nil {
		t.Error(".dockerignore beside -o")
	}
}

// Ctrl-C while fix --verify runs: slimpy still removes the tags and images
// the run made before it exits 130, however long that takes (it exited
// 500 ms after the signal, with the removal under way; here the fake
// engine takes 2 s to remove an image), and writes nothing.
func TestFixVerifyInterruptedRemovesItsImages(t *testing.T) {
	state := fakeDocker(t)
	t.Setenv("FAKE_DOCKER_RM_DELAY", "2")
	_, path := writeDockerfile(t, cliDockerfile)
	cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "fix", fixturePath(t, "demo.tar"), "--dockerfile", path,
		"--accept", "SG001", "--verify", "--smoke", "sleep 30")
	cmd.Env = append(os.Environ(), "SLIMPY_TEST_MAIN=1")
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(state, "calls.log")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if calls, _ := os.ReadFile(log); strings.Contains(string(calls), "run --rm") {
			break // the original's smoke run
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no smoke run:\n%s", stderr.String())
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 || stdout.String() != "" {
		t.Errorf("%v: stdout %q, stderr %q; want exit 130", err, stdout.String(), stderr.String())
	}
	if !strings.HasSuffix(stderr.String(), "slimpy: interrupted\nslimpy: removing the images --verify made (interrupt again to leave them)\n") {
		t.Errorf("stderr:\n%s", stderr.String())
	}
	calls, _ := os.ReadFile(log)
	tags := regexp.MustCompile(`(?m)^tag \S+ (slimpy-verify:\S+)$`).FindAllStringSubmatch(string(calls), -1)
	if len(tags) == 0 {
		t.Fatalf("no tag made:\n%s", calls)
	}
	for _, m := range tags {
		if _, err := os.Stat(filepath.Join(state, m[1]+".removed")); err != nil {
			t.Errorf("%s was left:\n%s", m[1], calls)
		}
	}
	nothingWritten(t, path)
}

// -o never names an input other than the Dockerfile: the image archive,
// a file inside an OCI layout, the config. Each was replaced by the
// rewritten Dockerfile, with no backup (the archive, 40 kB, became 344
// bytes of text); now exit 2 before anything is read, and they stay.
func TestFixOutputIsNoInput(t *testing.T) {
	dir, _ := writeDockerfile(t, cliDockerfile)
	t.Chdir(dir)
	img, err := random.Image(5000, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := fixtures.WriteDockerArchive(img, "app:1", "app.tar"); err != nil {
		t.Fatal(err)
	}
	if err := fixtures.WriteOCILayout(img, "app:1", "layout"); err != nil {
		t.Fatal(err)
	}
	os.WriteFile("cfg.yaml", []byte("rules: {}\n"), 0o644)
	before := map[string][]byte{}
	for _, p := range []string{"app.tar", "layout/index.json", "cfg.yaml"} {
		before[p], _ = os.ReadFile(p)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"app.tar", "-o", "app.tar"}, "-o app.tar is the image app.tar: it would be overwritten: nothing written"},
		{[]string{"docker-archive:app.tar:app:1", "-o", "./app.tar"}, "-o ./app.tar is the image docker-archive:app.tar:app:1"},
		{[]string{"oci:layout:app:1", "-o", "layout/index.json"}, "-o layout/index.json is inside the image oci:layout:app:1: it would change it"},
		{[]string{"--config", "cfg.yaml", "-o", "cfg.yaml"}, "-o cfg.yaml is --config cfg.yaml"},
	} {
		code, out, errOut := slimpy(t, append([]string{"fix", "--dockerfile", "Dockerfile", "--all"}, c.args...)...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q, want %q", c.args, code, out, errOut, c.want)
		}
	}
	for p, b := range before {
		if now, _ := os.ReadFile(p); !bytes.Equal(now, b) {
			t.Errorf("%s was overwritten", p)
		}
	}
	if _, err := os.Stat("Dockerfile.bak"); err == nil {
		t.Error("a backup was written")
	}
}
