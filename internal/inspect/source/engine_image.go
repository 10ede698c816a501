package source

import (
	"bytes"
	"io"
	"slices"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// engineImage is an image of the local engine. go-containerregistry's
// daemon package reads one by exporting it whole (docker save) on first
// use, which takes most of a run on a big image. Where slimpy's cache holds
// the config of this engine image ID (saved the first time it was read),
// the config comes from there and the layers' list from the engine's
// inspect: a layer is exported only when its content is read, so an image
// whose layers are all in the layer cache is never exported.
type engineImage struct {
	v1.Image           // the daemon package's image: exports on first use
	id       string    // the engine's image ID
	diffIDs  []v1.Hash // RootFS.Layers of the engine's inspect

	mu       sync.Mutex
	cache    ConfigCache // set by useCache; nil keeps nothing
	raw      []byte      // the config, once read
	fromDisk bool        // raw came from the cache: the layers are listed lazily
}

// useCache gives the image a place to keep its config between runs.
func (e *engineImage) useCache(c ConfigCache) {
	e.mu.Lock()
	e.cache = c
	e.mu.Unlock()
}

// RawConfigFile is the cached config of this image ID when there is one
// that lists the engine's layers (and, where the ID is the config's
// digest, hashes to it); else the exported one, which is then cached.
func (e *engineImage) RawConfigFile() ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.raw != nil {
		return e.raw, nil
	}
	if e.cache != nil {
		if raw := e.cache.Config(e.id, maxConfigBytes); raw != nil && e.configMatches(raw) {
			e.raw, e.fromDisk = raw, true
			return raw, nil
		}
	}
	raw, err := e.Image.RawConfigFile()
	if err != nil {
		return nil, err
	}
	e.raw = raw
	if e.cache != nil && len(raw) <= maxConfigBytes && e.configMatches(raw) {
		e.cache.KeepConfig(e.id, raw)
	}
	return raw, nil
}

// configMatches: raw is a config of this image as far as it says: it
// parses and lists the engine's layers. The file is named by the image ID,
// which is a digest of the config (the classic image store) or of the
// manifest that names it (the containerd store): one ID, one config.
func (e *engineImage) configMatches(raw []byte) bool {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
	return err == nil && slices.Equal(cfg.RootFS.DiffIDs, e.diffIDs)
}

// ConfigName is the config's digest.
func (e *engineImage) ConfigName() (v1.Hash, error) {
	raw, err := e.RawConfigFile()
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	return h, err
}

// ConfigFile parses RawConfigFile (the daemon package's own rebuilds the
// history from another API).
func (e *engineImage) ConfigFile() (*v1.ConfigFile, error) {
	raw, err := e.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return v1.ParseConfigFile(bytes.NewReader(raw))
}

// Layers are the engine's layers, exported only when read, where the
// config came from the cache; else the daemon package's.
func (e *engineImage) Layers() ([]v1.Layer, error) {
	if _, err := e.RawConfigFile(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	lazy := e.fromDisk
	e.mu.Unlock()
	if !lazy {
		return e.Image.Layers()
	}
	out := make([]v1.Layer, len(e.diffIDs))
	for i, d := range e.diffIDs {
		out[i] = &engineLayer{img: e, diffID: d}
	}
	return out, nil
}

// engineLayer is a layer of an engineImage, exported on first read.
type engineLayer struct {
	img    *engineImage
	diffID v1.Hash
	once   sync.Once
	l      v1.Layer
	err    error
}

func (l *engineLayer) layer() (v1.Layer, error) {
	l.once.Do(func() { l.l, l.err = l.img.Image.LayerByDiffID(l.diffID) })
	return l.l, l.err
}

func (l *engineLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

func (l *engineLayer) Uncompressed() (io.ReadCloser, error) {
	x, err := l.layer()
	if err != nil {
		return nil, err
	}
	return x.Uncompressed()
}

func (l *engineLayer) Compressed() (io.ReadCloser, error) {
	x, err := l.layer()
	if err != nil {
		return nil, err
	}
	return x.Compressed()
}

func (l *engineLayer) Digest() (v1.Hash, error) {
	x, err := l.layer()
	if err != nil {
		return v1.Hash{}, err
	}
	return x.Digest()
}

func (l *engineLayer) Size() (int64, error) {
	x, err := l.layer()
	if err != nil {
		return 0, err
	}
	return x.Size()
}

func (l *engineLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }
