package fleet

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// joinedCounter counts the Do calls that joined or started a flight.
func joinedCounter(t *testing.T) <-chan string {
	ch := make(chan string, 100)
	flightJoined = func(d string) { ch <- d }
	t.Cleanup(func() { flightJoined = nil })
	return ch
}

func TestLayerFlightReadsALayerOnceForConcurrentAnalyses(t *testing.T) {
	joined := joinedCounter(t)
	var f LayerFlight
	var calls atomic.Int32
	release := make(chan struct{})
	fn := func() ([]byte, error) {
		calls.Add(1)
		<-release
		return []byte("encoded layer"), nil
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([][]byte, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := f.Do(context.Background(), "sha256:aa", fn)
			if err != nil {
				t.Error(err)
			}
			results[i] = b
		}()
	}
	for i := 0; i < n; i++ {
		<-joined // all n are in the flight before it ends
	}
	close(release)
	wg.Wait()
	if c := calls.Load(); c != 1 {
		t.Errorf("fn ran %d times for one layer", c)
	}
	for i, b := range results {
		if !bytes.Equal(b, []byte("encoded layer")) {
			t.Errorf("caller %d got %q", i, b)
		}
	}
	// Another layer is another flight.
	if b, _ := f.Do(context.Background(), "sha256:bb", func() ([]byte, error) { return []byte("b"), nil }); string(b) != "b" {
		t.Errorf("got %q", b)
	}
}

func TestLayerFlightOutlivesACancelledLeader(t *testing.T) {
	joined := joinedCounter(t)
	var f LayerFlight
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderDone := make(chan error)
	go func() {
		_, err := f.Do(leaderCtx, "sha256:aa", func() ([]byte, error) {
			<-leaderCtx.Done() // the leader's image failed elsewhere
			return nil, leaderCtx.Err()
		})
		leaderDone <- err
	}()
	<-joined
	followerDone := make(chan []byte)
	var followerRan atomic.Bool
	go func() {
		b, err := f.Do(context.Background(), "sha256:aa", func() ([]byte, error) {
			followerRan.Store(true)
			return []byte("read by the follower"), nil
		})
		if err != nil {
			t.Error(err)
		}
		followerDone <- b
	}()
	<-joined
	cancelLeader()
	if err := <-leaderDone; !errors.Is(err, context.Canceled) {
		t.Errorf("leader: %v", err)
	}
	if b := <-followerDone; string(b) != "read by the follower" || !followerRan.Load() {
		t.Errorf("follower got %q (ran: %v)", b, followerRan.Load())
	}
}

func TestLayerFlightSharesFailuresAndStopsWaitingOnCancel(t *testing.T) {
	joined := joinedCounter(t)
	var f LayerFlight
	boom := errors.New("the layer blob does not match its digest")
	release := make(chan struct{})
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := f.Do(context.Background(), "sha256:aa", func() ([]byte, error) { <-release; return nil, boom })
			errs <- err
		}()
	}
	<-joined
	<-joined
	// A third caller gives up waiting when its own context ends.
	ctx, cancel := context.WithCancel(context.Background())
	third := make(chan error)
	go func() {
		_, err := f.Do(ctx, "sha256:aa", func() ([]byte, error) { return nil, nil })
		third <- err
	}()
	<-joined
	cancel()
	if err := <-third; !errors.Is(err, context.Canceled) {
		t.Errorf("third: %v", err)
	}
	close(release)
	for i := 0; i < 2; i++ {
		if err := <-errs; !errors.Is(err, boom) {
			t.Errorf("caller got %v", err)
		}
	}
}
