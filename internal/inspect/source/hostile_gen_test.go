package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The hostile image metadata of docs/performance.md, written to disk for
// measuring the built binary (/usr/bin/time -v slimpy inspect …) beside
// internal/inspect's hostile layers:
//
//	SLIMPY_HOSTILE_OUT=/tmp/hostile go test ./internal/inspect/... -run TestWriteHostileInputs
//
// It skips unless SLIMPY_HOSTILE_OUT is set.
func TestWriteHostileInputs(t *testing.T) {
	out := os.Getenv("SLIMPY_HOSTILE_OUT")
	if out == "" {
		t.Skip("SLIMPY_HOSTILE_OUT not set")
	}
	dirs := map[string]func(dir string){
		"history-2m": func(dir string) {
			cfg := `{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"history":[` +
				strings.TrimSuffix(strings.Repeat(`{},`, 2_000_000), ",") + `]}`
			copyDir(t, rawLayout(t, []byte(cfg), nil), dir)
		},
		// Metadata files of 2 GiB, sparse on disk (zeros: what matters is
		// that they are never read).
		"index-2gib": func(dir string) {
			copyDir(t, rawLayout(t, []byte(`{"architecture":"amd64","os":"linux"}`), nil), dir)
			os.Truncate(filepath.Join(dir, "index.json"), 2<<30)
		},
		"config-2gib": func(dir string) {
			d := v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: fakeDigest(7), Size: 2 << 30}
			copyDir(t, rawLayout(t, nil, &d), dir)
			p := filepath.Join(dir, "blobs", "sha256", d.Digest.Hex)
			os.WriteFile(p, nil, 0o644)
			os.Truncate(p, 2<<30)
		},
	}
	for name, write := range dirs {
		dir := filepath.Join(out, name)
		os.RemoveAll(dir)
		write(dir)
		t.Logf("wrote %s", dir)
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(from, p)
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, _ := os.ReadFile(p)
		return os.WriteFile(target, b, 0o644)
	})
}
