package fsview

import (
	"archive/tar"
	"cmp"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	fx "github.com/slimpy/slimpy/internal/fixtures"
	"github.com/slimpy/slimpy/internal/inspect/layer"
)

// refOverlay is a second, deliberately naive model of the merged file
// system, written from docs/accounting.md and the overlay rules alone (a
// map of paths, prefix deletes), to check Merge's per-layer figures
// against: whatever tar extracted layer by layer onto a real overlay shows.
type refOverlay struct {
	paths map[string]refNode
}

type refNode struct {
	kind layer.Kind
	ino  string // a regular file's stored copy: "layer:path"
	size int64
}

func newRefOverlay() *refOverlay { return &refOverlay{paths: map[string]refNode{}} }

// drop removes p and everything below it.
func (r *refOverlay) drop(p string) {
	delete(r.paths, p)
	for q := range r.paths {
		if strings.HasPrefix(q, p+"/") {
			delete(r.paths, q)
		}
	}
}

// inodes returns the visible stored copies and their sizes.
func (r *refOverlay) inodes() map[string]int64 {
	out := map[string]int64{}
	for _, n := range r.paths {
		if n.kind == layer.KindFile {
			out[n.ino] = n.size
		}
	}
	return out
}

// apply applies one layer and returns what its whiteouts and opaque
// markers removed (visible copies that no path reaches any more, each
// once).
func (r *refOverlay) apply(t *testing.T, idx int, ld *layer.Data) (removedBytes int64, removedFiles int) {
	t.Helper()
	before := r.inodes()
	for _, p := range ld.Whiteouts {
		r.drop(p)
	}
	for _, d := range ld.Opaques {
		if n, ok := r.paths[d]; ok && n.kind == layer.KindDir {
			r.drop(d)
			r.paths[d] = n
		}
	}
	after := r.inodes()
	for ino, size := range before {
		if _, ok := after[ino]; !ok {
			removedBytes += size
			removedFiles++
		}
	}
	for _, e := range ld.Entries {
		// Every ancestor becomes a directory, hiding a non-directory there.
		for d := e.Path; ; {
			d = d[:strings.LastIndexByte(d, '/')]
			if d == "" {
				break
			}
			if n, ok := r.paths[d]; ok && n.kind != layer.KindDir {
				r.drop(d)
			}
			if _, ok := r.paths[d]; !ok {
				r.paths[d] = refNode{kind: layer.KindDir}
			}
		}
		n := refNode{kind: e.Kind, size: e.Size}
		switch e.Kind {
		case layer.KindFile:
			n.ino = fmt.Sprintf("%d:%s", idx, e.Path)
		case layer.KindHardlink:
			target, ok := r.paths[e.Link]
			if !ok || target.kind == layer.KindDir {
				t.Fatalf("layer %d: hardlink %s to %s, missing or a directory", idx, e.Path, e.Link)
			}
			n = target
		}
		if old, ok := r.paths[e.Path]; ok && (old.kind != layer.KindDir || n.kind != layer.KindDir) {
			r.drop(e.Path)
		}
		r.paths[e.Path] = n
	}
	return removedBytes, removedFiles
}

// visible sums the visible regular files, each stored copy once.
func (r *refOverlay) visible() (bytes int64, files int) {
	for _, size := range r.inodes() {
		bytes += size
		files++
	}
	return bytes, files
}

// checkAgainstReference checks, layer by layer, that Merge's wasted and
// removed figures are what the reference model gives: wastedBytes_k =
// waste after k − waste after k−1, where waste after k is the stored bytes
// of layers 0..k minus the visible bytes of the image made of them.
func checkAgainstReference(t *testing.T, lds []*layer.Data, changes []LayerChange) {
	t.Helper()
	ref := newRefOverlay()
	var stored, wasteBefore int64
	for k, ld := range lds {
		rb, rf := ref.apply(t, k, ld)
		stored += ld.StoredBytes
		vis, _ := ref.visible()
		waste := stored - vis
		if got := changes[k].WastedBytes; got != waste-wasteBefore {
			t.Errorf("layer %d: wasted %d bytes; the reference overlay says %d (waste after it %d, before %d)",
				k, got, waste-wasteBefore, waste, wasteBefore)
		}
		if changes[k].RemovedBytes != rb || changes[k].RemovedFiles != rf {
			t.Errorf("layer %d: removed %d bytes in %d files; the reference overlay says %d in %d",
				k, changes[k].RemovedBytes, changes[k].RemovedFiles, rb, rf)
		}
		wasteBefore = waste
	}
}

