package main

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
)

// TestLayerTurns: an image waits while another one reads a layer it needs
// that the run has not read; once read, the layer holds nobody up; a
// failed analysis leaves its layers unread for the next image; a wait
// ends with its context.
func TestLayerTurns(t *testing.T) {
	ctx := context.Background()
	turns := newLayerTurns()
	held := func() []string {
		turns.mu.Lock()
		defer turns.mu.Unlock()
		return slices.Sorted(maps.Keys(turns.held))
	}
	releaseA, err := turns.take(ctx, []string{"base", "a"})
	if err != nil {
		t.Fatal(err)
	}
	// Another base: at once.
	releaseC, err := turns.take(ctx, []string{"other", "c"})
	if err != nil {
		t.Fatal(err)
	}
	releaseC(true)

	// The same base: it waits for a.
	took := make(chan func(bool))
	go func() {
		r, err := turns.take(ctx, []string{"base", "b"})
		if err != nil {
			t.Error(err)
		}
		took <- r
	}()
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := turns.take(cancelled, []string{"base"}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait: %v", err)
	}
	select {
	case <-took:
		t.Fatal("b took the base while a held it")
	default:
	}

	// a failed: b reads the base itself.
	releaseA(false)
	releaseB := <-took
	if got := held(); !slices.Equal(got, []string{"b", "base"}) {
		t.Errorf("b holds %v", got)
	}
	releaseB(true)

	// The base is read: d holds only its own layer.
	releaseD, err := turns.take(ctx, []string{"base", "d", "other"})
	if err != nil {
		t.Fatal(err)
	}
	if got := held(); !slices.Equal(got, []string{"d"}) {
		t.Errorf("d holds %v", got)
	}
	releaseD(true)
}
