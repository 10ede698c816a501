// Package remotecache keeps slimpy's per-layer analyses in an OCI
// repository, so that machines that never share a disk (CI runners, the
// pods of a Kubernetes Job) share them through the one store every team
// already has, the registry — as BuildKit's --cache-to type=registry does
// for build caches.
//
// One layer's analysis is one OCI 1.1 artifact: a manifest with slimpy's
// artifactType, the empty config, and the encoded analysis as its single
// layer blob, tagged by the layer's diffID and the analysis version (Tag).
// The bytes are opaque here: the caller encodes and decodes them (inspect's
// layer cache codec) and must decode what Get returns before trusting it.
// docs/cache.md says exactly what is stored.
//
// Every failure is an *Error with a Kind, so that the caller can turn it
// into a warning and read the layer instead; a cache that is unreachable,
// refuses the credentials or times out is switched off for the rest of the
// run after the first failure, so that a dead registry costs one timeout,
// not one per layer.
package remotecache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/slimpy/slimpy/internal/inspect/source"
)

const (
	// ArtifactType is the manifest's artifactType: slimpy's analysis of
	// one layer. The v1 is the shape of the artifact (this package); the
	// encoding of the data has its own version, in the tag and the
	// AnnotationVersion annotation.
	ArtifactType = "application/vnd.slimpy.layer-analysis.v1"
	// DataMediaType is the media type of the single layer blob: the
	// encoded analysis, exactly the bytes Put was given.
	DataMediaType = "application/vnd.slimpy.layer-analysis.data.v1"
	// AnnotationDiffID and AnnotationVersion repeat in the manifest what
	// the tag says in short, in full; Get checks both.
	AnnotationDiffID  = "io.github.slimpy.layer.diffID"
	AnnotationVersion = "io.github.slimpy.analysis.version"

	// DefaultMaxSize bounds the data of one layer, both ways. A layer of
	// the 229k-entry benchmark image encodes to a few MB; package
	// databases and apt lists are captured whole up to 32 MiB each.
	DefaultMaxSize = 256 << 20
	// DefaultTimeout bounds one Get or Put, retries included.
	DefaultTimeout = 30 * time.Second
)

// emptyConfig is the OCI 1.1 empty descriptor's content, "{}".
var emptyConfig = []byte("{}")

// versionPattern is what a version may be: it goes into a tag, whose
// characters are [A-Za-z0-9_.-] and whose length is at most 128.
var versionPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

// Options tune a Cache. The zero value is ready: the user's credentials,
// HTTPS, DefaultTimeout and DefaultMaxSize.
type Options struct {
	// Keychain resolves credentials; nil means authn.DefaultKeychain (the
	// Docker config, credential helpers), as `docker push` finds them.
	Keychain authn.Keychain
	// Insecure allows plain HTTP and unverified certificates (localhost,
	// a registry inside the cluster), as crane --insecure does.
	Insecure bool
	// Transport carries every request; nil means
	// source.RegistryTransport with its default bounds. Give
	// source.RegistryTransport with the configuration's registry bounds;
	// Insecure then only allows plain HTTP, the transport decides about
	// certificates.
	Transport http.RoundTripper
	// Timeout bounds one Get or Put; 0 means DefaultTimeout.
	Timeout time.Duration
	// MaxSize bounds the data of one layer; 0 means DefaultMaxSize.
	MaxSize int64
}

// Cache reads and writes layer analyses in one repository. It is safe for
// concurrent use; the registry connection and its credentials are shared.
type Cache struct {
	repo    name.Repository
	display string
	timeout time.Duration
	maxSize int64
	puller  *remote.Puller
	pusher  *remote.Pusher

	mu        sync.Mutex
	readsOff  *Error // the failure that switched reads off for the run
	writesOff *Error
}

