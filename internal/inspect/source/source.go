// Package source opens a container image wherever it is: the local Docker
// engine, a docker save tarball, an OCI layout or its archive, a registry.
// Open resolves a containers-transports style reference to a Source, one
// file per transport; every error is one line that starts with the
// reference, and every piece of metadata is bounded before it is read
// (limits.go). internal/inspect reads the Source's layers.
package source

import (
	"context"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// OpenOptions tune how a reference is resolved.
type OpenOptions struct {
	// Platform picks one image of a multi-platform index, "os/arch[/variant]";
	// empty means the host's.
	Platform string
	// Insecure allows plain-HTTP registries (localhost and the like).
	Insecure bool
	// Keychain resolves registry credentials; nil means authn.DefaultKeychain.
	Keychain authn.Keychain
	// Registry bounds the waits on a registry; zero fields take the defaults.
	Registry RegistryOptions
}

// Source is an opened image. Nothing after Open asks where it came from.
type Source struct {
	Reference string // as the user wrote it
	Transport string // docker-daemon, docker-archive, oci, oci-archive, docker
	Name      string // the resolved name shown to people (e.g. "alpine:3.20" or a path)
	Image     v1.Image
	// Platform is the platform of Image as "os/arch[/variant]".
	Platform string
	// RawCompressed is true when Layer.Compressed() returns the stored blob
	// as-is; false when it would re-compress (docker save tarballs, the
	// daemon), in which case Uncompressed() is the cheap stream.
	RawCompressed bool
	// BlobSizes are, when RawCompressed is false and the source knows them,
	// the bytes it stores for each layer (the layer's member of a docker
	// save archive, gzipped or not); without them a layer's compressed
	// size is its tar's length.
	BlobSizes []int64
	closers   []io.Closer
	// engine is the engine's image of a docker-daemon source, which
	// reads its config from the cache where it can (useCache).
	engine *engineImage
}

// ConfigCache keeps the configs of the engine's images between runs, by
// image ID: with the config at hand, an image whose layers are all in the
// layer cache is never exported from the engine (engineImage).
type ConfigCache interface {
	// Config is the config kept for the image ID, if it holds at most
	// limit bytes; nil when there is none.
	Config(imageID string, limit int64) []byte
	// KeepConfig keeps raw for the image ID. A cache that cannot be
	// written costs speed next time, never correctness.
	KeepConfig(imageID string, raw []byte)
}

// UseCache gives the source a place to keep what makes the next opening
// of the same image fast; nil keeps nothing.
func (s *Source) UseCache(c ConfigCache) {
	if s.engine != nil {
		s.engine.useCache(c)
	}
}

// StoredSize is what the source stores for layer i when it does not give
// the blob as-is: BlobSizes[i] when known, else the tar's length.
func (s *Source) StoredSize(i int, tarBytes int64) int64 {
	if i < len(s.BlobSizes) && s.BlobSizes[i] > 0 {
		return s.BlobSizes[i]
	}
	return tarBytes
}

// Close releases temporary files and connections held by the source.
func (s *Source) Close() error {
	var first error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// Open resolves a containers-transports style reference:
//
//	docker-daemon:NAME[:TAG]   the local engine (DOCKER_HOST honoured)
//	docker-archive:PATH        a docker save tarball (a bare existing .tar path too)
//	oci:DIR[:TAG]              an OCI image layout directory
//	oci-archive:PATH[:TAG]     a tar of an OCI image layout
//	docker://REF               a registry
//	NAME[:TAG]                 the local engine if it has it, else the registry
func Open(ctx context.Context, ref string, opts OpenOptions) (*Source, error) {
	return open(ctx, ref, opts)
}

// open is implemented in transport.go.
