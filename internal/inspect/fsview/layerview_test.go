package fsview

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/tartest"
)

// visibleByMerge is the file system of layers 0..n as Merge builds it:
// every path with its kind and the layer that wrote it.
func visibleByMerge(t testing.TB, lds []*layer.Data, n int) map[string]string {
	t.Helper()
	fsys, _, err := Merge(lds[:n+1])
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	fsys.Walk(func(nd *Node) bool {
		out[nd.Path] = fmt.Sprintf("%s@%d", nd.Kind, nd.Layer)
		return true
	})
	return out
}

// visibleByIndex is the same as the index tells it: the entries visible as
// of layer n (directories no entry listed are left out).
func visibleByIndex(x *LayerIndex, n int) map[string]string {
	out := map[string]string{}
	for l := 0; l <= n; l++ {
		for i, e := range x.Entries(l) {
			ref := EntryRef{int32(l), int32(i)}
			if x.VisibleAt(ref, n) {
				out[e.Path] = fmt.Sprintf("%s@%d", x.kindOf(ref), l)
			}
		}
	}
	return out
}

// checkIndex checks the index against Merge layer by layer: as of every
// layer it shows exactly the entries the merged file system of the layers
// up to it has, and each layer's removals are exactly the paths that left
// the file system with it.
func checkIndex(t testing.TB, lds []*layer.Data) {
	t.Helper()
	fsys, _, err := Merge(lds)
	if err != nil {
		return // IndexLayers refuses what Merge refuses: checked below
	}
	x, err := IndexLayers(lds, fsys.Hidden)
	if err != nil {
		t.Fatalf("IndexLayers: %v (Merge accepted the layers)", err)
	}
	var before map[string]string
	for n := range lds {
		merged := visibleByMerge(t, lds, n)
		indexed := visibleByIndex(x, n)
		for p, what := range indexed {
			if merged[p] != what {
				t.Fatalf("as of layer %d, %s: the index says %s, the merge %q", n, p, what, merged[p])
			}
		}
		for p, what := range merged {
			if _, ok := indexed[p]; !ok && !isImplicitDir(what) {
				t.Fatalf("as of layer %d, %s (%s) is missing from the index", n, p, what)
			}
		}
		removed := map[string]bool{}
		for _, rm := range x.Removed(n) {
			if _, still := merged[rm.Path]; !still {
				removed[rm.Path] = true
			}
			if rm.Ref.Valid() && x.VisibleAt(rm.Ref, n) {
				t.Fatalf("layer %d removed %s (%v), still visible", n, rm.Path, rm.Ref)
			}
		}
		for p := range before {
			if _, ok := merged[p]; !ok && !removed[p] {
				t.Fatalf("layer %d: %s left the file system but is not among its removals %v", n, p, x.Removed(n))
			}
		}
		for p := range removed {
			if _, ok := before[p]; !ok {
				t.Fatalf("layer %d removed %s, which was not there", n, p)
			}
		}
		before = merged
	}
}

// isImplicitDir: a directory no visible entry lists (the merge made it for
// the entries below it; the index has no entry for it).
func isImplicitDir(what string) bool { return strings.HasPrefix(what, "dir@") }

func TestLayerIndexMatchesMerge(t *testing.T) {
	for _, w := range fixtureImages() {
		name := w.name
		if w.platform != "" {
			name += "/" + w.platform
		}
		t.Run(name, func(t *testing.T) {
			checkIndex(t, walkFixture(t, w.name, w.platform))
		})
	}
}

