package fleet

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/slimpy/slimpy/internal/inspect"
)

// tinyReport is an inspect report of one layer: enough for Run's
// bookkeeping, which never looks inside.
func tinyReport(diffID string) *inspect.Report {
	return &inspect.Report{
		SchemaVersion: inspect.SchemaVersion,
		Layers:        []inspect.LayerReport{{DiffID: diffID, Size: 10}},
		Totals:        inspect.Totals{Size: 10, StoredSize: 10},
	}
}

func TestRunReportsAFailingImageAndGoesOn(t *testing.T) {
	refs := []string{"r/ok-1", "r/fails", "r/panics", "r/ok-2", "r/nil", "r/ok-1"}
	var running, maxRunning atomic.Int32
	analyze := func(ctx context.Context, ref string) (*inspect.Report, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := maxRunning.Load()
			if n <= m || maxRunning.CompareAndSwap(m, n) {
				break
			}
		}
		switch ref {
		case "r/fails":
			return nil, errors.New("docker://r/fails: not found (404):\nMANIFEST_UNKNOWN")
		case "r/panics":
			panic("index out of range")
		case "r/nil":
			return nil, nil
		}
		return tinyReport("sha256:" + ref), nil
	}
	var (
		inProgress atomic.Bool
		mu         sync.Mutex
		events     []Event
	)
	r, err := Run(context.Background(), refs, analyze, RunOptions{Concurrency: 2, Progress: func(e Event) {
		if !inProgress.CompareAndSwap(false, true) {
			t.Error("Progress called from two goroutines at once")
		}
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
		inProgress.Store(false)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if maxRunning.Load() > 2 {
		t.Errorf("%d analyses at once, want at most 2", maxRunning.Load())
	}
	if len(r.Images) != 2 || r.Images[0].Reference != "r/ok-1" || r.Images[1].Reference != "r/ok-2" {
		t.Errorf("images %+v", r.Images)
	}
	want := map[string]string{"r/fails": "MANIFEST_UNKNOWN", "r/panics": "internal error", "r/nil": "no report"}
	if len(r.Failed) != len(want) {
		t.Fatalf("failed %+v", r.Failed)
	}
	for _, f := range r.Failed {
		if !strings.Contains(f.Error, want[f.Reference]) {
			t.Errorf("%s: %q", f.Reference, f.Error)
		}
	}
	if r.Totals.Images != 2 || r.Totals.Failed != 3 || r.Shard != nil {
		t.Errorf("totals %+v, shard %v", r.Totals, r.Shard)
	}
	// Every image started once and ended once; the last event counts them all.
	state := map[string][]State{}
	for _, e := range events {
		state[e.Reference] = append(state[e.Reference], e.State)
		if e.Total != 5 {
			t.Errorf("event total %d, want 5 (duplicates once)", e.Total)
		}
	}
	for ref, s := range state {
		if len(s) != 2 || s[0] != Started || (s[1] == Started) || (s[1] == Failed) != (want[ref] != "") {
			t.Errorf("%s: events %v", ref, s)
		}
	}
	if last := events[len(events)-1]; last.Finished != 5 {
		t.Errorf("last event %+v", last)
	}
}

func TestRunStopsOnCancelAndReportsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{}, 10)
	analyze := func(ctx context.Context, ref string) (*inspect.Report, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	go func() { <-started; cancel() }()
	r, err := Run(ctx, []string{"a", "b", "c", "d"}, analyze, RunOptions{Concurrency: 2})
	if !errors.Is(err, context.Canceled) || r.Kind != "" {
		t.Fatalf("Run after cancel: %v, %+v", err, r)
	}
}

func TestRunMarksItsShard(t *testing.T) {
	refs := []string{"r/a", "r/b", "r/c", "r/d", "r/e"}
	var seen []string
	var mu sync.Mutex
	analyze := func(ctx context.Context, ref string) (*inspect.Report, error) {
		mu.Lock()
		seen = append(seen, ref)
		mu.Unlock()
		return tinyReport("sha256:" + ref), nil
	}
	r, err := Run(context.Background(), refs, analyze, RunOptions{ShardIndex: 1, ShardCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	part, _ := Shard(refs, 1, 2)
	if len(seen) != len(part) || len(r.Images) != len(part) {
		t.Fatalf("analysed %v, want %v", seen, part)
	}
	if r.Shard == nil || r.Shard.Index != 1 || r.Shard.Count != 2 || r.Shard.References != 5 || !strings.HasPrefix(r.Shard.List, "sha256:") {
		t.Errorf("shard %+v", r.Shard)
	}
	if _, err := Run(context.Background(), refs, analyze, RunOptions{ShardIndex: 2, ShardCount: 2}); err == nil {
		t.Error("shard 2/2 accepted")
	}
}
