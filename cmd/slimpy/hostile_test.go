//go:build unix

package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/slimpy/slimpy/internal/suggest"
)

// TestCIVerdictBeforeReports: a report that fails to be written (a pipe
// nobody reads: an error at once, not a hang) comes after the verdict,
// which is printed, and no temporary file is named.
func TestCIVerdictBeforeReports(t *testing.T) {
	_, bloated := ciImages(t)
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := slimpy(t, "ci", bloated, "--insecure", "--no-cache", "--max-size", "500kB", "--report", "json="+filepath.Join(dir, "r.json"), "--report", "markdown="+fifo)
	if code != exitUsage || !strings.Contains(out, "slimpy ci: FAIL") || !strings.Contains(errOut, "--report markdown") || strings.Contains(errOut, "slimpy-") {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestMain runs slimpy's own main when a test starts this test binary as
// slimpy (SLIMPY_TEST_MAIN=1, arguments after "--"), to send it signals.
func TestMain(m *testing.M) {
	if os.Getenv("SLIMPY_TEST_MAIN") == "1" {
		i := slices.Index(os.Args, "--")
		os.Args = append([]string{"slimpy"}, os.Args[i+1:]...)
		main()
		return
	}
	os.Exit(m.Run())
}

// TestSignalsStopARun: SIGINT and SIGTERM stop slimpy while it waits on a
// registry that never answers: exit 130 or 143, one line on stderr, no
// file written (a fix --all interrupted at 3 s ran 13 s more, wrote the
// Dockerfile and exited 0).
func TestSignalsStopARun(t *testing.T) {
	for _, c := range []struct {
		sig  syscall.Signal
		code int
		say  string
	}{{syscall.SIGINT, 130, "slimpy: interrupted\n"}, {syscall.SIGTERM, 143, "slimpy: terminated\n"}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			asked := make(chan struct{}, 1)
			release := make(chan struct{})
			defer close(release)
			host := startRegistry(t, func(http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					select {
					case asked <- struct{}{}:
					default:
					}
					select { // never answers
					case <-r.Context().Done():
					case <-release:
					}
				})
			})
			_, path := writeDockerfile(t, cliDockerfile)
			cmd := exec.Command(os.Args[0], "-test.run=^$", "--", "fix", "docker://"+host+"/app:1", "--insecure", "--no-cache",
				"--dockerfile", path, "--all")
			cmd.Env = append(os.Environ(), "SLIMPY_TEST_MAIN=1")
			var stdout, stderr strings.Builder
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			<-asked // slimpy is waiting on the registry
			cmd.Process.Signal(c.sig)
			err := cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != c.code || stderr.String() != c.say || stdout.String() != "" {
				t.Errorf("%v: stdout %q, stderr %q; want exit %d and %q", err, stdout.String(), stderr.String(), c.code, c.say)
			}
			nothingWritten(t, path)
		})
	}
}

// TestCancelledRunWritesNothing: a run whose context is cancelled by a
// signal writes no file and prints nothing but the one line, whatever
// point the command had reached.
func TestCancelledRunWritesNothing(t *testing.T) {
	_, path := writeDockerfile(t, cliDockerfile)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(interrupted{syscall.SIGTERM})
	var out, errOut strings.Builder
	code := run(ctx, []string{"fix", "--dockerfile", path, "--all"}, &out, &errOut)
	if code != 143 || out.String() != "" || errOut.String() != "slimpy: terminated\n" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	nothingWritten(t, path)
}

// TestInputsMustBeRegularAndBounded: a named pipe, a device or a file
// above its limit, given as any input file, is an exit-2 error at once (a
// FIFO blocked until SIGKILL; /dev/zero as the baseline grew by 600 MB/s).
func TestInputsMustBeRegularAndBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	big := func(name string, size int64) string {
		p := filepath.Join(dir, name)
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := f.Truncate(size); err != nil { // sparse: no disk used
			t.Fatal(err)
		}
		return p
	}
	bigDockerfile := big("Dockerfile.big", suggest.MaxDockerfileSize+1)
	bigConfig := big("slimpy.yaml", 1<<20+1)
	bigBaseline := big("base.json", 64<<20+1)
	_, df := writeDockerfile(t, cliDockerfile)
	missing := "docker-archive:" + filepath.Join(dir, "missing.tar")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"suggest", "--dockerfile", fifo}, "reading the Dockerfile: " + fifo + " is a named pipe, not a regular file"},
		{[]string{"fix", "--dockerfile", fifo, "--all"}, fifo + " is a named pipe"},
		{[]string{"fix", "--dockerfile", fifo, "--all", "--verify"}, fifo + " is a named pipe"},
		{[]string{"suggest", "--dockerfile", "/dev/zero"}, "/dev/zero is a device, not a regular file"},
		{[]string{"suggest", "--dockerfile", dir}, dir + " is a directory, not a regular file"},
		{[]string{"suggest", "--dockerfile", bigDockerfile}, bigDockerfile + " is larger than allowed: the limit is 256 KiB"},
		{[]string{"ci", missing, "--baseline", "/dev/zero"}, "baseline: /dev/zero is a device, not a regular file"},
		{[]string{"ci", missing, "--baseline", fifo}, "baseline: " + fifo + " is a named pipe"},
		{[]string{"ci", missing, "--baseline", bigBaseline}, "the limit is 64 MiB"},
		{[]string{"ci", missing, "--config", fifo}, "config: " + fifo + " is a named pipe"},
		{[]string{"inspect", missing, "--config", fifo}, "config: " + fifo + " is a named pipe"},
		{[]string{"suggest", missing, "--dockerfile", df, "--config", "/dev/zero"}, "config: /dev/zero is a device"},
		{[]string{"inspect", missing, "--config", bigConfig}, "the limit is 1.0 MiB"},
		{[]string{"fix", "--dockerfile", df, "--accept", "SG201", "-o", fifo}, fifo + " is a named pipe, not a regular file: nothing written"},
	} {
		code, out, errOut := slimpy(t, c.args...)
		if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c.args, code, out, errOut, c.want)
		}
	}

	// The defaults: ./Dockerfile and ./.slimpy.yaml as pipes; a pipe as
	// the context's .dockerignore is present (not read, not replaced).
	work := t.TempDir()
	t.Chdir(work)
	syscall.Mkfifo("Dockerfile", 0o644)
	if code, _, errOut := slimpy(t, "suggest"); code != exitUsage || !strings.Contains(errOut, "Dockerfile is a named pipe") {
		t.Errorf("./Dockerfile a pipe: exit %d %q", code, errOut)
	}
	os.Remove("Dockerfile")
	os.WriteFile("Dockerfile", []byte(cliDockerfile), 0o644)
	syscall.Mkfifo(".slimpy.yaml", 0o644)
	if code, _, errOut := slimpy(t, "inspect", missing); code != exitUsage || !strings.Contains(errOut, ".slimpy.yaml is a named pipe") {
		t.Errorf("./.slimpy.yaml a pipe: exit %d %q", code, errOut)
	}
	syscall.Mkfifo(".dockerignore", 0o644)
	code, out, errOut := slimpy(t, "suggest")
	if code != 0 || strings.Contains(out, "SG204") || strings.Contains(out, "+++ b/.dockerignore") {
		t.Errorf(".dockerignore a pipe: exit %d %q\n%s", code, errOut, out)
	}
}
