package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// boundedImage checks an image's metadata against the limits (limits.go)
// before anything parses it: a manifest may declare a config of 3 GiB (a
// registry would stream it in), a config may hold millions of history
// entries. Every source's image goes through it (guardImage).
type boundedImage struct {
	v1.Image
	// synthesized: the manifest is not stored but worked out from the
	// layers (docker save archives, the engine). go-containerregistry
	// gzips every uncompressed layer (or hashes every gzipped one) to
	// write it, several times the cost of the whole analysis, for digests
	// no report shows: it is never asked for (ManifestError).
	synthesized bool
	once        sync.Once
	raw         []byte
	err         error
}

// guardedImage is idx.Image(h), guarded.
func guardedImage(idx v1.ImageIndex, h v1.Hash) (v1.Image, error) {
	img, err := idx.Image(h)
	if err != nil {
		return nil, err
	}
	return guardImage(img), nil
}

// guardImage wraps img, once.
func guardImage(img v1.Image) v1.Image {
	if _, ok := img.(*boundedImage); ok {
		return img
	}
	return &boundedImage{Image: img}
}

// guardSynthesized wraps an image whose manifest is synthesized; its
// config's size is bounded by the source (an archive member's size).
func guardSynthesized(img v1.Image) v1.Image {
	return &boundedImage{Image: img, synthesized: true}
}

// ManifestError reads img's manifest for its error, where that costs no
// more than reading the manifest.
func ManifestError(img v1.Image) error {
	if b, ok := img.(*boundedImage); ok && b.synthesized {
		return nil
	}
	_, err := img.Manifest()
	return err
}

func (b *boundedImage) RawManifest() ([]byte, error) {
	raw, err := b.Image.RawManifest()
	if err != nil {
		return nil, err
	}
	if len(raw) > maxManifestBytes {
		return nil, fmt.Errorf("the manifest is %s, more than the %s limit", humanize.IBytes(uint64(len(raw))), humanize.IBytes(maxManifestBytes))
	}
	return raw, nil
}

func (b *boundedImage) Manifest() (*v1.Manifest, error) {
	raw, err := b.RawManifest()
	if err != nil {
		return nil, err
	}
	return v1.ParseManifest(bytes.NewReader(raw))
}

// RawConfigFile reads the config once, if the manifest declares at most
// maxConfigBytes, and checks what it holds.
func (b *boundedImage) RawConfigFile() ([]byte, error) {
	b.once.Do(func() {
		// A synthesized manifest's config size is the config's own length,
		// checked below (the source bounded it: docker-archive's member
		// size).
		if !b.synthesized {
			if m, err := b.Manifest(); err == nil && m.Config.Size > maxConfigBytes {
				b.err = fmt.Errorf("the manifest declares a config of %s, more than the %s limit", humanize.IBytes(uint64(m.Config.Size)), humanize.IBytes(maxConfigBytes))
				return
			}
		}
		raw, err := b.Image.RawConfigFile()
		if err != nil {
			b.err = err
			return
		}
		if len(raw) > maxConfigBytes {
			b.err = fmt.Errorf("the config is %s, more than the %s limit", humanize.IBytes(uint64(len(raw))), humanize.IBytes(maxConfigBytes))
			return
		}
		b.raw, b.err = raw, checkConfigCounts(raw)
	})
	return b.raw, b.err
}

func (b *boundedImage) ConfigFile() (*v1.ConfigFile, error) {
	raw, err := b.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return v1.ParseConfigFile(bytes.NewReader(raw))
}

// skipJSON decodes any JSON value into nothing: a slice of it counts the
// elements of an array without keeping them.
type skipJSON struct{}

func (*skipJSON) UnmarshalJSON([]byte) error { return nil }

// checkConfigCounts refuses a config whose history would cost more than
// its bytes suggest once parsed (a []v1.History entry is ~80 bytes).
func checkConfigCounts(raw []byte) error {
	var probe struct {
		History []skipJSON `json:"history"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil // not the counts' business: the parse says what is wrong
	}
	if len(probe.History) > maxHistory {
		return fmt.Errorf("the config holds %d history entries, more than the %d limit", len(probe.History), maxHistory)
	}
	return nil
}
