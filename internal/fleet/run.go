package fleet

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/slimpy/slimpy/internal/inspect"
)

// Analyzer analyses one image: open the reference, run inspect with the
// rules, return its report. Run calls it from several goroutines at once.
type Analyzer func(ctx context.Context, ref string) (*inspect.Report, error)

// DefaultConcurrency is how many images Run analyses at once by default.
// Each analysis already reads its layers in parallel and holds its merged
// tree in memory until its report is made: a few at a time hide the
// registry's latency without multiplying the peak memory by much.
const DefaultConcurrency = 2

// RunOptions tune Run.
type RunOptions struct {
	// Concurrency bounds the images analysed at once; 0 means
	// DefaultConcurrency.
	Concurrency int
	// ShardIndex and ShardCount (from ParseShard) make Run analyse only
	// that part of the references (Shard) and mark the report as a shard
	// for Merge. ShardCount 0 means the whole list.
	ShardIndex, ShardCount int
	// Progress, when set, receives an event as each image starts and as it
	// ends; it is called from one goroutine at a time.
	Progress func(Event)
}

// State is where an image is in the run.
type State int

const (
	Started State = iota
	Done
	Failed
)

func (s State) String() string {
	return [...]string{"started", "done", "failed"}[s]
}

// Event reports one image's progress.
type Event struct {
	Reference string
	State     State
	Err       error // when Failed
	Finished  int   // images done or failed so far, this one included
	Total     int   // images in the run
}

// Run analyses refs (duplicates once; the part of them RunOptions selects)
// with analyze, at most Concurrency at a time, and builds the fleet
// report. An image that fails is listed in Failed with its error and the
// others go on; only the end of ctx (Ctrl-C) stops the run, and then Run
// returns ctx's error and no report.
//
// Each distinct layer is analysed once per run when analyze shares a
// layer cache between its calls (inspect.Options.CacheDir) and, for
// images analysed at the same time, a LayerFlight (see LayerFlight).
func Run(ctx context.Context, refs []string, analyze Analyzer, opts RunOptions) (Report, error) {
	list := uniqueSorted(refs)
	var info *ShardInfo
	if opts.ShardCount != 0 {
		part, err := Shard(list, opts.ShardIndex, opts.ShardCount)
		if err != nil {
			return Report{}, err
		}
		info = shardInfo(list, opts.ShardIndex, opts.ShardCount)
		list = part
	}
	limit := opts.Concurrency
	if limit <= 0 {
		limit = DefaultConcurrency
	}

	var (
		mu       sync.Mutex // guards the results and serialises Progress
		images   []Image
		failed   []Failure
		finished int
	)
	emit := func(e Event) {
		if opts.Progress != nil {
			e.Total = len(list)
			opts.Progress(e)
		}
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, ref := range list {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		mu.Lock()
		emit(Event{Reference: ref, State: Started, Finished: finished})
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r, err := analyzeOne(ctx, analyze, ref)
			mu.Lock()
			defer mu.Unlock()
			if ctx.Err() != nil {
				return // a failure caused by the cancellation is no image's failure
			}
			finished++
			if err != nil {
				failed = append(failed, Failure{Reference: ref, Error: err.Error()})
				emit(Event{Reference: ref, State: Failed, Err: err, Finished: finished})
				return
			}
			images = append(images, ImageOf(ref, r))
			emit(Event{Reference: ref, State: Done, Finished: finished})
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Report{}, err
	}
	rep := Build(images, failed)
	rep.Shard = info
	return rep, nil
}

// analyzeOne runs analyze for one image; a panic in it fails that image,
// not the run.
func analyzeOne(ctx context.Context, analyze Analyzer, ref string) (r *inspect.Report, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("internal error (please report it): %v", p)
		}
	}()
	r, err = analyze(ctx, ref)
	if err == nil && r == nil {
		err = errors.New("the analysis returned no report")
	}
	return r, err
}
