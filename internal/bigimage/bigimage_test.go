package bigimage

import (
	"archive/tar"
	"bytes"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
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

// Every layer holds what the engine's export of a built layer holds, in
// its order (see full.tar of scripts/debian-images.sh): sorted by path,
// each path once, every parent directory listed before what it holds, a
// hardlink after its target, a whiteout only for a path a lower layer
// shows and never below another path the same layer deletes.
func TestLayersAreShapedAsTheEngineExportsThem(t *testing.T) {
	layers := plan(Options{Scale: 0.05, ExtraBytes: 1 << 20, Seed: 1})
	for i, l := range layers {
		lower := lowerTree(layers[:i])
		listed := map[string]bool{}
		deleted := map[string]bool{}
		prev := ""
		whiteouts := 0
		for _, e := range l.entries {
			name := strings.TrimSuffix(e.name, "/")
			dir, base := splitPath(name)
			key := name
			if strings.HasPrefix(base, ".wh.") && base != ".wh..wh..opq" {
				key = path.Join(dir, strings.TrimPrefix(base, ".wh."))
			}
			if key <= prev {
				t.Fatalf("layer %d: %q after %q: not sorted, or a path twice", i, e.name, prev)
			}
			prev = key
			if dir != "" && !listed[dir] {
				t.Fatalf("layer %d: %q before its directory", i, e.name)
			}
			listed[name] = true
			if e.typ == tar.TypeLink && !listed[e.link] && !inTree(lower, e.link) {
				t.Fatalf("layer %d: hardlink %q before its target %q", i, e.name, e.link)
			}
			if key != name {
				whiteouts++
				if !inTree(lower, key) {
					t.Fatalf("layer %d: whiteout %q of a path no lower layer shows", i, e.name)
				}
				for d := dir; d != ""; d, _ = splitPath(d) {
					if deleted[d] {
						t.Fatalf("layer %d: whiteout %q below the deleted %q", i, e.name, d)
					}
				}
				deleted[key] = true
			}
		}
		t.Logf("layer %d: %d entries, %d whiteouts", i, len(l.entries), whiteouts)
	}
}

func inTree(tree map[string]map[string]bool, name string) bool {
	dir, base := splitPath(name)
	return tree[dir][base]
}

// An rm of every file of a directory whites out the directory, once; a
// file removed from a directory that keeps others is its own whiteout.
func TestRemoveFilesWhitesOutEmptiedDirectories(t *testing.T) {
	p := &planner{}
	p.begin("base")
	for _, f := range []string{"usr/include/a/x.h", "usr/include/a/sub/y.h", "usr/include/b.h", "usr/bin/cc", "usr/bin/ls"} {
		p.literal(f, []byte("x"))
	}
	p.begin("purge")
	p.removeFiles([]string{"usr/include/a/x.h", "usr/include/a/sub/y.h", "usr/bin/cc"})
	var got []string
	for _, e := range p.cur.entries {
		if e.typ == tar.TypeReg {
			got = append(got, e.name)
		}
	}
	want := []string{"usr/bin/.wh.cc", "usr/include/.wh.a"}
	if !slices.Equal(got, want) {
		t.Errorf("whiteouts %q, want %q", got, want)
	}
}
