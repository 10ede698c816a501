package inspect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/slimpy/slimpy/internal/inspect/layer"
	"github.com/slimpy/slimpy/internal/inspect/source"
)

// The layer cache trusts a diffID, as containerd trusts an unpacked
// snapshot by its chain ID: a layer whose diffID the cache knows is not
// read again. A source that now serves other bytes under that layer's
// digest goes unnoticed on a warm run, unless Options.VerifyBlobs asks for
// each cached layer's blob to be read and checked (verifyBlob): its
// compressed digest where the source gives the blob as stored (OCI
// layouts and archives, registries), else the diffID of the uncompressed
// tar (docker save archives, the engine).

// verifyBlob reads a cached layer's blob and checks it against its digest.
func verifyBlob(ctx context.Context, src *source.Source, l v1.Layer, lay *Layer, progress func(Progress)) error {
	pr, _, closeSrc, err := openBlob(ctx, src, l, lay, progress)
	if err != nil {
		return err
	}
	defer closeSrc()
	h := sha256.New()
	if _, err := io.CopyBuffer(h, pr, make([]byte, 256<<10)); err != nil {
		return readError(ctx, pr, err)
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if src.RawCompressed {
		return checkBlob(lay, pr.n, got)
	}
	if got != lay.DiffID {
		return layer.DiffIDError(lay.DiffID, got)
	}
	return nil
}

// checkBlob compares a stored blob read whole (n bytes, digest got, ""
// when not computed) with what the manifest says.
func checkBlob(layer *Layer, n int64, got string) error {
	if layer.CompressedSize > 0 && n != layer.CompressedSize {
		return fmt.Errorf("the layer blob is %d bytes, the manifest says %d", n, layer.CompressedSize)
	}
	if got != "" && strings.HasPrefix(layer.Digest, "sha256:") && got != layer.Digest {
		return fmt.Errorf("the layer blob does not match its digest: the manifest says %s, the blob is %s", layer.Digest, got)
	}
	return nil
}
