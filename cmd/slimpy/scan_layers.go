package main

import (
	"context"
	"sync"

	"github.com/slimpy/slimpy/internal/inspect/source"
)

// layerTurns makes the analyses of one scan take turns at the layers that
// no analysis of the run has read yet, so that each distinct layer is read
// once per run even when several images on one base are analysed at once:
// the first image holds its new layers while it is analysed, an image that
// needs one of them waits for it, then finds them in the run's layer
// cache. Images on bases already read (or on other bases) go on at once.
//
// It stands in for fleet.LayerFlight, which shares one read of a layer
// between analyses at the level of the layer, and needs inspect to read
// each layer through it (it does not yet). The cost of taking turns by
// image is that an image waiting for a base holds one of the run's
// --concurrency places meanwhile.
type layerTurns struct {
	mu      sync.Mutex
	changed chan struct{}   // closed, then replaced, when a turn ends
	held    map[string]bool // diffIDs an analysis under way is reading
	read    map[string]bool // diffIDs an analysis of the run has read
}

func newLayerTurns() *layerTurns {
	return &layerTurns{changed: make(chan struct{}), held: map[string]bool{}, read: map[string]bool{}}
}

// take waits until no analysis under way holds one of these layers that
// the run has not read, then holds them, until release: read says the
// analysis succeeded, so its layers are now in the cache. Holding all of
// an image's new layers at once, or none, nothing can wait in a circle.
func (t *layerTurns) take(ctx context.Context, diffIDs []string) (release func(read bool), err error) {
	for {
		t.mu.Lock()
		mine, busy := t.unread(diffIDs)
		if !busy {
			for _, d := range mine {
				t.held[d] = true
			}
			t.mu.Unlock()
			return func(read bool) { t.release(mine, read) }, nil
		}
		changed := t.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// unread are the layers of diffIDs the run has not read; busy when
// another analysis holds one of them.
func (t *layerTurns) unread(diffIDs []string) (mine []string, busy bool) {
	for _, d := range diffIDs {
		switch {
		case t.held[d]:
			return nil, true
		case !t.read[d]:
			mine = append(mine, d)
		}
	}
	return mine, false
}

func (t *layerTurns) release(diffIDs []string, read bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, d := range diffIDs {
		delete(t.held, d)
		if read {
			t.read[d] = true
		}
	}
	close(t.changed)
	t.changed = make(chan struct{})
}

// diffIDs are the image's layers as its config lists them; none when the
// config cannot be read (the analysis then says why).
func diffIDs(s *source.Source) []string {
	cfg, err := s.Image.ConfigFile()
	if err != nil || cfg == nil {
		return nil
	}
	ids := make([]string, len(cfg.RootFS.DiffIDs))
	for i, d := range cfg.RootFS.DiffIDs {
		ids[i] = d.String()
	}
	return ids
}
