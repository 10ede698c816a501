package fleet

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slimpy/slimpy/internal/remotecache"
)

// DefaultMaxTags bounds the tags ListTags reads of one repository.
const DefaultMaxTags = 100000

// TagOptions tune ListTags.
type TagOptions struct {
	Keychain  authn.Keychain    // nil: authn.DefaultKeychain
	Insecure  bool              // plain HTTP and unverified certificates
	Transport http.RoundTripper // nil: source.RegistryTransport with its defaults
	// PageSize is the n asked of each page; 0 lets go-containerregistry
	// choose (1000). The registry may answer fewer.
	PageSize int
	// MaxTags bounds the tags read; 0 means DefaultMaxTags. A repository
	// with more is an error, not a silently shorter fleet.
	MaxTags int
}

// digestTag matches the tags that name an artifact about a digest rather
// than an image: cosign's sha256-<hex>.sig/.att/.sbom, the OCI referrers
// API's fallback tags sha256-<hex>, slimpy's own cache artifacts
// sha256-<hex>.slimpy-<version> (remotecache.Tag).
var digestTag = regexp.MustCompile(`^(sha256|sha512|x)-[0-9a-f]{64}`)

// ListTags returns "REPO:TAG" for every tag of the repository repo (as the
// user wrote it, e.g. "registry.example/team/app"), sorted, reading every
// page the registry gives (the Link header of the distribution spec,
// followed by go-containerregistry's remote.Lister). Tags that name an
// artifact about a digest (digestTag) are left out: they are not images.
func ListTags(ctx context.Context, repo string, opts TagOptions) ([]string, error) {
	r, err := remotecache.ParseRepository(repo, opts.Insecure)
	if err != nil {
		return nil, fmt.Errorf("--all-tags: %w", err)
	}
	max := opts.MaxTags
	if max <= 0 {
		max = DefaultMaxTags
	}
	ropts := remotecache.RemoteOptions(opts.Keychain, opts.Insecure, opts.Transport)
	if opts.PageSize > 0 {
		ropts = append(ropts, remote.WithPageSize(opts.PageSize))
	}
	puller, err := remote.NewPuller(ropts...)
	if err != nil {
		return nil, err
	}
	lister, err := puller.Lister(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, err)
	}
	var tags []string
	for lister.HasNext() {
		page, err := lister.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the tags of %s: %w", repo, err)
		}
		if len(page.Tags) == 0 && lister.HasNext() {
			// Every page brings a tag, or listing would not end (a
			// registry linking an empty page to itself was asked forever).
			return nil, fmt.Errorf("listing the tags of %s: the registry gave a page of no tags that links to another", repo)
		}
		tags = append(tags, page.Tags...)
		if len(tags) > max {
			return nil, fmt.Errorf("%s has more than %d tags: list the images to scan in a file (--file)", repo, max)
		}
	}
	var refs []string
	for _, t := range tags {
		if !digestTag.MatchString(t) {
			refs = append(refs, repo+":"+t)
		}
	}
	slices.Sort(refs)
	return slices.Compact(refs), nil
}
