package inspect

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/textsafe"
)

// RemoteLayerCache is a layer cache shared through a registry
// (internal/remotecache's Cache): the encoded layer data (the local
// cache's .layer file, byte for byte) by diffID and LayerCacheVersion.
type RemoteLayerCache interface {
	Get(ctx context.Context, diffID, version string) ([]byte, error)
	Put(ctx context.Context, diffID, version string, data []byte) error
}

// ErrRemoteMiss is what a RemoteLayerCache's error answers to, through
// errors.Is, when it has no entry: a miss is not worth a warning.
var ErrRemoteMiss = errors.New("not in the remote cache")

// LayerCacheVersion names what a cached layer analysis holds (its
// encoding and what the walker captures): entries of another version are
// neither read nor overwritten.
var LayerCacheVersion = fmt.Sprintf("%d.%s", layer.CacheFormat, theCaptures().Key())

// remoteWarn says what went wrong with the remote cache, once a run (a
// registry that is down would otherwise be a line a layer, each with
// another diffID); a miss is not worth a word.
func remoteWarn(opts Options, err error) {
	if opts.Warn == nil || opts.remoteWarned == nil || errors.Is(err, ErrRemoteMiss) {
		return
	}
	opts.remoteWarned.Do(func() {
		opts.Warn(textsafe.OneLine(err.Error()) + " (the layers are read; further problems of the remote cache in this run are not shown)")
	})
}

// remoteGet is a layer's data from the remote cache after a local miss,
// checked as a local entry is (and then kept locally); nil on a miss or
// any failure, the layer is read.
func remoteGet(ctx context.Context, opts Options, local layer.Cache, diffID string) *layer.Data {
	if opts.Remote == nil {
		return nil
	}
	b, err := opts.Remote.Get(ctx, diffID, LayerCacheVersion)
	if err != nil {
		remoteWarn(opts, err)
		return nil
	}
	ld, err := layer.Decode(b)
	if err != nil || ld.DiffID != diffID {
		if err == nil {
			err = fmt.Errorf("it holds layer %s", short(ld.DiffID))
		}
		remoteWarn(opts, fmt.Errorf("remote cache: the entry of layer %s does not decode (%v): the layer is read", short(diffID), err))
		return nil
	}
	if p := local.Path(diffID); p != "" {
		_ = layer.WriteCacheFile(p, func(w io.Writer) error { _, err := w.Write(b); return err })
	}
	return ld
}

// remotePut shares a layer just read.
func remotePut(ctx context.Context, opts Options, ld *layer.Data) {
	if opts.Remote == nil {
		return
	}
	var b bytes.Buffer
	if err := layer.Encode(&b, ld); err != nil {
		return
	}
	if err := opts.Remote.Put(ctx, ld.DiffID, LayerCacheVersion, b.Bytes()); err != nil {
		remoteWarn(opts, err)
	}
}
