package fleet

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/slimpy/slimpy/internal/fleet/fleettest"
	"github.com/slimpy/slimpy/internal/inspect"
)

// collecting wraps an analyzer and keeps every report it returns.
type collecting struct {
	mu      sync.Mutex
	reports map[string]*inspect.Report
}

func (c *collecting) wrap(a Analyzer) Analyzer {
	c.reports = map[string]*inspect.Report{}
	return func(ctx context.Context, ref string) (*inspect.Report, error) {
		r, err := a(ctx, ref)
		if err == nil {
			c.mu.Lock()
			c.reports[ref] = r
			c.mu.Unlock()
		}
		return r, err
	}
}

func TestFleetReportOfARegistry(t *testing.T) {
	f := fleettest.New(t)
	missing := f.Reg.Host + "/team-z/missing:v1"
	var col collecting
	r, err := Run(context.Background(), append(slices.Clone(f.Refs), missing), col.wrap(analyzer(t.TempDir())), RunOptions{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Images != 29 || len(r.Images) != 29 || r.Totals.Failed != 1 || r.Failed[0].Reference != missing ||
		!strings.Contains(r.Failed[0].Error, "NAME_UNKNOWN") {
		t.Fatalf("totals %+v, failed %+v", r.Totals, r.Failed)
	}

	// Every figure adds up what the images' own reports say.
	var sum Totals
	cats := map[string]int64{}
	distinct := map[string]int64{}
	for _, im := range r.Images {
		ir := col.reports[im.Reference]
		if im.Size != ir.Totals.Size || im.WastedBytes != ir.Totals.WastedBytes || im.RecoverableBytes != ir.Summary.RecoverableBytes ||
			*im.Score != ir.Summary.Score || len(im.Layers) != len(ir.Layers) || len(im.TopFindings) != TopFindings ||
			im.TopFindings[0].Title != ir.Findings[0].Title {
			t.Errorf("%s: %+v", im.Reference, im)
		}
		sum.Size += ir.Totals.Size
		sum.StoredSize += ir.Totals.StoredSize
		sum.WastedBytes += ir.Totals.WastedBytes
		sum.RecoverableBytes += ir.Summary.RecoverableBytes
		for c, n := range ir.Categories {
			cats[c] += n
		}
		for _, l := range ir.Layers {
			distinct[l.DiffID] = l.Size
		}
	}
	if r.Totals.Size != sum.Size || r.Totals.StoredSize != sum.StoredSize || r.Totals.WastedBytes != sum.WastedBytes ||
		r.Totals.RecoverableBytes != sum.RecoverableBytes || r.Totals.Layers != len(distinct) {
		t.Errorf("totals %+v, want %+v and %d layers", r.Totals, sum, len(distinct))
	}
	for _, c := range r.Recoverable {
		if c.Bytes != cats[c.Category] || c.Bytes <= 0 {
			t.Errorf("category %s: %d, want %d", c.Category, c.Bytes, cats[c.Category])
		}
		delete(cats, c.Category)
	}
	for c, n := range cats {
		if n > 0 {
			t.Errorf("category %s (%d bytes) missing", c, n)
		}
	}

	// The bases: three, and the gcc one on top of bookworm.
	report := func(prefix string) *inspect.Report {
		for ref, ir := range col.reports {
			if strings.Contains(ref, prefix) {
				return ir
			}
		}
		t.Fatalf("no image %s", prefix)
		return nil
	}
	baseOf := func(prefix string, layers int) string {
		ir := report(prefix)
		var ids []string
		for _, l := range ir.Layers[:layers] {
			ids = append(ids, l.DiffID)
		}
		return ociChainID(ids...)
	}
	buster, bookworm, gcc, alpine := baseOf("team-a/", 2), baseOf("team-b/svc", 2), baseOf("team-b/build", 3), baseOf("team-c/", 2)
	want := map[string]struct {
		images int
		parent string
		os     string
	}{
		buster:   {10, "", "Debian GNU/Linux 10 (buster)"},
		bookworm: {13, "", "Debian GNU/Linux 12 (bookworm)"},
		gcc:      {4, bookworm, "Debian GNU/Linux 12 (bookworm)"},
		alpine:   {6, "", "Alpine Linux v3.19"},
	}
	if len(r.Bases) != len(want) {
		t.Fatalf("bases %+v", r.Bases)
	}
	for _, b := range r.Bases {
		w, ok := want[b.ChainID]
		if !ok || b.Images != w.images || b.Parent != w.parent || b.OS != w.os {
			t.Errorf("base %+v", b)
			continue
		}
		ir := col.reports[b.References[0]]
		var size int64
		for _, l := range ir.Layers[:b.Layers] {
			size += l.Size
		}
		if b.Size != size || b.FleetSize != size*int64(b.Images) {
			t.Errorf("base %s: size %d, want %d", b.ChainID, b.Size, size)
		}
	}
	for _, im := range r.Images {
		wantBase := map[string]string{"team-a/": buster, "team-b/svc": bookworm, "team-b/build": gcc, "team-c/": alpine}
		for prefix, b := range wantBase {
			if strings.Contains(im.Reference, prefix) && im.Base != b {
				t.Errorf("%s: base %s, want %s", im.Reference, im.Base, b)
			}
		}
	}

	// End of life: Debian 10 and Python 3.8 in the buster base, Alpine
	// 3.19 in its base, Debian 12 soon (info) in bookworm's.
	type eol struct {
		rule, title string
		images      int
		base        string
	}
	wantEOL := []eol{
		{"SP401", "Debian 10 (buster)", 10, buster},
		{"SP402", "Python 3.8", 10, buster},
		{"SP401", "Alpine 3.19", 6, alpine},
		{"SP401", "Debian 12 (bookworm) reaches end of security support", 13, bookworm},
	}
	if len(r.EndOfLife) != len(wantEOL) {
		t.Fatalf("end of life %+v", r.EndOfLife)
	}
	for i, w := range wantEOL {
		e := r.EndOfLife[i]
		if e.Rule != w.rule || !strings.HasPrefix(e.Title, w.title) || e.Images != w.images || e.Base != w.base || len(e.References) != w.images {
			t.Errorf("end of life %d: %+v, want %+v", i, e, w)
		}
	}
}

func TestEachLayerIsReadOncePerRun(t *testing.T) {
	f := fleettest.New(t)
	// One image at a time: the layer cache shared by the analyses does it.
	// (At a time, several analyses need inspect to share a LayerFlight.)
	if _, err := Run(context.Background(), f.Refs, analyzer(t.TempDir()), RunOptions{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	gets := f.LayerGets()
	if len(gets) != len(f.LayerBlobs) {
		t.Errorf("%d of %d layer blobs read", len(gets), len(f.LayerBlobs))
	}
	for d, n := range gets {
		if n != 1 {
			t.Errorf("layer blob %s read %d times", d, n)
		}
	}
}

// render writes the report in the three formats, one after the other.
func render(t *testing.T, r *Report) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, w := range []func(*bytes.Buffer, *Report) error{
		func(b *bytes.Buffer, r *Report) error { return WriteJSON(b, r) },
		func(b *bytes.Buffer, r *Report) error { return WriteText(b, r) },
		func(b *bytes.Buffer, r *Report) error { return WriteMarkdown(b, r) },
	} {
		if err := w(&b, r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestShardedRunsMergedEqualOneUnshardedRun(t *testing.T) {
	f := fleettest.New(t)
	refs := append(slices.Clone(f.Refs), f.Reg.Host+"/team-z/missing:v1", f.Reg.Host+"/team-z/missing:v2")
	whole, err := Run(context.Background(), refs, analyzer(t.TempDir()), RunOptions{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := render(t, &whole)

	rng := rand.New(rand.NewPCG(17, 3))
	for _, n := range []int{2, 7} {
		var shards [][]byte
		for i := 0; i < n; i++ {
			// Each shard on its own machine (cache), with the list in its own order.
			list := slices.Clone(refs)
			rng.Shuffle(len(list), func(a, b int) { list[a], list[b] = list[b], list[a] })
			r, err := Run(context.Background(), list, analyzer(t.TempDir()), RunOptions{Concurrency: 2, ShardIndex: i, ShardCount: n})
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := WriteJSON(&b, &r); err != nil {
				t.Fatal(err)
			}
			shards = append(shards, b.Bytes())
		}
		rng.Shuffle(len(shards), func(a, b int) { shards[a], shards[b] = shards[b], shards[a] })
		merged, err := Merge(shards...)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(t, &merged); !bytes.Equal(got, want) {
			t.Errorf("%d shards merged differ from the unsharded run:\n%s", n, firstDifference(got, want))
		}
	}
}

// firstDifference shows where two outputs part.
func firstDifference(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-200)
	return "got:  …" + string(got[from:min(len(got), i+200)]) + "\nwant: …" + string(want[from:min(len(want), i+200)])
}