// New returns the cache in repository repo ("registry.example/team/slimpy-cache").
// A tag or digest in repo is an error: the cache chooses its own tags.
func New(repo string, opts Options) (*Cache, error) {
	r, err := ParseRepository(repo, opts.Insecure)
	if err != nil {
		return nil, fmt.Errorf("remote cache: %w", err)
	}
	c := &Cache{repo: r, display: repo, timeout: opts.Timeout, maxSize: opts.MaxSize}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.maxSize <= 0 {
		c.maxSize = DefaultMaxSize
	}
	ropts := RemoteOptions(opts.Keychain, opts.Insecure, opts.Transport)
	if c.puller, err = remote.NewPuller(ropts...); err != nil {
		return nil, err
	}
	if c.pusher, err = remote.NewPusher(ropts...); err != nil {
		return nil, err
	}
	return c, nil
}

// ParseRepository reads REGISTRY/REPOSITORY, as the user wrote it; a tag or
// a digest in it is an error. insecure allows plain HTTP to the registry.
func ParseRepository(repo string, insecure bool) (name.Repository, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRepository(repo, opts...)
	if err != nil {
		return name.Repository{}, fmt.Errorf("%q is not a repository (REGISTRY/REPOSITORY, no tag): %w", repo, err)
	}
	return r, nil
}

// RemoteOptions are the go-containerregistry options slimpy talks to a
// registry with for its own artifacts and listings: the keychain (nil:
// authn.DefaultKeychain), the user agent, and the transport, nil meaning
// source.RegistryTransport with its default bounds (timeouts, redirects,
// retries of the answers that say "later", manifests and pages of tags
// bounded as they are read) — the transport the images are read through,
// so that a cache or a listing is no easier to hurt than an image. insecure
// allows plain HTTP and unverified certificates. Network errors are retried
// once, soon: a cache that does not answer is better given up on quickly.
func RemoteOptions(kc authn.Keychain, insecure bool, t http.RoundTripper) []remote.Option {
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	if t == nil {
		t = source.RegistryTransport(source.RegistryOptions{}, insecure)
	}
	return []remote.Option{
		remote.WithAuthFromKeychain(kc),
		remote.WithUserAgent("slimpy"),
		remote.WithRetryBackoff(remote.Backoff{Duration: 200 * time.Millisecond, Factor: 3, Jitter: 0.1, Steps: 2}),
		// The transport retries the answers that say "later" (with Retry-After).
		remote.WithRetryStatusCodes(),
		remote.WithTransport(t),
	}
}

