package inspect

import (
	"os"
	"path/filepath"
	"testing"
)

// The engine's configs are kept in the cache directory, one file per
// image ID, read back whole up to the limit asked for; no cache directory,
// no config cache.
func TestEngineConfigsKeepConfigsByImageID(t *testing.T) {
	if engineConfigCache("") != nil {
		t.Error("a config cache without a cache directory")
	}
	dir := t.TempDir()
	c := engineConfigCache(dir)
	if got := c.Config("sha256:aa", 1<<20); got != nil {
		t.Errorf("an empty cache gave %q", got)
	}
	raw := []byte(`{"rootfs":{"type":"layers","diff_ids":[]}}`)
	c.KeepConfig("sha256:aa", raw)
	if got := c.Config("sha256:aa", 1<<20); string(got) != string(raw) {
		t.Errorf("kept %q, got %q", raw, got)
	}
	if got := c.Config("sha256:bb", 1<<20); got != nil {
		t.Errorf("another image ID gave %q", got)
	}
	if got := c.Config("sha256:aa", int64(len(raw)-1)); got != nil {
		t.Errorf("a config over the limit was read: %q", got)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "engine-configs-v1", "*", "*.json"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	if err := os.WriteFile(files[0], nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := c.Config("sha256:aa", 1<<20); len(got) != 0 {
		t.Errorf("an emptied file gave %q", got)
	}
}
