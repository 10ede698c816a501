package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/slimpy/slimpy/internal/inspect"
)

// slimpy runs the CLI in-process and returns its exit code and output.
func slimpy(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func startRegistry(t *testing.T, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func push(t *testing.T, host, repo string, img v1.Image) string {
	t.Helper()
	ref, err := name.ParseReference(host+"/"+repo, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	return "docker://" + host + "/" + repo
}

func TestInspectRegistryJSON(t *testing.T) {
	img, err := random.Image(2048, 3)
	if err != nil {
		t.Fatal(err)
	}
	ref := push(t, startRegistry(t, nil), "app:1", img)
	code, out, errOut := slimpy(t, "inspect", ref, "--insecure", "--format", "json", "--cache-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var r inspect.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if r.SchemaVersion != inspect.SchemaVersion || len(r.Layers) != 3 || r.Image.Transport != "docker" {
		t.Errorf("report %+v", r)
	}
	// random.Image layers hold one 2048-byte file each, all visible.
	if r.Totals.Size != 3*2048 || r.Totals.StoredSize != 3*2048 || r.Totals.WastedBytes != 0 {
		t.Errorf("totals %+v", r.Totals)
	}
	wantDigest, _ := img.Digest()
	if r.Image.Digest != wantDigest.String() {
		t.Errorf("digest %s, want %s", r.Image.Digest, wantDigest)
	}
	var compressed int64
	layers, _ := img.Layers()
	for _, l := range layers {
		n, _ := l.Size()
		compressed += n
	}
	if r.Totals.CompressedSize != compressed {
		t.Errorf("compressedSize %d, want %d", r.Totals.CompressedSize, compressed)
	}
}

func TestInspectTextReport(t *testing.T) {
	img, _ := random.Image(1000, 1)
	ref := push(t, startRegistry(t, nil), "app:txt", img)
	code, out, errOut := slimpy(t, "inspect", ref, "--insecure", "--no-cache")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"Image      " + ref, "1.0 kB visible", "Layers", "efficiency 100.0%"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
}

// The interactive view's flags given to a printed report are named on
// stderr, not dropped in silence; the report is still printed.
func TestInspectWarnsOfViewOnlyFlags(t *testing.T) {
	demo := filepath.Join("..", "..", "testdata", "images", "demo.tar")
	code, out, errOut := slimpy(t, "inspect", demo, "--no-cache", "--format", "json", "--dockerfile", "/nonexistent/Dockerfile", "--smoke", "true")
	if code != 0 || !strings.HasPrefix(out, "{") {
		t.Fatalf("exit %d, report %.40q: %s", code, out, errOut)
	}
	want := "slimpy: warning: --dockerfile, --smoke: only the interactive view's suggestions use it; the printed report does not (slimpy suggest and slimpy fix take it)\n"
	if errOut != want {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
	if _, _, errOut := slimpy(t, "inspect", demo, "--no-cache", "--format", "json"); errOut != "" {
		t.Errorf("stderr without those flags: %q", errOut)
	}
}

// TestInspectErrors: bad input gets exit code 2 and one line naming the cause.
func TestInspectErrors(t *testing.T) {
	authed := startRegistry(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, _, ok := r.BasicAuth(); !ok {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	})
	plain := startRegistry(t, nil)
	corrupt := corruptLayout(t)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing archive", []string{"inspect", "docker-archive:" + filepath.Join(t.TempDir(), "nope.tar")}, "nope.tar"},
		{"unknown transport", []string{"inspect", "ftp:foo"}, "ftp"},
		{"auth refused", []string{"inspect", "docker://" + authed + "/app:1", "--insecure"}, "authentication required"},
		{"missing image", []string{"inspect", "docker://" + plain + "/nothing:here", "--insecure"}, "not found"},
		{"bad format", []string{"inspect", "x.tar", "--format", "yaml"}, "--format"},
		// (no argument: a usage error, several lines: TestUsageErrors)
		{"corrupt layer", []string{"inspect", "oci:" + corrupt, "--no-cache"}, "layer 0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := slimpy(t, c.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 || !strings.HasPrefix(errOut, "slimpy: ") {
				t.Errorf("want one line starting 'slimpy: ', got %q", errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Errorf("message %q does not mention %q", errOut, c.want)
			}
		})
	}
}

// corruptLayout writes an OCI layout whose only layer blob is cut in half.
func corruptLayout(t *testing.T) string {
	t.Helper()
	img, err := random.Image(100000, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, err := layout.Write(dir, emptyIndex())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	d, _ := layers[0].Digest()
	blob := filepath.Join(dir, "blobs", d.Algorithm, d.Hex)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blob, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
