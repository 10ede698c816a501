package source

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// An OCI image layout read from an ociStore (as go-containerregistry's
// layout package reads a directory), with what that package leaves out:
// index.json, manifests and configs are refused beyond their limits
// before they are read, every blob is read no further than its
// descriptor's size, and a manifest or config that does not match its
// digest is an error (layers are checked as they stream, in readLayer).

// readLayoutIndex reads index.json.
func readLayoutIndex(store ociStore) (*ociIndex, error) {
	rc, size, err := store.open("index.json")
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > maxManifestBytes {
		return nil, fmt.Errorf("index.json is %s, more than the %s limit", humanize.IBytes(uint64(size)), humanize.IBytes(maxManifestBytes))
	}
	raw, err := io.ReadAll(io.LimitReader(rc, size))
	if err != nil {
		return nil, err
	}
	return &ociIndex{store: store, raw: raw, mediaType: types.OCIImageIndex}, nil
}

// readBlob reads the whole blob d describes, if it is at most limit bytes
// and matches its digest; what names it in errors ("the manifest").
func readBlob(store ociStore, d v1.Descriptor, limit int64, what string) ([]byte, error) {
	if d.Size > limit {
		return nil, fmt.Errorf("%s %s is %s, more than the %s limit", what, d.Digest, humanize.IBytes(uint64(d.Size)), humanize.IBytes(uint64(limit)))
	}
	if d.Size < 0 {
		return nil, fmt.Errorf("%s %s has a negative size", what, d.Digest)
	}
	name, err := blobName(d.Digest)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	rc, size, err := store.open(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s %s is missing", what, d.Digest)
	}
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size != d.Size {
		return nil, fmt.Errorf("%s %s is %d bytes, its descriptor says %d", what, d.Digest, size, d.Size)
	}
	b, err := io.ReadAll(io.LimitReader(rc, d.Size))
	if err != nil {
		return nil, err
	}
	h, err := v1.Hasher(d.Digest.Algorithm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	h.Write(b)
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Digest.Hex {
		return nil, fmt.Errorf("%s does not match its digest: the descriptor says %s, the blob is %s:%s", what, d.Digest, d.Digest.Algorithm, got)
	}
	return b, nil
}

// ociIndex is index.json or a nested index.
type ociIndex struct {
	store     ociStore
	raw       []byte
	mediaType types.MediaType
}

var _ v1.ImageIndex = (*ociIndex)(nil)

func (i *ociIndex) MediaType() (types.MediaType, error) { return i.mediaType, nil }
func (i *ociIndex) Digest() (v1.Hash, error)            { return partial.Digest(i) }
func (i *ociIndex) Size() (int64, error)                { return partial.Size(i) }
func (i *ociIndex) RawManifest() ([]byte, error)        { return i.raw, nil }

func (i *ociIndex) IndexManifest() (*v1.IndexManifest, error) {
	return v1.ParseIndexManifest(bytes.NewReader(i.raw))
}

func (i *ociIndex) find(h v1.Hash) (v1.Descriptor, error) {
	im, err := i.IndexManifest()
	if err != nil {
		return v1.Descriptor{}, err
	}
	for _, d := range im.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("could not find descriptor in index: %s", h)
}

// child reads the manifest or index h of the index, if its media type is
// one ok accepts; what names it in errors.
func (i *ociIndex) child(h v1.Hash, ok func(types.MediaType) bool, what string) (v1.Descriptor, []byte, error) {
	d, err := i.find(h)
	if err != nil {
		return d, nil, err
	}
	if !ok(d.MediaType) {
		return d, nil, fmt.Errorf("unexpected media type for %v: %s", h, d.MediaType)
	}
	raw, err := readBlob(i.store, d, maxManifestBytes, what)
	return d, raw, err
}

func (i *ociIndex) Image(h v1.Hash) (v1.Image, error) {
	d, raw, err := i.child(h, types.MediaType.IsImage, "the manifest")
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&ociImage{store: i.store, desc: d, raw: raw})
}

func (i *ociIndex) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, raw, err := i.child(h, types.MediaType.IsIndex, "the index")
	if err != nil {
		return nil, err
	}
	return &ociIndex{store: i.store, raw: raw, mediaType: d.MediaType}, nil
}

// ociImage is one image of a layout (a partial.CompressedImageCore).
type ociImage struct {
	store ociStore
	desc  v1.Descriptor
	raw   []byte // the manifest, read and checked
}

func (m *ociImage) MediaType() (types.MediaType, error) { return m.desc.MediaType, nil }
func (m *ociImage) RawManifest() ([]byte, error)        { return m.raw, nil }
func (m *ociImage) Descriptor() (*v1.Descriptor, error) { d := m.desc; return &d, nil }

func (m *ociImage) manifest() (*v1.Manifest, error) {
	return v1.ParseManifest(bytes.NewReader(m.raw))
}

func (m *ociImage) RawConfigFile() ([]byte, error) {
	mf, err := m.manifest()
	if err != nil {
		return nil, err
	}
	return readBlob(m.store, mf.Config, maxConfigBytes, "the config")
}

func (m *ociImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	mf, err := m.manifest()
	if err != nil {
		return nil, err
	}
	if h == mf.Config.Digest {
		return &ociBlob{store: m.store, desc: mf.Config}, nil
	}
	for _, d := range mf.Layers {
		if h == d.Digest {
			return &ociBlob{store: m.store, desc: d}, nil
		}
	}
	return nil, fmt.Errorf("could not find layer in image: %s", h)
}

// ociBlob is a layer's blob: it reads no further than one byte past its
// descriptor's size (readLayer then says it is longer than the manifest
// says), and is checked against its digest as it streams (readLayer).
type ociBlob struct {
	store ociStore
	desc  v1.Descriptor
}

func (b *ociBlob) Digest() (v1.Hash, error)            { return b.desc.Digest, nil }
func (b *ociBlob) Size() (int64, error)                { return b.desc.Size, nil }
func (b *ociBlob) MediaType() (types.MediaType, error) { return b.desc.MediaType, nil }
func (b *ociBlob) Descriptor() (*v1.Descriptor, error) { d := b.desc; return &d, nil }

func (b *ociBlob) Compressed() (io.ReadCloser, error) {
	name, err := blobName(b.desc.Digest)
	if err != nil {
		return nil, err
	}
	rc, _, err := b.store.open(name)
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(rc, b.desc.Size+1), rc}, nil
}
