package inspect

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// TestEngineImageWarmNeverExports: the second analysis of an image of the
// engine, its config and layers in the cache, exports nothing (docker
// save of a big image takes most of a cold run) and reports the same;
// without a cache, or with --no-cache, the image is exported as before.
func TestEngineImageWarmNeverExports(t *testing.T) {
	trRequireDocker(t)
	img := trTestImage(t, "linux/amd64")
	b := make([]byte, 4)
	rand.Read(b)
	tag := "slimpy-test/engine-warm:" + hex.EncodeToString(b)
	p := filepath.Join(t.TempDir(), "img.tar")
	if err := tarball.WriteToFile(p, trRef(t, tag), img); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("docker", "load", "-i", p).CombinedOutput(); err != nil {
		t.Fatalf("docker load: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", tag).Run() })
	cache := t.TempDir()

	// analyze returns the report and whether the image was exported.
	analyze := func(cacheDir string) (Report, bool) {
		t.Helper()
		src := trMustOpen(t, "docker-daemon:"+tag, OpenOptions{})
		defer src.Close()
		a, err := Analyze(context.Background(), src, Options{CacheDir: cacheDir})
		if err != nil {
			t.Fatal(err)
		}
		saver := src.closers[0].(*tempCapturingClient)
		return a.Report(), len(saver.paths) > 0
	}
	cold, exported := analyze(cache)
	if !exported {
		t.Fatal("the first analysis did not export the image")
	}
	warm, exported := analyze(cache)
	if exported {
		t.Error("the warm analysis exported the image")
	}
	for i := range warm.Layers {
		if !warm.Layers[i].Cached {
			t.Errorf("layer %d not from the cache", i)
		}
		warm.Layers[i].Cached = false
	}
	if !reflect.DeepEqual(cold, warm) {
		t.Errorf("the warm report differs:\ncold %+v\nwarm %+v", cold, warm)
	}
	if _, exported := analyze(""); !exported {
		t.Error("without a cache the image was not exported")
	}

	// A damaged config file is a miss, not a wrong report.
	matches, _ := filepath.Glob(filepath.Join(cache, "engine-configs-v1", "*", "*.json"))
	if len(matches) != 1 {
		t.Fatalf("engine config files %v", matches)
	}
	if err := os.WriteFile(matches[0], []byte(`{"rootfs":{"type":"layers","diff_ids":[]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	again, exported := analyze(cache)
	if !exported {
		t.Error("a config that lists other layers was trusted")
	}
	for i := range again.Layers {
		again.Layers[i].Cached = false
	}
	if !reflect.DeepEqual(cold, again) {
		t.Errorf("the report after a damaged config differs")
	}
}