// mergeSteps builds an image of the steps with internal/fixtures, walks
// its layer tarballs and merges them.
func mergeSteps(t *testing.T, steps ...fx.Step) ([]*layer.Data, *FileSystem, []LayerChange) {
	t.Helper()
	img, err := fx.BuildImage(fx.Image{Steps: steps}, false)
	if err != nil {
		t.Fatal(err)
	}
	lds := walkImage(t, img)
	fsys, changes, err := Merge(lds)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, lds, fsys, changes)
	checkAgainstReference(t, lds, changes)
	return lds, fsys, changes
}

// The committed fixtures agree with the reference overlay too.
func TestFixturesMatchReferenceOverlay(t *testing.T) {
	for _, w := range fixtureImages() {
		t.Run(w.name+w.platform, func(t *testing.T) {
			lds := walkFixture(t, w.name, w.platform)
			_, changes, err := Merge(lds)
			if err != nil {
				t.Fatal(err)
			}
			checkAgainstReference(t, lds, changes)
		})
	}
}

// Removals count each stored copy once, when its last visible path goes,
// whether whiteouts, opaque markers or both take its names.
func TestMergeRemovedCountsInodesOnce(t *testing.T) {
	_, _, changes := mergeSteps(t,
		fx.Layer("base",
			fx.Rand("/a/x", 1000), fx.Hardlink("/a/x2", "/a/x"), fx.Hardlink("/b/x3", "/a/x"),
			fx.Rand("/c/y", 300), fx.Hardlink("/c/y2", "/c/y"),
			fx.File("/d/empty", ""), fx.Hardlink("/d/empty2", "/d/empty"),
			fx.Rand("/e/z", 50), fx.Hardlink("/keep/z", "/e/z")),
		// One name of x: the file stays (two names left).
		fx.Layer("rm /a/x", fx.Whiteout("/a/x")),
		// Its other names, one by a whiteout of a directory, one by an
		// opaque marker: removed once. y's two names by one whiteout:
		// once. The empty file is removed (0 bytes, not waste).
		fx.Layer("rm -rf /a /c /d; opaque /b",
			fx.Whiteout("/a"), fx.Opaque("/b"), fx.Whiteout("/c"), fx.Whiteout("/d")),
		// z keeps a name in /keep: nothing removed.
		fx.Layer("rm -rf /e", fx.Whiteout("/e")),
	)
	want := []LayerChange{
		{AddedBytes: 1350, AddedFiles: 4},
		{},
		{RemovedBytes: 1300, RemovedFiles: 3, WastedBytes: 1300, WastedFiles: 2},
		{},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes\n got %+v\nwant %+v", changes, want)
	}
}

// A hardlink entry stores no bytes, so it is never a metadata-only copy;
// the copy it reaches is, when its layer rewrote it with the same content.
func TestMergeHardlinkIsNotAMetadataCopy(t *testing.T) {
	_, fsys, changes := mergeSteps(t,
		fx.Layer("base",
			fx.Rand("/app/tool", 1000), fx.Hardlink("/app/tool-link", "/app/tool"),
			fx.Rand("/app/a", 400), fx.Rand("/app/b", 400).WithSeed("/app/a")),
		// chown -R: the file again (a metadata-only copy) and its link.
		fx.Layer("chown -R 1000 /app",
			fx.Rand("/app/tool", 1000).Chown(1000, 1000), fx.Hardlink("/app/tool-link", "/app/tool")),
		// b, same content as a, replaced by a link to a: deduplicated,
		// not stored again.
		fx.Layer("ln -f /app/a /app/b", fx.Hardlink("/app/b", "/app/a")),
	)
	want := []MetadataCopy{{Path: "/app/tool", Layer: 1, PrevLayer: 0, Size: 1000, OwnerChanged: true}}
	if !reflect.DeepEqual(fsys.MetadataCopies, want) {
		t.Errorf("metadata copies\n got %+v\nwant %+v", fsys.MetadataCopies, want)
	}
	// What the metadata copies of a layer sum to is at most what it stores.
	for k, ch := range changes {
		var meta int64
		for _, m := range fsys.MetadataCopies {
			if m.Layer == k {
				meta += m.Size
			}
		}
		if stored := ch.AddedBytes + ch.ModifiedBytes; meta > stored {
			t.Errorf("layer %d: metadata copies of %d bytes, it wrote %d", k, meta, stored)
		}
	}
}