// What each layer of the fixtures changed, path by path.
func TestLayerIndexChanges(t *testing.T) {
	changeAt := func(x *LayerIndex, layer int, p string) (ChangeKind, bool) {
		for i, e := range x.Entries(layer) {
			if e.Path == p {
				st := x.State(EntryRef{int32(layer), int32(i)})
				if st.HiddenBy != int32(layer) {
					return st.Change, true
				}
			}
		}
		for _, rm := range x.Removed(layer) {
			if rm.Path == p {
				return ChangeRemoved, true
			}
		}
		return 0, false
	}
	for _, c := range []struct {
		fixture string
		layer   int
		path    string
		want    ChangeKind
	}{
		{"whiteouts", 1, "/tmp/delete-me.bin", ChangeRemoved},
		{"whiteouts", 2, "/opt/tree", ChangeRemoved},
		{"whiteouts", 2, "/opt/tree/sub/c.bin", ChangeRemoved},
		{"whiteouts", 3, "/srv/cache/old1", ChangeRemoved},
		{"whiteouts", 3, "/srv/cache/new1", ChangeAdded},
		{"whiteouts", 5, "/etc/motd", ChangeContent},
		{"whiteouts", 6, "/var/data", ChangeContent},
		{"whiteouts", 6, "/var/data/x.db", ChangeRemoved},
		{"chown", 1, "/app/main.py", ChangeMetadata},
		{"demo", 7, "/app/tests", ChangeRemoved},
		{"demo", 6, "/app/app.py", ChangeMetadata},
	} {
		t.Run(fmt.Sprintf("%s/%d%s", c.fixture, c.layer, c.path), func(t *testing.T) {
			x, _ := indexFixture(t, c.fixture)
			got, ok := changeAt(x, c.layer, c.path)
			if !ok {
				var paths []string
				for _, e := range x.Entries(c.layer) {
					paths = append(paths, e.Path)
				}
				for _, rm := range x.Removed(c.layer) {
					paths = append(paths, "-"+rm.Path)
				}
				t.Fatalf("layer %d did not touch %s; it did %v", c.layer, c.path, paths)
			}
			if got != c.want {
				t.Errorf("layer %d %s: %s, want %s", c.layer, c.path, got, c.want)
			}
		})
	}
}

// The bytes a layer hides are the merge's: the copies by the layer that
// hid them add up to its WastedBytes.
func TestLayerIndexHiddenBytes(t *testing.T) {
	x, changes := indexFixture(t, "demo")
	for n := range changes {
		var sum int64
		for _, c := range x.HiddenBy(n) {
			sum += c.Size
		}
		if sum != changes[n].WastedBytes {
			t.Errorf("layer %d: copies hidden add up to %d, the merge says %d", n, sum, changes[n].WastedBytes)
		}
	}
}

// indexFixture merges and indexes a committed fixture's layers.
func indexFixture(t *testing.T, name string) (*LayerIndex, []LayerChange) {
	t.Helper()
	lds := walkFixture(t, name, "")
	fsys, changes, err := Merge(lds)
	if err != nil {
		t.Fatal(err)
	}
	x, err := IndexLayers(lds, fsys.Hidden)
	if err != nil {
		t.Fatal(err)
	}
	return x, changes
}

func TestLayerIndexWithoutEntries(t *testing.T) {
	_, err := IndexLayers([]*layer.Data{{StoredFiles: 3, StoredBytes: 10}}, nil)
	if err != ErrNoEntries {
		t.Errorf("err = %v, want ErrNoEntries", err)
	}
}

// FuzzLayerIndex checks the index against Merge on layers built as
// FuzzMerge builds them (buildFuzzLayers), seeded with FuzzMerge's cases
// and two more.
func FuzzLayerIndex(f *testing.F) {
	for _, s := range []string{
		"\x00\x01\x10\x05\xff\x02\x01\x10",
		"\x01\x02\x00\x01\x12\x03\xff\x04\x02",
		"\x01\x02\x00\x01\x12\x03\xff\x05\x02\x00\x01",
		"\x00\x01\x10\x03\x06\x02\x01\xff\x00\x01\x10",
		"\x00\x09\x40\x07\x03\x09\xff\x00\x03\x00",
		"\x01\x02\x00\x01\x12\x03\xff\x04\x02\x01\x02\x00\x01",
		"\x00\x01\x36\x01\xff\x00\x06\x01\x00\x01",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, prog []byte) {
		var lds []*layer.Data
		for _, tb := range buildFuzzLayers(t, prog) {
			ld, err := walkLayer(bytes.NewReader(tb), tartest.DiffID(tb))
			if err != nil {
				return
			}
			lds = append(lds, ld)
		}
		checkIndex(t, lds)
		// Every entry's state is one of the kinds, and what hid it is at
		// or above it.
		fsys, _, err := Merge(lds)
		if err != nil {
			return
		}
		x, _ := IndexLayers(lds, fsys.Hidden)
		for l := range lds {
			for i := range x.Entries(l) {
				st := x.State(EntryRef{int32(l), int32(i)})
				if st.Change > ChangeRemoved || (st.HiddenBy >= 0 && int(st.HiddenBy) < l) {
					t.Fatalf("layer %d entry %d: %+v", l, i, st)
				}
			}
		}
	})
}
