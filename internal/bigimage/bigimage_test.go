package bigimage

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// The generator is deterministic: the same options give the same image,
// byte for byte (a small scale keeps this test fast).
func TestGenerateIsDeterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping two generations of the benchmark image")
	}
	o := Options{Scale: 0.01, ExtraBytes: 2 << 20, Seed: 3}
	var index [][]byte
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		info, err := Generate(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := Stats(o)
		if info.Files != want.Files || info.Bytes != want.Bytes || info.Layers != 13 {
			t.Errorf("generated %+v, Stats says %+v", info, want)
		}
		b, err := os.ReadFile(filepath.Join(dir, "index.json"))
		if err != nil {
			t.Fatal(err)
		}
		index = append(index, b)
	}
	if !bytes.Equal(index[0], index[1]) {
		t.Error("two runs gave different images")
	}
}