// The chown fixture's metadata copies sum, per layer, to at most the bytes
// that layer stores (tool-link is a hardlink entry: no copy).
func TestFixtureMetadataCopiesWithinStored(t *testing.T) {
	for _, name := range []string{"chown", "demo", "hardlinks"} {
		lds := walkFixture(t, name, "")
		fsys, _, err := Merge(lds)
		if err != nil {
			t.Fatal(err)
		}
		sum := map[int]int64{}
		for _, m := range fsys.MetadataCopies {
			sum[m.Layer] += m.Size
		}
		for k, s := range sum {
			if s > lds[k].StoredBytes {
				t.Errorf("%s layer %d: metadata copies sum to %d, the layer stores %d", name, k, s, lds[k].StoredBytes)
			}
		}
	}
}

// A directory replaced by a non-directory hides everything below the lower
// directory, as an overlay does: those stored bytes are waste, charged to
// the replacing layer as overwritten. Removed counts whiteouts and opaque
// markers only, so it stays 0. A stored copy that another path still
// reaches (a hardlink outside the directory) stays visible.
func TestMergeDirectoryReplaced(t *testing.T) {
	_, fsys, changes := mergeSteps(t,
		fx.Layer("base",
			fx.Rand("/var/data/x.db", 700), fx.Rand("/var/data/sub/y.db", 800),
			fx.Rand("/opt/cache/a", 300), fx.Rand("/opt/cache/b", 400), fx.Hardlink("/keep/b", "/opt/cache/b"),
			fx.Rand("/srv/www/index.html", 500), fx.Rand("/etc/motd", 60),
			fx.Rand("/usr/lib/foo/f1", 200)),
		// rm -rf /var/data && echo > /var/data: a file over the directory
		fx.Layer("file over dir", fx.Rand("/var/data", 90)),
		// a symlink over a directory; b stays reachable as /keep/b
		fx.Layer("symlink over dir", fx.Symlink("/opt/cache", "/tmp")),
		// a hardlink over a directory
		fx.Layer("hardlink over dir", fx.Rand("/srv/page", 60), fx.Hardlink("/srv/www", "/srv/page")),
		// a device over a directory, then a directory again above it: the
		// lowest directory's contents do not come back
		fx.Layer("char dev over dir", fx.CharDev("/usr/lib/foo", 1, 3)),
		fx.Layer("dir again", fx.Rand("/usr/lib/foo/f2", 20)),
		// and the other way: a directory over a file
		fx.Layer("dir over file", fx.Rand("/etc/motd/part", 10)),
	)
	want := []LayerChange{
		{AddedBytes: 2960, AddedFiles: 7},
		{AddedBytes: 90, AddedFiles: 1, WastedBytes: 1500, WastedFiles: 2},
		{WastedBytes: 300, WastedFiles: 1},
		// page and its second name /srv/www: added once, index.html hidden
		{AddedBytes: 60, AddedFiles: 1, WastedBytes: 500, WastedFiles: 1},
		{WastedBytes: 200, WastedFiles: 1},
		{AddedBytes: 20, AddedFiles: 1},
		{AddedBytes: 10, AddedFiles: 1, WastedBytes: 60, WastedFiles: 1},
	}
	if !reflect.DeepEqual(changes, want) {
		t.Errorf("changes\n got %+v\nwant %+v", changes, want)
	}
	var got []Copy
	for _, c := range fsys.Hidden {
		c.Hash = 0
		got = append(got, c)
	}
	slices.SortFunc(got, func(x, y Copy) int { return cmp.Or(cmp.Compare(x.Path, y.Path), cmp.Compare(x.Layer, y.Layer)) })
	wantHidden := []Copy{
		{Path: "/etc/motd", Layer: 0, Size: 60, HiddenBy: 6, Reason: Overwritten},
		{Path: "/opt/cache/a", Layer: 0, Size: 300, HiddenBy: 2, Reason: Overwritten},
		{Path: "/srv/www/index.html", Layer: 0, Size: 500, HiddenBy: 3, Reason: Overwritten},
		{Path: "/usr/lib/foo/f1", Layer: 0, Size: 200, HiddenBy: 4, Reason: Overwritten},
		{Path: "/var/data/sub/y.db", Layer: 0, Size: 800, HiddenBy: 1, Reason: Overwritten},
		{Path: "/var/data/x.db", Layer: 0, Size: 700, HiddenBy: 1, Reason: Overwritten},
	}
	if !reflect.DeepEqual(got, wantHidden) {
		t.Errorf("hidden copies\n got %v\nwant %v", got, wantHidden)
	}
	for _, p := range []string{"/var/data/x.db", "/opt/cache/b", "/srv/www/index.html", "/usr/lib/foo/f1", "/etc/motd/part/x"} {
		if fsys.Lookup(p) != nil {
			t.Errorf("%s is visible", p)
		}
	}
	for p, kind := range map[string]layer.Kind{"/var/data": layer.KindFile, "/opt/cache": layer.KindSymlink, "/keep/b": layer.KindFile,
		"/srv/www": layer.KindFile, "/srv/page": layer.KindFile, "/usr/lib/foo/f2": layer.KindFile, "/etc/motd/part": layer.KindFile} {
		if n := fsys.Lookup(p); n == nil || n.Kind != kind {
			t.Errorf("%s: %v, want a visible %s", p, n, kind)
		}
	}
	var visible int64
	files := 0
	fsys.EachContent(func(n *Node) { visible += n.Size; files++ })
	if visible != 580 || files != 5 { // /var/data 90, /keep/b 400, page 60, f2 20, part 10
		t.Errorf("visible %d bytes in %d files, want 580 in 5", visible, files)
	}
}

