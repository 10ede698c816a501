package e2e

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestSuggestAfterInspectExportsNothing: `slimpy suggest` of an image of
// the engine right after `slimpy inspect` of it, with one cache directory,
// does not export the image again (a `docker save` of the 1.4 GB test
// image takes 20-60 s): the inspect's walk kept what the extension modules
// link. The CLI reaches the engine through a proxy that counts the
// exports.
func TestSuggestAfterInspectExportsNothing(t *testing.T) {
	requireDocker(t)
	e, _ := loadExpected(t, "full")
	ref := "docker-daemon:" + e.Image
	dockerHost, exports := countingEngineProxy(t)
	cache, work := t.TempDir(), t.TempDir() // work: no Dockerfile, the history is used
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, slimpyCLI(t), append(args, "--cache-dir", cache)...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "DOCKER_HOST="+dockerHost)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			t.Fatalf("slimpy %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
		}
		t.Logf("slimpy %s: %s", args[0], time.Since(start).Round(time.Millisecond))
		return stderr.String()
	}
	run("inspect", ref, "--format", "json")
	if n := exports.Load(); n != 1 {
		t.Fatalf("the inspect exported the image %d times, want once", n)
	}
	stderr := run("suggest", ref, "--format", "json")
	if strings.Contains(stderr, "were not read") {
		t.Errorf("the suggest did not read the extension modules' libraries: %s", stderr)
	}
	if n := exports.Load(); n != 1 {
		t.Errorf("the suggest after the inspect exported the image again (%d exports in all)", n)
	}
}

// countingEngineProxy serves the Docker engine's API on a socket of its
// own, as a DOCKER_HOST, and counts the image exports asked through it
// (GET /images/get and /images/NAME/get, what docker save calls).
func countingEngineProxy(t *testing.T) (dockerHost string, exports *atomic.Int32) {
	t.Helper()
	out, err := exec.Command("docker", "context", "inspect", "--format", "{{.Endpoints.docker.Host}}").Output()
	if err != nil {
		t.Fatalf("docker context inspect: %v", err)
	}
	engine, ok := strings.CutPrefix(strings.TrimSpace(string(out)), "unix://")
	if !ok {
		t.Skipf("the engine is at %s: only a unix socket is proxied here", strings.TrimSpace(string(out)))
	}
	dir, err := os.MkdirTemp("", "slimpy-proxy-") // short: a socket path has ~100 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "docker.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	exports = new(atomic.Int32)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
			if p := r.In.URL.Path; strings.Contains(p, "/images/") && strings.HasSuffix(p, "/get") {
				exports.Add(1)
			}
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", engine)
		}},
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "unix://" + sock, exports
}
