package inspect

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// The hostile inputs of docs/performance.md, written to disk for
// measuring the built binary (/usr/bin/time -v slimpy inspect …):
//
//	SLIMPY_HOSTILE_OUT=/tmp/hostile go test ./internal/inspect/... -run TestWriteHostileInputs
//
// (the hostile image metadata is internal/inspect/source's)
//
// and the hostile registry, served until the file $DIR/stop appears:
//
//	SLIMPY_HOSTILE_SERVE=redirect-loop|huge-config|never-answers|stall-mid-blob SLIMPY_HOSTILE_OUT=/tmp/hostile \
//	    go test ./internal/inspect -run TestServeHostileRegistry -timeout 0
//
// (it writes the reference to $DIR/registry-ref). Both skip unless set.

// genLayout writes an OCI layout of one linux/amd64 image whose layers
// are the tars gens write, generated as they are read (twice for the
// digests, once more for the blob).
func genLayout(t *testing.T, dir string, gens ...func(w io.Writer) error) {
	t.Helper()
	var layers []v1.Layer
	for _, gen := range gens {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			pr, pw := io.Pipe()
			go func() { pw.CloseWithError(gen(pw)) }()
			return pr, nil
		}, tarball.WithCompressionLevel(gzip.BestSpeed))
		if err != nil {
			t.Fatal(err)
		}
		layers = append(layers, l)
	}
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	img, _ = mutate.ConfigFile(img, mustConfig(t, img))
	tartest.WriteLayout(t, dir, img)
}

func TestWriteHostileInputs(t *testing.T) {
	out := os.Getenv("SLIMPY_HOSTILE_OUT")
	if out == "" {
		t.Skip("SLIMPY_HOSTILE_OUT not set")
	}
	const dp = "usr/lib/python3/dist-packages/"
	dirs := map[string]func(dir string){
		// 48 PKG-INFO files of 32 MiB of zeros (a legacy *.egg-info file).
		"egg-info-gzip-bombs": func(dir string) {
			genLayout(t, dir, func(w io.Writer) error {
				var files []genFile
				for i := 0; i < 48; i++ {
					files = append(files, genFile{fmt.Sprintf("%sp%d.egg-info", dp, i), layer.MaxCapturedFile})
				}
				_, err := io.Copy(w, genTarStream(files))
				return err
			})
		},
		// Three layers that keep 44 MiB each: within a layer's 48 MiB,
		// past an image's 96 MiB; and two, just within both, analysed.
		"captured-3x44mib": func(dir string) { capturedLayers(t, dir, 3, 22<<20) },
		"captured-2x47mib": func(dir string) { capturedLayers(t, dir, 2, 47<<19) },
		"egg-info-sparse": func(dir string) {
			genLayout(t, dir, func(w io.Writer) error {
				var raw []byte
				for i := 0; i < 48; i++ {
					raw = append(raw, sparseMember(fmt.Sprintf("%sp%d.egg-info", dp, i), 32<<20, []sparseSeg{{0, "Name: x\n"}}, "pax")...)
				}
				_, err := w.Write(withFiles(t, raw))
				return err
			})
		},
		"sparse-1tib": func(dir string) {
			genLayout(t, dir, func(w io.Writer) error {
				_, err := w.Write(withFiles(t, sparseMember("var/log/lastlog", tib, []sparseSeg{{tib - 4, "tail"}}, "gnu")))
				return err
			})
		},
		"names-8000x60k": func(dir string) {
			genLayout(t, dir, func(w io.Writer) error {
				tw := tar.NewWriter(w)
				for i := 0; i < 8000; i++ {
					if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("%05d/", i) + strings.Repeat("n", 60000), Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatPAX}); err != nil {
						return err
					}
				}
				return tw.Close()
			})
		},
		"oci-archive-100gib-sparse": func(dir string) {
			layoutDir := t.TempDir()
			genLayout(t, layoutDir, func(w io.Writer) error { _, err := w.Write(tartest.Tar(t, tartest.File("a", "b"))); return err })
			var raw []byte
			filepath.WalkDir(layoutDir, func(p string, d os.DirEntry, err error) error {
				rel, _ := filepath.Rel(layoutDir, p)
				if d.IsDir() {
					return nil
				}
				b, _ := os.ReadFile(p)
				tb := tartest.Tar(t, tartest.File(filepath.ToSlash(rel), string(b)))
				raw = append(raw, tb[:len(tb)-1024]...)
				return nil
			})
			raw = append(raw, sparseMember("blobs/sha256/"+strings.Repeat("e", 64), 100<<30, []sparseSeg{{0, "x"}}, "pax")...)
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "hostile.tar"), append(raw, make([]byte, 1024)...), 0o644)
		},
	}
	for name, write := range dirs {
		dir := filepath.Join(out, name)
		os.RemoveAll(dir)
		write(dir)
		t.Logf("wrote %s", dir)
	}
}

// capturedLayers writes a layout of n layers of two dpkg status.d files
// of size bytes each (zeros).
func capturedLayers(t *testing.T, dir string, n int, size int64) {
	var gens []func(io.Writer) error
	for i := 0; i < n; i++ {
		files := []genFile{{fmt.Sprintf("var/lib/dpkg/status.d/a%d", i), size}, {fmt.Sprintf("var/lib/dpkg/status.d/b%d", i), size}}
		gens = append(gens, func(w io.Writer) error { _, err := io.Copy(w, genTarStream(files)); return err })
	}
	genLayout(t, dir, gens...)
}

func TestServeHostileRegistry(t *testing.T) {
	mode, out := os.Getenv("SLIMPY_HOSTILE_SERVE"), os.Getenv("SLIMPY_HOSTILE_OUT")
	if mode == "" || out == "" {
		t.Skip("SLIMPY_HOSTILE_SERVE and SLIMPY_HOSTILE_OUT not set")
	}
	h := startHostileRegistry(t)
	huge, _ := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: fakeDigest(3), Size: 3 << 30}})
	h.setHook(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case mode == "redirect-loop" && strings.Contains(r.URL.Path, "/manifests/"):
			http.Redirect(w, r, r.URL.Path+"?again", http.StatusFound)
		case mode == "huge-config" && strings.Contains(r.URL.Path, "/manifests/"):
			w.Header().Set("Content-Type", string(types.OCIManifestSchema1))
			w.Write(huge)
		case mode == "huge-config" && strings.Contains(r.URL.Path, "/blobs/"):
			w.Header().Set("Content-Length", fmt.Sprint(int64(3<<30)))
			io.Copy(w, io.LimitReader(zeroReader{}, 3<<30))
		case mode == "never-answers" && strings.Contains(r.URL.Path, "/manifests/"):
			h.stall(r)
		case mode == "stall-mid-blob" && strings.HasSuffix(r.URL.Path, "/blobs/"+h.layer):
			w.Header().Set("Content-Length", fmt.Sprint(len(h.blob)))
			w.Write(h.blob[:len(h.blob)/2])
			w.(http.Flusher).Flush()
			h.stall(r)
		default:
			return false
		}
		return true
	})
	os.WriteFile(filepath.Join(out, "registry-ref"), []byte("docker://"+h.ref), 0o644)
	stop := filepath.Join(out, "stop")
	for {
		if _, err := os.Stat(stop); err == nil {
			os.Remove(stop)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}