// TestWalkMillionEntries streams a layer of one million entries: it must
// finish with the right count, without holding the tar in memory, and the
// layer data and merged tree must stay within a stated cost per entry
// (docs/performance.md).
func TestWalkMillionEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the one-million-entry layer")
	}
	const n = 1_000_000
	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		for i := 0; i < n; i++ {
			name := "usr/lib/python3/dist-packages/d" + strconv.Itoa(i%1000) + "/f" + strconv.Itoa(i) + ".py"
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
			tw.Write([]byte{'x'})
		}
		pw.CloseWithError(tw.Close())
	}()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	ld, err := walkLayer(pr, "")
	if err != nil {
		t.Fatal(err)
	}
	if ld.StoredFiles != n || ld.StoredBytes != n {
		t.Fatalf("%d files, %d bytes; want %d", ld.StoredFiles, ld.StoredBytes, n)
	}
	fs, _, err := Merge([]*layer.Data{ld})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if c := len(fs.Lookup("/usr/lib/python3/dist-packages/d7").children); c != n/1000 {
		t.Errorf("d7 has %d children, want %d", c, n/1000)
	}
	perEntry := float64(after.HeapAlloc-before.HeapAlloc) / n
	t.Logf("layer data + merged tree: %.0f bytes per entry (%d MiB live for %d entries)", perEntry, (after.HeapAlloc-before.HeapAlloc)>>20, n)
	if perEntry > 450 {
		t.Errorf("%.0f bytes per entry, more than the 450 docs/performance.md states", perEntry)
	}
	runtime.KeepAlive(ld)
	runtime.KeepAlive(fs)
}