// Tag is the tag of the artifact of diffID at version:
// "sha256-<64 hex>.slimpy-<version>", after the "sha256-<hex>.sig" tags
// cosign gives to artifacts about a digest. A diffID of another algorithm
// (whose hex may not fit the 128 characters of a tag) is tagged by the
// sha256 of the diffID string instead: "x-<64 hex>.slimpy-<version>"; the
// manifest's annotations hold the diffID in full either way.
func Tag(diffID, version string) (string, error) {
	if !versionPattern.MatchString(version) {
		return "", fmt.Errorf("analysis version %q: want 1 to 40 of [A-Za-z0-9_.-]", version)
	}
	algo, hx, ok := strings.Cut(diffID, ":")
	if !ok || hx == "" || algo == "" {
		return "", fmt.Errorf("%q is not a diffID (ALGORITHM:HEX)", diffID)
	}
	if algo == "sha256" && len(hx) == 64 && isLowerHex(hx) {
		return "sha256-" + hx + ".slimpy-" + version, nil
	}
	sum := sha256.Sum256([]byte(diffID))
	return "x-" + hex.EncodeToString(sum[:]) + ".slimpy-" + version, nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Manifest is the manifest Put writes for data: deterministic (no time,
// no host), so that a Put of the same bytes by another machine is the
// same manifest and uploads nothing.
func Manifest(diffID, version string, data []byte) ([]byte, error) {
	sum := sha256.Sum256(data)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ArtifactType,
		Config: v1.Descriptor{
			MediaType: types.OCIEmptyJSON,
			Size:      int64(len(emptyConfig)),
			Digest:    sha256Hash(emptyConfig),
			Data:      emptyConfig,
		},
		Layers: []v1.Descriptor{{
			MediaType: DataMediaType,
			Size:      int64(len(data)),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
		}},
		Annotations: map[string]string{AnnotationDiffID: diffID, AnnotationVersion: version},
	}
	return json.Marshal(m)
}

func sha256Hash(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// Get returns the encoded analysis of the layer diffID at version: the
// bytes a Put stored, checked against the digest and size of the
// manifest (go-containerregistry verifies the digest as the blob streams,
// and Get again). A miss is an *Error of kind NotFound. The caller must
// still decode the bytes and call Undecodable when that fails.
//
// Requests: one manifest GET by tag and one blob GET; the empty config is
// never fetched.
func (c *Cache) Get(ctx context.Context, diffID, version string) ([]byte, error) {
	var data []byte
	err := c.do(ctx, "get", diffID, func(ctx context.Context) *Error {
		if off := c.switchedOff("get"); off != nil {
			return off
		}
		tag, err := Tag(diffID, version)
		if err != nil {
			return &Error{Kind: Invalid, Err: err}
		}
		desc, err := c.puller.Get(ctx, c.repo.Tag(tag))
		if err != nil {
			return &Error{Kind: classify(ctx, err), Err: err}
		}
		layer, e := c.check(desc, diffID, version)
		if e != nil {
			return e
		}
		data, e = c.fetch(ctx, layer)
		return e
	})
	if err != nil {
		return nil, err
	}
	return data, nil
}

// check reads the manifest Get found and returns the descriptor of its
// data blob, or why it is not slimpy's analysis of diffID at version.
func (c *Cache) check(desc *remote.Descriptor, diffID, version string) (v1.Descriptor, *Error) {
	invalid := func(format string, args ...any) (v1.Descriptor, *Error) {
		return v1.Descriptor{}, &Error{Kind: Invalid, Err: fmt.Errorf(format, args...)}
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return invalid("the tag's manifest does not parse: %v", err)
	}
	if m.ArtifactType != ArtifactType {
		return invalid("the tag holds an artifact of type %q, not %q", m.ArtifactType, ArtifactType)
	}
	if got := m.Annotations[AnnotationDiffID]; got != diffID {
		return invalid("the artifact is the analysis of layer %q, not %q", got, diffID)
	}
	if got := m.Annotations[AnnotationVersion]; got != version {
		return invalid("the artifact holds analysis version %q, not %q", got, version)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != DataMediaType {
		return invalid("the artifact does not hold exactly one %s blob", DataMediaType)
	}
	l := m.Layers[0]
	if l.Size > c.maxSize {
		return v1.Descriptor{}, &Error{Kind: Oversized, Err: fmt.Errorf("its data is %d bytes, more than the %d allowed", l.Size, c.maxSize)}
	}
	if l.Size < 0 || l.Digest.Algorithm != "sha256" || len(l.Digest.Hex) != 64 {
		return invalid("the data blob's descriptor is not a sha256 digest and a size")
	}
	return l, nil
}

// fetch reads the data blob of layer, at most layer.Size bytes and one
// more to tell a longer one.
func (c *Cache) fetch(ctx context.Context, layer v1.Descriptor) ([]byte, *Error) {
	l, err := c.puller.Layer(ctx, c.repo.Digest(layer.Digest.String()))
	if err != nil {
		return nil, &Error{Kind: classify(ctx, err), Err: err}
	}
	rc, err := l.Compressed()
	if err != nil {
		k := classify(ctx, err)
		if k == NotFound {
			// The manifest names a blob the repository does not have.
			k = Invalid
			err = fmt.Errorf("the data blob %s is missing: %w", layer.Digest, err)
		}
		return nil, &Error{Kind: k, Err: err}
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, layer.Size+1))
	if err != nil {
		return nil, &Error{Kind: classify(ctx, err), Err: fmt.Errorf("reading the data blob: %w", err)}
	}
	if n := int64(len(data)); n > layer.Size {
		return nil, &Error{Kind: Corrupt, Err: fmt.Errorf("the data blob is longer than the %d bytes its manifest says", layer.Size)}
	} else if n < layer.Size {
		return nil, &Error{Kind: Corrupt, Err: fmt.Errorf("the data blob is %d bytes, its manifest says %d", n, layer.Size)}
	}
	if got := sha256Hash(data); got != layer.Digest {
		return nil, &Error{Kind: Corrupt, Err: fmt.Errorf("the data blob's digest is %s, the manifest says %s", got, layer.Digest)}
	}
	return data, nil
}

// Put stores data as the analysis of the layer diffID at version,
// replacing what the tag held. It uploads exactly data (as the one layer
// blob), the two bytes of the empty config and the manifest of Manifest;
// blobs the repository already has are not uploaded again, and nothing at
// all when the tag already holds this manifest.
func (c *Cache) Put(ctx context.Context, diffID, version string, data []byte) error {
	return c.do(ctx, "put", diffID, func(ctx context.Context) *Error {
		if off := c.switchedOff("put"); off != nil {
			return off
		}
		if int64(len(data)) > c.maxSize {
			return &Error{Kind: Oversized, Err: fmt.Errorf("the data is %d bytes, more than the %d allowed", len(data), c.maxSize)}
		}
		tag, err := Tag(diffID, version)
		if err != nil {
			return &Error{Kind: Invalid, Err: err}
		}
		raw, err := Manifest(diffID, version, data)
		if err != nil {
			return &Error{Kind: Invalid, Err: err}
		}
		ref := c.repo.Tag(tag)
		// Already there (another machine put the same bytes): done. Any
		// failure here is left to the upload to report.
		if d, err := c.puller.Head(ctx, ref); err == nil && d.Digest == sha256Hash(raw) {
			return nil
		}
		for _, blob := range []v1.Layer{static.NewLayer(emptyConfig, types.OCIEmptyJSON), static.NewLayer(data, DataMediaType)} {
			if err := c.pusher.Upload(ctx, c.repo, blob); err != nil {
				return &Error{Kind: classify(ctx, err), Err: err}
			}
		}
		if err := c.pusher.Put(ctx, ref, rawManifest(raw)); err != nil {
			return &Error{Kind: classify(ctx, err), Err: err}
		}
		return nil
	})
}

// rawManifest is a manifest as remote.Put takes it.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// Undecodable is the error a caller returns (or warns with) when the data
// Get returned does not decode: a Corrupt error like a digest mismatch,
// worded alike. The next Put of the layer replaces the artifact.
func (c *Cache) Undecodable(diffID string, err error) *Error {
	return &Error{Op: "decode", Repo: c.display, DiffID: diffID, Kind: Corrupt, Err: err}
}

// do runs op under the timeout and fills in the error's context. The
// caller's own cancellation is returned as it is.
func (c *Cache) do(ctx context.Context, opName, diffID string, op func(context.Context) *Error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	octx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	e := op(octx)
	if e == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	e.Op, e.Repo, e.DiffID = opName, c.display, diffID
	c.switchOff(opName, e)
	return e
}

// switchOff remembers a failure that will fail the next operations alike.
func (c *Cache) switchOff(op string, e *Error) {
	if e.Repeat {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	kind := e.Kind
	if kind == Failed && serverDown(e.Err) {
		// "Later", still, after the transport's retries: as down as a
		// registry that does not answer, and each try costs its waits.
		kind = Unreachable
	}
	switch kind {
	case Unreachable, Timeout:
		if c.readsOff == nil {
			c.readsOff = e
		}
		if c.writesOff == nil {
			c.writesOff = e
		}
	case Refused:
		if op == "get" && c.readsOff == nil {
			c.readsOff = e
		}
		if op == "put" && c.writesOff == nil {
			c.writesOff = e
		}
	}
}

// serverDown: the registry answered 429 or a 5xx, after the transport's
// retries.
func serverDown(err error) bool {
	te, ok := errors.AsType[*transport.Error](err)
	return ok && (te.StatusCode == http.StatusTooManyRequests || te.StatusCode >= 500)
}

// switchedOff returns the Repeat error for op when an earlier failure
// switched it off.
func (c *Cache) switchedOff(op string) *Error {
	c.mu.Lock()
	defer c.mu.Unlock()
	off := c.readsOff
	if op == "put" {
		off = c.writesOff
	}
	if off == nil {
		return nil
	}
	return &Error{Kind: off.Kind, Repeat: true, Err: off.Err}
}
