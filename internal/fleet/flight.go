package fleet

import (
	"context"
	"errors"

	"golang.org/x/sync/singleflight"
)

// LayerFlight makes the analyses of a run that meet the same layer at the
// same time read it once: the first to ask for a diffID runs its fn, the
// others wait for it and receive the same bytes. The layer cache by diffID
// does the rest (an analysis that starts after fn returned finds the layer
// in the cache), so each distinct layer is analysed once per run.
//
// The value shared is the layer's analysis encoded (inspect's layer cache
// encoding, the bytes the local and the remote cache store), not a decoded
// *layer.Data: an analysis changes its LayerData after the merge
// (it prunes the captured contents, drops the entries), so each caller
// decodes its own copy. fn should, in this order: look in the local cache
// (another analysis may have just written the layer), then in the remote
// cache, else read the layer; write the local cache (and the remote one)
// before it returns; and return the encoded bytes.
//
// The zero value is ready; one LayerFlight serves a whole run.
type LayerFlight struct {
	g singleflight.Group
}

// flightJoined, set by tests only, is called once a Do has joined or
// started the call for diffID.
var flightJoined func(diffID string)

// Do returns fn's bytes for diffID, running fn only if no other call for
// diffID is under way, else waiting for that call. When the call it waited
// for ends with a cancellation that is not its own (the other analysis
// was stopped: its image failed elsewhere), Do tries again rather than
// fail an analysis whose context is alive. Do returns when ctx ends, even
// while the call it waits for goes on.
func (f *LayerFlight) Do(ctx context.Context, diffID string, fn func() ([]byte, error)) ([]byte, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		led := false
		ch := f.g.DoChan(diffID, func() (any, error) {
			led = true
			return fn()
		})
		if flightJoined != nil {
			flightJoined(diffID)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case res := <-ch:
			// The receive orders fn's write of led before this read.
			if res.Err != nil {
				if !led && ctx.Err() == nil && (errors.Is(res.Err, context.Canceled) || errors.Is(res.Err, context.DeadlineExceeded)) {
					continue // the leader was cancelled, not this caller
				}
				return nil, res.Err
			}
			b, _ := res.Val.([]byte)
			return b, nil
		}
	}
}
