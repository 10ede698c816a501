package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
)

// A second `slimpy inspect --format json` of the same image prints the
// first one's report, taken from the image cache (every layer says cached),
// and --no-cache neither reads nor writes a cache.
func TestInspectWarmFromImageCache(t *testing.T) {
	ref := "docker-archive:" + filepath.Join("..", "..", "testdata", "images", "python.tar")
	cache := t.TempDir()
	run := func(args ...string) inspect.Report {
		t.Helper()
		code, out, errOut := slimpy(t, append([]string{"inspect", ref, "--format", "json", "--now", "2026-11-28", "--cache-dir", cache}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var r inspect.Report
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		return r
	}
	plain := func(r inspect.Report) string {
		for i := range r.Layers {
			r.Layers[i].Cached = false
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	noCache := run("--no-cache")
	if entries, _ := os.ReadDir(cache); len(entries) != 0 {
		t.Fatalf("--no-cache wrote %d cache entries", len(entries))
	}
	cold := run()
	warm := run()
	if cold.Layers[0].Cached || !warm.Layers[0].Cached {
		t.Fatalf("cached flags: cold %v, warm %v", cold.Layers[0].Cached, warm.Layers[0].Cached)
	}
	if len(warm.Findings) == 0 {
		t.Fatal("no findings on python.tar")
	}
	if plain(warm) != plain(cold) || plain(cold) != plain(noCache) {
		t.Fatal("the warm report differs from the cold one")
	}
	if again := run("--no-cache"); again.Layers[0].Cached {
		t.Fatal("--no-cache used the cache")
	}
}
